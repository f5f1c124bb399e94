// Revisions, but no `HEAD` file.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/head_missing/migrations");

fn main() {
    let _ = REVISIONS.len();
}
