// The directory does not exist.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/directory_not_found/migrations");

fn main() {
    let _ = REVISIONS.len();
}
