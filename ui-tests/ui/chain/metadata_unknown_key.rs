// `parent` is misspelled in `metadata.toml`.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/metadata_unknown_key/migrations");

fn main() {
    let _ = REVISIONS.len();
}
