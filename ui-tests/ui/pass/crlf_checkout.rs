// A Windows checkout: every file ends its lines with CRLF. The SQL is
// embedded byte for byte, but the checksum is the one of the LF text, so the
// same history checks out the same on every machine.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/pass/crlf_checkout/migrations");

fn main() {
    let ids: Vec<&str> = REVISIONS.iter().map(|r| r.id()).collect();
    assert_eq!(ids, ["1", "2"]);

    let root = REVISIONS.get("1").expect("the root is embedded");
    assert_eq!(
        root.up_sql(),
        "CREATE TABLE users (\r\n    id INTEGER PRIMARY KEY\r\n);\r\n"
    );
    assert_eq!(
        root.checksum(),
        revchain::revision_checksum("CREATE TABLE users (\n    id INTEGER PRIMARY KEY\n);\n")
    );
    assert_eq!(root.down_sql(), Some("DROP TABLE users;\r\n"));
    assert_eq!(root.message(), "create users");

    let head = REVISIONS.head().expect("the history has a head");
    assert_eq!(head.id(), "2");
    assert_eq!(head.parent(), Some("1"));
    assert_eq!(head.message(), "create posts");
    assert!(!head.run_in_transaction());
    assert_eq!(
        head.checksum(),
        revchain::revision_checksum("CREATE TABLE posts (id INTEGER PRIMARY KEY);\n")
    );
    assert_eq!(
        head.chain_digest(),
        revchain::chain_digest(Some(&root.chain_digest()), "2", &head.checksum())
    );
}
