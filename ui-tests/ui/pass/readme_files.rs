// A `README.md` may sit at the top level and in a revision directory; neither
// is embedded.
static REVISIONS: revchain::Revisions =
    revchain::embed_revisions!("ui/pass/readme_files/migrations");

fn main() {
    let ids: Vec<&str> = REVISIONS.iter().map(|r| r.id()).collect();
    assert_eq!(ids, ["1", "2"]);
    let head = REVISIONS.head().expect("the history has a head");
    assert_eq!(
        head.up_sql(),
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n"
    );
    assert_eq!(head.down_sql(), None);
}
