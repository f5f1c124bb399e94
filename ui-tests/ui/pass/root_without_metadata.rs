// The root needs no `metadata.toml`: it has no parent, and its message is its
// slug with `_` read as spaces.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/pass/root_without_metadata/migrations");

fn main() {
    let ids: Vec<&str> = REVISIONS.iter().map(|r| r.id()).collect();
    assert_eq!(ids, ["1", "2"]);
    let root = REVISIONS.get("1").expect("the root is embedded");
    assert_eq!(root.parent(), None);
    assert_eq!(root.message(), "create users");
    assert!(root.run_in_transaction());
    assert_eq!(root.down_sql(), Some("DROP TABLE users;\n"));
    assert_eq!(REVISIONS.get("2").and_then(|r| r.parent()), Some("1"));
}
