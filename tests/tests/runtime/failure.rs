//! A failing revision in the middle of the chain, and MySQL's dirty state.

use revchain::{Error, Migrator};
use revchain_tests::fixtures::{FAILING, FAILING_FIRST};
use revchain_tests::{Probe, TestDatabase, TestSqlite};

fn assert_names_the_statement(error: &Error) {
    match error {
        Error::RevisionFailed(failed) => {
            let revchain::RevisionFailed {
                id,
                file,
                line,
                statement,
                message,
                ..
            } = &**failed;
            assert_eq!(id, "2");
            assert_eq!(file, "fixtures/failing/migrations/2_broken/up.sql");
            assert_eq!(*line, 3, "the INSERT is on line 3");
            assert!(
                statement.starts_with("INSERT INTO missing_table"),
                "{statement}"
            );
            assert!(message.contains("missing_table"), "{message}");
        }
        other => panic!("expected a failed revision, got {other}"),
    }
}

fn transactional_failure(conn: &mut (impl revchain::MigrationConnection + Probe)) {
    let migrator = Migrator::new(&FAILING);
    let error = migrator.upgrade(conn, "head").unwrap_err();
    assert_names_the_statement(&error);
    assert!(error.to_string().contains("still at `1`"), "{error}");
    // Nothing of revision 2 remains, and the version stays at its parent.
    let tables = conn.tables();
    assert!(tables.contains(&"a".to_owned()));
    assert!(!tables.contains(&"partial".to_owned()), "{tables:?}");
    assert_eq!(migrator.current(conn).unwrap().as_deref(), Some("1"));
    assert!(migrator.status(conn).unwrap().dirty.is_none());
    // The next run fails the same way instead of skipping anything.
    assert_names_the_statement(&migrator.upgrade(conn, "head").unwrap_err());
}

#[test]
fn failing_revision_leaves_nothing_on_sqlite() {
    let db = TestSqlite::new();
    transactional_failure(&mut db.conn());
}

#[test]
fn failing_revision_leaves_nothing_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    transactional_failure(&mut db.pg());
}

#[test]
fn failing_revision_marks_mysql_dirty_until_stamped() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let mut conn = db.mysql_conn();
    let migrator = Migrator::new(&FAILING);
    let error = migrator.upgrade(&mut conn, "head").unwrap_err();
    assert_names_the_statement(&error);
    let message = error.to_string();
    assert!(
        message.contains("marked dirty")
            && message.contains("stamp 2")
            && message.contains("stamp 1"),
        "{message}"
    );
    // MySQL committed the CREATE TABLE: the database is dirty, naming 2.
    assert!(conn.tables().contains(&"partial".to_owned()));
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!(status.dirty.as_deref(), Some("2"));
    assert!(!migrator.is_at_head(&mut conn).unwrap());

    // Later runs refuse, and say how to resolve it.
    let error = migrator.upgrade(&mut conn, "head").unwrap_err();
    match &error {
        Error::Dirty {
            id,
            if_complete,
            if_none,
            ..
        } => {
            assert_eq!(id, "2");
            assert_eq!((if_complete.as_str(), if_none.as_str()), ("2", "1"));
        }
        other => panic!("expected dirty, got {other}"),
    }
    assert!(error.to_string().contains("`stamp 1`"), "{error}");
    assert!(matches!(
        migrator.verify(&mut conn),
        Err(Error::Dirty { .. })
    ));

    // The user repairs by hand and stamps: the state is clean again.
    conn.run("DROP TABLE partial");
    migrator.stamp(&mut conn, "1", false).unwrap();
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!((status.current.as_deref(), status.dirty), (Some("1"), None));
}

#[test]
fn failing_first_statement_leaves_mysql_clean() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let mut conn = db.mysql_conn();
    let migrator = Migrator::new(&FAILING_FIRST);
    let error = migrator.upgrade(&mut conn, "head").unwrap_err();
    assert!(
        error.to_string().contains("nothing of it was applied"),
        "{error}"
    );
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!((status.current.as_deref(), status.dirty), (Some("1"), None));
}

/// On MySQL a revision's statements run in a transaction revchain opens and
/// ends itself (diesel's transaction manager cannot follow MySQL's implicit
/// commits): when a statement fails, what the revision did before it that
/// can be rolled back is rolled back, on the same connection.
#[test]
fn failing_revision_rolls_back_its_rows_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    crate::write_files(
        dir.path(),
        &[
            (
                "1_create_a/up.sql",
                "CREATE TABLE a (id INTEGER PRIMARY KEY);\n",
            ),
            (
                "2_fill_a/up.sql",
                "INSERT INTO a (id) VALUES (1);\nINSERT INTO missing_table (id) VALUES (1);\n",
            ),
            ("2_fill_a/metadata.toml", "parent = \"1\"\n"),
            ("HEAD", "2\n"),
        ],
    );
    let revisions = revchain::Revisions::load(dir.path(), "migrations").unwrap();
    let migrator = Migrator::new(&revisions);
    let mut conn = db.mysql_conn();

    let error = migrator.upgrade(&mut conn, "head").unwrap_err();
    assert!(
        error.to_string().contains("migrations/2_fill_a/up.sql"),
        "{error}"
    );
    assert!(error.to_string().contains("line 2"), "{error}");
    // On this very connection: an open transaction would still show the row.
    assert_eq!(conn.count("SELECT COUNT(*) AS n FROM a"), 0);
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!(
        (status.current.as_deref(), status.dirty.as_deref()),
        (Some("1"), Some("2"))
    );
}
