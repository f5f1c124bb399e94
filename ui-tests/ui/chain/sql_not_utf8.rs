// `up.sql` was saved as Latin-1: `é` is the single byte 0xe9.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/sql_not_utf8/migrations");

fn main() {
    let _ = REVISIONS.len();
}
