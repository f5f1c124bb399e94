// The parent names an id that looks like no revision, so nothing is suggested.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/missing_parent_no_suggestion/migrations");

fn main() {
    let _ = REVISIONS.len();
}
