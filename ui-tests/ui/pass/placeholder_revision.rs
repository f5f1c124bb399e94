// A revision whose `up.sql` is only a comment marks a point in the history
// without changing the schema.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/pass/placeholder_revision/migrations");

fn main() {
    let head = REVISIONS.head().expect("the history has a head");
    assert_eq!(head.id(), "2");
    assert_eq!(head.parent(), Some("1"));
    assert_eq!(head.message(), "release 1.0");
    assert_eq!(
        head.up_sql(),
        "-- release 1.0: no schema change, a point to deploy and revert to\n"
    );
    assert_eq!(head.down_sql(), None);
    assert_eq!(
        head.checksum(),
        revchain::revision_checksum(
            "-- release 1.0: no schema change, a point to deploy and revert to\n"
        )
    );
}
