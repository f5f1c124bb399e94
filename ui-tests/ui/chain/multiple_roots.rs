// `3` was added without a `metadata.toml`, so it is a second root.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/multiple_roots/migrations");

fn main() {
    let _ = REVISIONS.len();
}
