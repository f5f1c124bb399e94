// `up.sql` is a symbolic link to a file that does not exist (made by
// `tests/ui.rs`): it is named as a link, not as a missing `up.sql`.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/dangling_link/migrations");

fn main() {
    let _ = REVISIONS.len();
}
