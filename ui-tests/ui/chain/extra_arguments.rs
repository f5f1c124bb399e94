// The macro takes one directory, not several.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/fork/migrations", "migrations");

fn main() {
    let _ = REVISIONS.len();
}
