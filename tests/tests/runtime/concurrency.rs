//! Eight processes upgrading one database at once.

use std::process::{Command, Stdio};

use revchain::Migrator;
use revchain_tests::{EXAMPLE, EXAMPLE_TABLES, Probe, TestDatabase, TestSqlite, schema_tables};

const WORKER: &str = env!("CARGO_BIN_EXE_revchain-test-worker");
const PROCESSES: usize = 8;

/// Starts the workers together and checks that each exits successfully, and
/// that together they applied every revision exactly once.
fn race(backend: &str, url: &str) -> usize {
    race_with(backend, url, "auto")
}

/// [`race`] with a lock strategy.
pub(crate) fn race_with(backend: &str, url: &str, lock: &str) -> usize {
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(WORKER)
                .args([backend, url, "example"])
                .env("REVCHAIN_TEST_LOCK", lock)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("starting a worker")
        })
        .collect();
    let mut applied = 0;
    for child in children {
        let output = child.wait_with_output().expect("waiting for a worker");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "a worker failed: {}\n{stdout}",
            String::from_utf8_lossy(&output.stderr)
        );
        applied += stdout
            .lines()
            .filter(|line| line.starts_with("starting "))
            .count();
    }
    applied
}

pub(crate) fn assert_each_revision_once(conn: &mut impl Probe) {
    for revision in EXAMPLE.iter() {
        let n = conn.count(&format!(
            "SELECT COUNT(*) AS n FROM revchain_version_log WHERE revision = '{}' AND direction = 'up'",
            revision.id()
        ));
        assert_eq!(n, 1, "revision {} was applied {n} times", revision.id());
    }
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
