//! A connection killed by the server while a revision runs: the error says
//! the connection was lost and what state the database is in, never "fix
//! the SQL"; a rerun reaches head.

use revchain::{ConnectionLost, Error, Migrator, Revisions};
use revchain_tests::{Probe, TestDatabase};

/// A history whose revision `2` sleeps for as long as `sleep_control` has a
/// row (`sleep` is the dialect's sleep call): the test kills it while it
/// sleeps, then empties the table so that the rerun does not sleep.
fn sleeping_history(dir: &std::path::Path, sleep: &str) -> Revisions {
    let sleeping =
        format!("SELECT {sleep} FROM sleep_control;\nCREATE TABLE b (id INTEGER PRIMARY KEY);\n");
    crate::write_files(
        dir,
        &[
            (
                "1_create_a/up.sql",
                "CREATE TABLE a (id INTEGER PRIMARY KEY);\n",
            ),
            ("2_sleep/up.sql", &sleeping),
            ("2_sleep/metadata.toml", "parent = \"1\"\n"),
            ("HEAD", "2\n"),
        ],
    );
    Revisions::load(dir, "migrations").unwrap()
}

/// Polls `query` (a count) every 50 ms for at most a minute, until it is
/// nonzero, and returns it.
fn poll(conn: &mut impl Probe, query: &str) -> i64 {
    for _ in 0..1200 {
        let n = conn.count(query);
        if n != 0 {
            return n;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("gave up after a minute waiting for `{query}`");
}

fn lost(error: Error) -> ConnectionLost {
    match error {
        Error::ConnectionLost(lost) => *lost,
        other => panic!("expected a lost connection, got {other}"),
    }
}

#[test]
fn terminated_backend_is_a_lost_connection_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let revisions = sleeping_history(dir.path(), "pg_sleep(300)");
    let migrator = Migrator::new(&revisions);
    let mut admin = db.pg();
    admin.run("CREATE TABLE sleep_control (id INTEGER); INSERT INTO sleep_control VALUES (1)");
    migrator.upgrade(&mut admin, "1").unwrap();

    let error = std::thread::scope(|scope| {
        let run = scope.spawn(|| migrator.upgrade(&mut db.pg(), "head").unwrap_err());
        let pid = poll(
            &mut admin,
            "SELECT CAST(COALESCE(MAX(pid), 0) AS BIGINT) AS n FROM pg_stat_activity WHERE query LIKE '%SELECT pg_sleep(300) FROM sleep_control%' AND pid <> pg_backend_pid()",
        );
        admin.run(&format!("SELECT pg_terminate_backend({pid})"));
        run.join().unwrap()
    });
    let text = error.to_string();
    let lost = lost(error);
    assert_eq!(lost.revision.as_deref(), Some("2"));
    assert!(
        text.starts_with("the connection to the database was lost while running `2` (`migrations/2_sleep/up.sql` line 1)"),
        "{text}"
    );
    assert!(
        lost.state
            .contains("rolled that transaction back: the database is still at `1`"),
        "{text}"
    );
    assert!(!text.contains("fix `"), "{text}");
    assert!(
        text.ends_with("= help: run the command again: it resumes from where the database is"),
        "{text}"
    );

    // As the error says: still at `1`, clean; a rerun reaches head.
    let status = migrator.status(&mut admin).unwrap();
    assert_eq!((status.current.as_deref(), status.dirty), (Some("1"), None));
    admin.run("DELETE FROM sleep_control");
    let report = migrator.upgrade(&mut db.pg(), "head").unwrap();
    assert_eq!(report.steps.len(), 1);
    assert!(migrator.is_at_head(&mut admin).unwrap());
}

#[test]
fn killed_connection_is_a_lost_connection_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let revisions = sleeping_history(dir.path(), "SLEEP(300)");
    let migrator = Migrator::new(&revisions);
    let mut admin = db.mysql_conn();
    admin.run("CREATE TABLE sleep_control (id INTEGER); INSERT INTO sleep_control VALUES (1)");
    migrator.upgrade(&mut admin, "1").unwrap();

    let error = std::thread::scope(|scope| {
        let run = scope.spawn(|| migrator.upgrade(&mut db.mysql_conn(), "head").unwrap_err());
        let id = poll(
            &mut admin,
            "SELECT CAST(COALESCE(MAX(id), 0) AS SIGNED) AS n FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(300) FROM sleep_control%' AND id <> CONNECTION_ID()",
        );
        admin.run(&format!("KILL CONNECTION {id}"));
        run.join().unwrap()
    });
    let text = error.to_string();
    let lost = lost(error);
    assert_eq!(lost.revision.as_deref(), Some("2"));
    assert!(
        text.starts_with("the connection to the database was lost while running `2`"),
        "{text}"
    );
    assert!(
        lost.state.contains("marked dirty") && lost.state.contains("`stamp 1`"),
        "{text}"
    );
    assert!(!text.contains("fix `"), "{text}");

    // As the error says: dirty at `2`; nothing of it ran, so `stamp 1`,
    // and a rerun reaches head.
    let status = migrator.status(&mut admin).unwrap();
    assert_eq!(
        (status.current.as_deref(), status.dirty.as_deref()),
        (Some("1"), Some("2"))
    );
    migrator.stamp(&mut admin, "1", false).unwrap();
    admin.run("DELETE FROM sleep_control");
    let report = migrator.upgrade(&mut db.mysql_conn(), "head").unwrap();
    assert_eq!(report.steps.len(), 1);
    assert!(migrator.is_at_head(&mut admin).unwrap());
}
