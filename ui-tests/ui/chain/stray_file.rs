// A `seed.sql` at the top level of the migrations directory.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/stray_file/migrations");

fn main() {
    let _ = REVISIONS.len();
}
