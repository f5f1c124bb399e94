//! Eight processes upgrading one database at once.

use revchain::Migrator;
use revchain_tests::{
    EXAMPLE, EXAMPLE_TABLES, Probe, TestDatabase, TestSqlite, assert_each_revision_once,
    schema_tables,
};

const WORKER: &str = env!("CARGO_BIN_EXE_revchain-test-worker");
const PROCESSES: usize = 8;

/// Starts the workers together and checks that each exits successfully;
/// returns how many revisions they ran together.
fn race(backend: &str, url: &str) -> usize {
    race_with(backend, url, "auto")
}

/// [`race`] with a lock strategy.
pub(crate) fn race_with(backend: &str, url: &str, lock: &str) -> usize {
    revchain_tests::race(WORKER, backend, &vec![url.to_owned(); PROCESSES], lock)
}

#[test]
fn eight_processes_apply_each_revision_once_on_sqlite() {
    let db = TestSqlite::new();
    assert_eq!(race("sqlite", &db.path), EXAMPLE.len());
    let mut conn = db.conn();
    assert_each_revision_once(&mut conn);
    assert_eq!(schema_tables(conn.tables()), EXAMPLE_TABLES);
    assert!(Migrator::new(&EXAMPLE).is_at_head(&mut conn).unwrap());
}

#[test]
fn eight_processes_apply_each_revision_once_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    assert_eq!(race("postgres", &db.url), EXAMPLE.len());
    let mut conn = db.pg();
    assert_each_revision_once(&mut conn);
    assert!(Migrator::new(&EXAMPLE).is_at_head(&mut conn).unwrap());
}

#[test]
fn eight_processes_apply_each_revision_once_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    assert_eq!(race("mysql", &db.url), EXAMPLE.len());
    let mut conn = db.mysql_conn();
    assert_each_revision_once(&mut conn);
    assert!(Migrator::new(&EXAMPLE).is_at_head(&mut conn).unwrap());
}
