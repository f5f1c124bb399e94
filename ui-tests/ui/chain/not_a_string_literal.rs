// The argument must be a string literal, not a constant.
const MIGRATIONS: &str = "migrations";

static REVISIONS: revchain::Revisions = revchain::embed_revisions!(MIGRATIONS);

fn main() {
    let _ = MIGRATIONS;
    let _ = REVISIONS.len();
}
