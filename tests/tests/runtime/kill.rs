//! `kill -9` in the middle of a revision leaves nothing of it behind on the
//! backends with transactional DDL.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use revchain::Migrator;
use revchain_tests::fixtures::{SLOW_POSTGRES, SLOW_SQLITE};
use revchain_tests::{Probe, TestDatabase, TestSqlite};

const WORKER: &str = env!("CARGO_BIN_EXE_revchain-test-worker");

/// Starts a worker and returns once it has started the slow revision `2`.
fn start_until_slow_revision(backend: &str, url: &str, history: &str) -> Child {
    let mut child = Command::new(WORKER)
        .args([backend, url, history])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting a worker");
    let stdout = child.stdout.take().expect("the worker's stdout");
    for line in BufReader::new(stdout).lines() {
        if line.expect("reading the worker") == "starting 2" {
            return child;
        }
    }
    kill(child);
    panic!("the worker ended before starting revision 2");
}

/// Asks `done` every 50 ms, for at most a minute.
fn poll_until(
    conn: &mut diesel::PgConnection,
    mut done: impl FnMut(&mut diesel::PgConnection) -> bool,
) {
    for _ in 0..1200 {
        if done(conn) {
            return;
        }
        conn.run("SELECT pg_sleep(0.05)");
    }
    panic!("gave up after a minute");
}

fn kill(mut child: Child) {
    child.kill().expect("SIGKILL");
    child.wait().expect("reaping the worker");
}

#[test]
fn killed_upgrade_leaves_no_partial_revision_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let mut conn = db.pg();
    // Have the server check for a vanished client while a query runs, as a
    // production server would be configured to; otherwise it notices only
    // when the sleep ends.
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    conn.run(&format!(
        "ALTER DATABASE {name} SET client_connection_check_interval = '100ms'"
    ));
    let sleeping =
        "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(300)%'";
    let child = start_until_slow_revision("postgres", &db.url, "slow_postgres");
    // Wait until the revision's first statement has run and it sleeps.
    poll_until(&mut conn, |conn| conn.count(sleeping) == 1);
    kill(child);
    // The server notices the dead client and rolls its transaction back.
    poll_until(&mut conn, |conn| conn.count(sleeping) == 0);
    let tables = conn.tables();
    assert!(!tables.contains(&"partial".to_owned()), "{tables:?}");
    let migrator = Migrator::new(&SLOW_POSTGRES);
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!((status.current.as_deref(), status.dirty), (Some("1"), None));
    // The lock died with the process: a new run can take it.
    assert_eq!(migrator.upgrade(&mut conn, "1").unwrap().steps.len(), 0);
}

#[test]
fn killed_upgrade_leaves_no_partial_revision_on_sqlite() {
    let db = TestSqlite::new();
    let child = start_until_slow_revision("sqlite", &db.path, "slow_sqlite");
    kill(child);
    let mut conn = db.conn();
    let tables = conn.tables();
    assert!(!tables.contains(&"partial".to_owned()), "{tables:?}");
    let migrator = Migrator::new(&SLOW_SQLITE);
    let status = migrator.status(&mut conn).unwrap();
    assert_eq!((status.current.as_deref(), status.dirty), (Some("1"), None));
}
