//! The per-revision transaction on PostgreSQL, whose first round trip
//! carries `BEGIN` with the revision's first statement and whose last one
//! carries revchain's bookkeeping and the `COMMIT`: a failure in either, and
//! an upgrade inside a transaction the caller opened.

use std::path::Path;

use diesel::Connection;
use diesel::result::Error as DieselError;
use revchain::{Error, Migrator, Revisions};
use revchain_tests::fixtures::{FAILING_FIRST, SHORT};
use revchain_tests::{Probe, TestDatabase};

/// 1, 2 (a deferred foreign key that fails only at `COMMIT`), 3.
fn deferred() -> Revisions {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/deferred_postgres/migrations");
    Revisions::load(&dir, "fixtures/deferred_postgres/migrations").unwrap()
}

#[test]
fn a_revision_failing_at_commit_leaves_nothing_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let mut conn = db.pg();
    let revisions = deferred();
    let migrator = Migrator::new(&revisions);
    for _ in 0..2 {
        let error = migrator.upgrade(&mut conn, "head").unwrap_err();
        match &error {
            Error::Database { context, source } => {
                assert!(context.contains("committing"), "{context}");
                assert!(source.to_string().contains("foreign key"), "{source}");
            }
            other => panic!("expected a database error at commit, got {other}"),
        }
        // Revision 2 rolled back as a whole; the version stays at 1, clean.
        let tables = conn.tables();
        assert!(tables.contains(&"parent".to_owned()), "{tables:?}");
        assert!(!tables.contains(&"child".to_owned()), "{tables:?}");
        let status = migrator.status(&mut conn).unwrap();
        assert_eq!((status.current.as_deref(), status.dirty), (Some("1"), None));
        assert_eq!(
            conn.count("SELECT COUNT(*) AS n FROM revchain_version_log WHERE revision = '2'"),
            0
        );
    }
    // The connection and diesel's transaction manager are still usable.
    conn.transaction::<_, DieselError, _>(|conn| {
        conn.run("INSERT INTO parent (id) VALUES (42)");
        Ok(())
    })
    .unwrap();
    let report = migrator.upgrade(&mut conn, "head").unwrap();
    assert_eq!(report.steps.len(), 2);
    assert!(migrator.is_at_head(&mut conn).unwrap());
}

#[test]
fn a_revision_whose_first_statement_fails_leaves_nothing_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let mut conn = db.pg();
    let migrator = Migrator::new(&FAILING_FIRST);
    for _ in 0..2 {
        let error = migrator.upgrade(&mut conn, "head").unwrap_err();
        match &error {
            Error::RevisionFailed(failed) => {
                assert_eq!((failed.id.as_str(), failed.line), ("2", 1));
                assert!(
                    failed.statement.starts_with("INSERT INTO missing_table"),
                    "{}",
                    failed.statement
                );
                assert!(
                    failed.message.contains("missing_table"),
                    "{}",
                    failed.message
                );
            }
            other => panic!("expected a failed revision, got {other}"),
        }
        assert!(error.to_string().contains("still at `1`"), "{error}");
        assert!(!conn.tables().contains(&"never".to_owned()));
        let status = migrator.status(&mut conn).unwrap();
        assert_eq!((status.current.as_deref(), status.dirty), (Some("1"), None));
    }
    // The aborted transaction was rolled back: the connection works.
    conn.transaction::<_, DieselError, _>(|conn| {
        conn.run("CREATE TABLE missing_table (id INTEGER PRIMARY KEY)");
        Ok(())
    })
    .unwrap();
    assert_eq!(migrator.upgrade(&mut conn, "head").unwrap().steps.len(), 1);
    assert!(migrator.is_at_head(&mut conn).unwrap());
}

#[test]
fn upgrade_inside_a_callers_transaction_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let mut conn = db.pg();
    let migrator = Migrator::new(&SHORT);
    // Rolled back by the caller: nothing remains.
    let outcome = conn.transaction::<(), DieselError, _>(|conn| {
        assert_eq!(migrator.upgrade(conn, "head").unwrap().steps.len(), 2);
        assert!(migrator.is_at_head(conn).unwrap());
        Err(DieselError::RollbackTransaction)
    });
    assert!(matches!(outcome, Err(DieselError::RollbackTransaction)));
    assert_eq!(migrator.current(&mut conn).unwrap(), None);
    assert!(!conn.tables().contains(&"a".to_owned()));
    // Committed by the caller: applied.
    conn.transaction::<(), DieselError, _>(|conn| {
        assert_eq!(migrator.upgrade(conn, "head").unwrap().steps.len(), 2);
        Ok(())
    })
    .unwrap();
    assert!(migrator.is_at_head(&mut conn).unwrap());
}

/// On MySQL a revision's DDL commits at once and ends the transaction; the
/// version `UPDATE` and the log `INSERT` that record the revision must still
/// commit together. A trigger makes the log `INSERT` fail: the version must
/// not move, and the database stays marked dirty with the revision.
#[test]
fn the_bookkeeping_of_a_revision_commits_as_one_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let mut conn = db.mysql_conn();
    let migrator = Migrator::new(&revchain_tests::EXAMPLE);
    let first = revchain_tests::EXAMPLE.as_slice()[0].id();
    // Creates the bookkeeping tables, at base.
    migrator.stamp(&mut conn, "base", false).unwrap();
    conn.run(
        "CREATE TRIGGER refuse_log BEFORE INSERT ON revchain_version_log FOR EACH ROW \
         SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'log refused'",
    );
    let error = migrator.upgrade(&mut conn, "+1").unwrap_err();
    match &error {
        Error::Database { source, .. } => {
            assert!(source.to_string().contains("log refused"), "{source}");
        }
        other => panic!("expected the log's refusal, got {other}"),
    }
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!(
        status.current, None,
        "the version moved without its log line"
    );
    assert_eq!(status.dirty.as_deref(), Some(first));
    assert_eq!(
        conn.count("SELECT COUNT(*) AS n FROM revchain_version_log"),
        0
    );

    // Once the log accepts lines again, `stamp` resolves it as the error says.
    conn.run("DROP TRIGGER refuse_log");
    migrator.stamp(&mut conn, first, false).unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    assert!(migrator.is_at_head(&mut conn).unwrap());
}
