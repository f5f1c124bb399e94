// A merge left `up.sql.orig` in a revision directory.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/unexpected_file_in_revision/migrations");

fn main() {
    let _ = REVISIONS.len();
}
