// The id `2026.01.12` contains dots.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/invalid_id/migrations");

fn main() {
    let _ = REVISIONS.len();
}
