// The path must be relative to `Cargo.toml`.
static REVISIONS: revchain::Revisions = revchain::embed_revisions!("/srv/app/migrations");

fn main() {
    let _ = REVISIONS.len();
}
