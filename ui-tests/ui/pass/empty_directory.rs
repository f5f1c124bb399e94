// An empty directory without `HEAD` is an empty history, not an error. git
// keeps no empty directory, so the runner creates this one.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/pass/empty_directory/migrations");

fn main() {
    assert!(REVISIONS.is_empty());
    assert_eq!(REVISIONS.len(), 0);
    assert!(REVISIONS.head().is_none());
    assert_eq!(REVISIONS.iter().count(), 0);
}
