// A revision directory named `posts`, without `<id>_`.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/invalid_directory_name/migrations");

fn main() {
    let _ = REVISIONS.len();
}
