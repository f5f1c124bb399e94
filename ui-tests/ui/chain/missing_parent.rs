// The parent id has a typo (a digit is missing), so a close id is suggested.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/missing_parent/migrations");

fn main() {
    let _ = REVISIONS.len();
}
