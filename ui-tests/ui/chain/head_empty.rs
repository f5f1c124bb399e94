// `HEAD` exists but is empty.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/head_empty/migrations");

fn main() {
    let _ = REVISIONS.len();
}
