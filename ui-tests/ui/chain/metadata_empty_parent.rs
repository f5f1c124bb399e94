// `parent = ""` instead of no `parent` line.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/chain/metadata_empty_parent/migrations");

fn main() {
    let _ = REVISIONS.len();
}
