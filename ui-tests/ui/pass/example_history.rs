// The repository's example history embeds, and its head is the last revision.
static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../../../../migrations");

fn main() {
    assert!(REVISIONS.len() >= 6);
}
