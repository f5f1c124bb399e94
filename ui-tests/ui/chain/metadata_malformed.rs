// The message in `metadata.toml` lacks its quotes.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/metadata_malformed/migrations");

fn main() {
    let _ = REVISIONS.len();
}
