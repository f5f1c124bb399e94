//! A read-only server, session or file: `upgrade`, `downgrade` and `stamp`
//! refuse before writing anything; the commands that only read keep working.

use diesel::Connection;
use revchain::{Error, LockStrategy, MigrationConnection, Migrator};
use revchain_tests::{EXAMPLE, Probe, TestDatabase, TestSqlite};

const FIRST: &str = "2026-01-05-090000";

fn assert_read_only<T: std::fmt::Debug>(result: Result<T, Error>, operation: &str, what: &str) {
    match result {
        Err(error @ Error::ReadOnly { .. }) => {
            let text = error.to_string();
            assert!(
                text.starts_with(&format!("cannot `{operation}`: {what}")),
                "{text}"
            );
            assert!(text.contains("nothing was written"), "{text}");
            assert!(text.contains("\n  = help: "), "{text}");
        }
        other => panic!("expected a read-only refusal, got {other:?}"),
    }
}

/// Every writing command refuses, every reading one works, and nothing
/// changed: the database stays at the first revision with its one log line.
fn refuses_writes(conn: &mut (impl MigrationConnection + Probe), what: &str) {
    let migrator = Migrator::new(&EXAMPLE);
    assert_read_only(migrator.upgrade(conn, "head"), "upgrade", what);
    assert_read_only(migrator.downgrade(conn, "base"), "downgrade", what);
    assert_read_only(migrator.stamp(conn, "head", false), "stamp", what);
    assert_eq!(migrator.current(conn).unwrap().as_deref(), Some(FIRST));
    let status = migrator.status(conn).unwrap();
    assert_eq!(status.pending.len(), EXAMPLE.len() - 1);
    assert!(!migrator.is_at_head(conn).unwrap());
    migrator.verify(conn).unwrap();
    assert_eq!(
        conn.count("SELECT COUNT(*) AS n FROM revchain_version_log"),
        1
    );
}

/// A SQLite file opened read-only through a URI filename (`mode=ro`):
/// tests run as root, which file permissions do not stop, so a `chmod`
/// would prove nothing here. SQLite refuses the first write (revchain's
/// `INSERT OR IGNORE` of the version row), before anything is written.
#[test]
fn read_only_sqlite_file_refuses_writes() {
    let db = TestSqlite::new();
    Migrator::new(&EXAMPLE)
        .upgrade(&mut db.conn(), FIRST)
        .unwrap();
    let mut conn =
        diesel::SqliteConnection::establish(&format!("file:{}?mode=ro", db.path)).unwrap();
    refuses_writes(&mut conn, "the SQLite file is read-only");
}

/// A read-only SQLite file that was never migrated: still refused, and the
/// reading commands say base.
#[test]
fn read_only_empty_sqlite_file_refuses_writes() {
    let db = TestSqlite::new();
    db.conn().run("CREATE TABLE other (id INTEGER)");
    let mut conn =
        diesel::SqliteConnection::establish(&format!("file:{}?mode=ro", db.path)).unwrap();
    let migrator = Migrator::new(&EXAMPLE);
    assert_read_only(
        migrator.upgrade(&mut conn, "head"),
        "upgrade",
        "the SQLite file is read-only",
    );
    assert_eq!(migrator.current(&mut conn).unwrap(), None);
    assert_eq!(db.conn().tables(), vec!["other".to_owned()]);
}

/// `PRAGMA query_only` on the connection: the one query of the check.
#[test]
fn query_only_sqlite_connection_refuses_writes() {
    let db = TestSqlite::new();
    let mut conn = db.conn();
    Migrator::new(&EXAMPLE).upgrade(&mut conn, FIRST).unwrap();
    conn.run("PRAGMA query_only = ON");
    refuses_writes(&mut conn, "the SQLite connection is read-only");
}

/// `default_transaction_read_only` on the test's own database, as a replica
/// would be seen by a session: `transaction_read_only` is `on`. (A hot
/// standby, `pg_is_in_recovery()`, is the same check's other branch.)
#[test]
fn read_only_postgres_database_refuses_writes() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let mut conn = db.pg();
    Migrator::new(&EXAMPLE).upgrade(&mut conn, FIRST).unwrap();
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    conn.run(&format!(
        "ALTER DATABASE {name} SET default_transaction_read_only = on"
    ));
    drop(conn);
    let mut conn = db.pg();
    refuses_writes(&mut conn, "this session is read-only");
    let error = Migrator::new(&EXAMPLE)
        .upgrade(&mut conn, "head")
        .unwrap_err()
        .to_string();
    assert!(error.contains("transaction_read_only"), "{error}");
    assert!(error.contains("run this against the primary"), "{error}");
}

/// At head, on a connection that cannot write, `upgrade head` has nothing
/// to do and succeeds, writing nothing; a target it would have to write for
/// is still refused.
fn nothing_to_do_at_head(conn: &mut (impl MigrationConnection + Probe)) {
    for lock in [LockStrategy::Auto, LockStrategy::Table, LockStrategy::None] {
        let migrator = Migrator::new(&EXAMPLE).lock(lock);
        let report = migrator.upgrade(conn, "head").unwrap();
        assert!(report.steps.is_empty(), "{lock:?}");
        assert_eq!(report.from.as_deref(), Some(HEAD));
        assert_eq!(report.to.as_deref(), Some(HEAD));
        assert!(migrator.is_at_head(conn).unwrap());
        // `downgrade head` at head: nothing to do either.
        assert!(migrator.downgrade(conn, "head").unwrap().steps.is_empty());
    }
    assert!(Migrator::new(&EXAMPLE).downgrade(conn, "-1").is_err());
}

const HEAD: &str = "2026-05-18-094500";

/// Migrates to head on a writable connection first, with every lock table.
fn at_head(conn: &mut impl MigrationConnection) {
    Migrator::new(&EXAMPLE)
        .lock(LockStrategy::Table)
        .upgrade(conn, "head")
        .unwrap();
}

#[test]
fn upgrade_at_head_on_a_read_only_sqlite_file_succeeds() {
    let db = TestSqlite::new();
    at_head(&mut db.conn());
    let mut conn =
        diesel::SqliteConnection::establish(&format!("file:{}?mode=ro", db.path)).unwrap();
    nothing_to_do_at_head(&mut conn);
    assert_read_only(
        Migrator::new(&EXAMPLE).downgrade(&mut conn, "base"),
        "downgrade",
        "the SQLite file is read-only",
    );
}

#[test]
fn upgrade_at_head_on_a_query_only_sqlite_connection_succeeds() {
    let db = TestSqlite::new();
    let mut conn = db.conn();
    at_head(&mut conn);
    conn.run("PRAGMA query_only = ON");
    nothing_to_do_at_head(&mut conn);
}

#[test]
fn upgrade_at_head_on_a_read_only_postgres_database_and_session_succeeds() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let mut conn = db.pg();
    at_head(&mut conn);
    // The session alone.
    conn.run("SET default_transaction_read_only = on");
    nothing_to_do_at_head(&mut conn);
    assert_read_only(
        Migrator::new(&EXAMPLE).downgrade(&mut conn, "base"),
        "downgrade",
        "this session is read-only",
    );
    // The whole (test) database.
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    conn.run("SET default_transaction_read_only = off");
    conn.run(&format!(
        "ALTER DATABASE {name} SET default_transaction_read_only = on"
    ));
    drop(conn);
    nothing_to_do_at_head(&mut db.pg());
}

#[test]
fn upgrade_at_head_in_a_read_only_mariadb_session_succeeds() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let mut conn = db.mysql_conn();
    at_head(&mut conn);
    conn.run("SET SESSION TRANSACTION READ ONLY");
    nothing_to_do_at_head(&mut conn);
    assert_read_only(
        Migrator::new(&EXAMPLE).downgrade(&mut conn, "base"),
        "downgrade",
        "this session is read-only",
    );
    conn.run("SET SESSION TRANSACTION READ WRITE");
    assert!(Migrator::new(&EXAMPLE).is_at_head(&mut conn).unwrap());
}
