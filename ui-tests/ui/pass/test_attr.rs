// Every form `#[revchain::test]` accepts. trybuild builds the case as a
// binary, not a test, so rustc drops the `#[test]` functions the attribute
// expands to and nothing here opens a database: the case pins that these
// forms pass the attribute's checks. `tests/tests/runtime/testing_attr.rs`
// compiles and runs the expansion on every backend.
use diesel::SqliteConnection;

static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../../../../migrations");

mod other {
    pub static HISTORY: revchain::Revisions = revchain::embed_revisions!("../../../../migrations");
}

// No argument: the static `REVISIONS` in scope, migrated to head.
#[revchain::test]
fn at_head(conn: &mut SqliteConnection) {
    let _ = conn;
}

// Empty parentheses are the same.
#[revchain::test()]
fn empty_parentheses(conn: &mut SqliteConnection) {
    let _ = conn;
}

// `to` names a target: `"base"`, `"head"` or a revision id.
#[revchain::test(to = "base")]
fn at_base(conn: &mut SqliteConnection) {
    let _ = conn;
}

#[revchain::test(to = "2026-02-02-103000")]
fn at_a_revision(conn: &mut diesel::SqliteConnection) {
    let _ = conn;
}

// `revisions` names another chain, by any path; with `to`, in either order,
// with a trailing comma.
#[revchain::test(revisions = other::HISTORY)]
fn another_chain(conn: &mut SqliteConnection) {
    let _ = conn;
}

#[revchain::test(to = "base", revisions = crate::other::HISTORY,)]
fn both_arguments(conn: &mut SqliteConnection) {
    let _ = conn;
}

// A `Result` to use `?` in, a visibility, other attributes and a pattern.
/// A doc comment is kept.
#[revchain::test(revisions = REVISIONS, to = "head")]
#[ignore = "kept on the generated test"]
pub fn returns_a_result(mut conn: &mut SqliteConnection) -> Result<(), revchain::Error> {
    let _ = &mut conn;
    Ok(())
}

fn main() {
    assert!(!REVISIONS.is_empty());
    assert_eq!(other::HISTORY.len(), REVISIONS.len());
}
