//! The lock strategies: `table` applies each revision once with eight
//! processes racing, a waiting process names the holder and gives up at the
//! lock timeout, and a `table` lock whose lease expired is taken over.

use std::sync::mpsc;
use std::time::Duration;

use revchain::{Error, LockHolder, LockStrategy, MigrationConnection, Migrator, Progress};
use revchain_tests::{EXAMPLE, Probe, TestDatabase, TestSqlite, assert_each_revision_once};

use crate::concurrency::race_with;

#[test]
fn eight_processes_with_the_table_lock_apply_each_revision_once_on_sqlite() {
    let db = TestSqlite::new();
    assert_eq!(race_with("sqlite", &db.path, "table"), EXAMPLE.len());
    let mut conn = db.conn();
    assert_each_revision_once(&mut conn);
    assert!(Migrator::new(&EXAMPLE).is_at_head(&mut conn).unwrap());
}

#[test]
fn eight_processes_with_the_table_lock_apply_each_revision_once_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    assert_eq!(race_with("postgres", &db.url, "table"), EXAMPLE.len());
    let mut conn = db.pg();
    assert_each_revision_once(&mut conn);
    assert!(Migrator::new(&EXAMPLE).is_at_head(&mut conn).unwrap());
}

#[test]
fn eight_processes_with_the_table_lock_apply_each_revision_once_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    assert_eq!(race_with("mysql", &db.url, "table"), EXAMPLE.len());
    let mut conn = db.mysql_conn();
    assert_each_revision_once(&mut conn);
    assert!(Migrator::new(&EXAMPLE).is_at_head(&mut conn).unwrap());
}

/// Runs an upgrade on `holder` that stops, holding the migration lock, when
/// its first revision starts; meanwhile runs `f`. Then lets the holder
/// finish, which must reach head, and returns what `f` returned.
pub(crate) fn while_holding<C: MigrationConnection + Send, T>(
    strategy: LockStrategy,
    mut holder: C,
    f: impl FnOnce(&Migrator<'static>) -> T,
) -> T {
    let migrator = &Migrator::new(&EXAMPLE).lock(strategy);
    let (holding, started) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let holding_thread = scope.spawn(move || {
            let mut first = true;
            migrator
                .upgrade_with_progress(&mut holder, "head", &mut |event| {
                    if matches!(event, Progress::Starting { .. }) && first {
                        first = false;
                        holding.send(()).unwrap();
                        released.recv().unwrap();
                    }
                })
                .unwrap();
            assert!(migrator.is_at_head(&mut holder).unwrap());
            holder
        });
        started.recv().unwrap();
        let value = f(migrator);
        release.send(()).unwrap();
        drop(holding_thread.join().unwrap());
        value
    })
}

/// While `holder` holds the migration lock (see [`while_holding`]), an
/// upgrade on `waiter` with a lock timeout of two seconds must report who
/// holds it and time out. Returns the waiter's error and the holders its
/// progress named.
fn hold_and_wait<C: MigrationConnection + Send>(
    strategy: LockStrategy,
    holder: C,
    mut waiter: C,
) -> (Error, Vec<Option<LockHolder>>) {
    while_holding(strategy, holder, |migrator| {
        let mut waits = Vec::new();
        let error = migrator
            .clone()
            .lock_timeout(Some(Duration::from_secs(2)))
            .upgrade_with_progress(&mut waiter, "head", &mut |event| {
                if let Progress::Waiting { holder, .. } = event {
                    waits.push(holder);
                }
            })
            .expect_err("the lock is held: the waiter must time out");
        (error, waits)
    })
}

/// The holder named in a lock timeout.
fn timed_out_holder(error: Error) -> LockHolder {
    match error {
        Error::LockTimeout {
            holder: Some(holder),
            ..
        } => holder,
        other => panic!("expected a lock timeout naming the holder, got: {other}"),
    }
}

#[test]
fn a_waiting_process_names_the_advisory_holder_and_times_out_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let mut holder = db.pg();
    let pid = holder.count("SELECT CAST(pg_backend_pid() AS BIGINT) AS n");
    let (error, waits) = hold_and_wait(LockStrategy::Advisory, holder, db.pg());
    let named = timed_out_holder(error);
    assert_eq!(named.pid, Some(pid.to_string()));
    assert!(
        waits
            .iter()
            .any(|w| w.as_ref().and_then(|h| h.pid.clone()) == Some(pid.to_string())),
        "no waiting report named pid {pid}: {waits:?}"
    );
}

#[test]
fn a_waiting_process_names_the_advisory_holder_and_times_out_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let mut holder = db.mysql_conn();
    let id = holder.count("SELECT CAST(CONNECTION_ID() AS SIGNED) AS n");
    let (error, waits) = hold_and_wait(LockStrategy::Advisory, holder, db.mysql_conn());
    assert_eq!(timed_out_holder(error).pid, Some(id.to_string()));
    assert!(!waits.is_empty(), "the waiter never said it was waiting");
}

#[test]
fn a_waiting_process_names_the_table_holder_and_times_out_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let (error, waits) = hold_and_wait(LockStrategy::Table, db.pg(), db.pg());
    let named = timed_out_holder(error);
    assert_eq!(named.pid, Some(std::process::id().to_string()));
    assert!(named.since.is_some());
    assert!(!waits.is_empty(), "the waiter never said it was waiting");
}

#[test]
fn a_waiting_process_names_the_table_holder_and_times_out_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let (error, waits) = hold_and_wait(LockStrategy::Table, db.mysql_conn(), db.mysql_conn());
    assert_eq!(
        timed_out_holder(error).pid,
        Some(std::process::id().to_string())
    );
    assert!(!waits.is_empty(), "the waiter never said it was waiting");
}

/// A lock row written by hand: held by pid 4242 on `elsewhere`, with a
/// lease that ends `expires` (SQL, in the database's clock).
pub(crate) fn hold_by_hand(conn: &mut impl Probe, expires: &str) {
    conn.run(&format!(
        "UPDATE revchain_version_lock SET token = 'by-hand', host = 'elsewhere', pid = '4242', application = 'hand', taken_at = {expires}, expires_at = {expires} WHERE id = 1"
    ));
}

/// With a lock row whose lease is live, an upgrade times out naming its
/// holder and changes nothing; once the lease has expired, an upgrade takes
/// the lock over and reaches head, and releases the lock.
fn live_lease_blocks_and_expired_lease_is_taken_over<C: MigrationConnection + Probe>(
    conn: &mut C,
    live: &str,
    expired: &str,
) {
    let migrator = Migrator::new(&EXAMPLE).lock(LockStrategy::Table);
    // Creates the lock table.
    migrator.upgrade(conn, "base").unwrap();
    hold_by_hand(conn, live);
    let error = migrator
        .clone()
        .lock_timeout(Some(Duration::from_millis(300)))
        .upgrade(conn, "head")
        .expect_err("a live lease holds the lock");
    let named = timed_out_holder(error);
    assert_eq!(named.pid.as_deref(), Some("4242"));
    assert_eq!(named.host.as_deref(), Some("elsewhere"));
    assert_eq!(named.application.as_deref(), Some("hand"));
    assert_eq!(migrator.current(conn).unwrap(), None, "nothing may run");

    hold_by_hand(conn, expired);
    let report = migrator.upgrade(conn, "head").unwrap();
    assert_eq!(report.steps.len(), EXAMPLE.len());
    assert_eq!(
        conn.count("SELECT COUNT(*) AS n FROM revchain_version_lock WHERE token IS NOT NULL"),
        0,
        "the lock was not released"
    );
}

/// Three tests, one per backend, each running `$check(&mut conn, live,
/// expired)` on a fresh database, where `live` and `expired` are SQL for a
/// lease that ends in an hour and one that ended an hour ago.
#[macro_export]
macro_rules! with_leases {
    ($sqlite:ident, $pg:ident, $mysql:ident, $check:path) => {
        #[test]
        fn $sqlite() {
            let db = revchain_tests::TestSqlite::new();
            $check(
                &mut db.conn(),
                "datetime('now', '+1 hour')",
                "datetime('now', '-1 hour')",
            );
        }

        #[test]
        fn $pg() {
            if let Some(db) = revchain_tests::TestDatabase::postgres() {
                $check(
                    &mut db.pg(),
                    "CURRENT_TIMESTAMP + INTERVAL '1 hour'",
                    "CURRENT_TIMESTAMP - INTERVAL '1 hour'",
                );
            }
        }

        #[test]
        fn $mysql() {
            if let Some(db) = revchain_tests::TestDatabase::mysql() {
                $check(
                    &mut db.mysql_conn(),
                    "CURRENT_TIMESTAMP(6) + INTERVAL 1 HOUR",
                    "CURRENT_TIMESTAMP(6) - INTERVAL 1 HOUR",
                );
            }
        }
    };
}

crate::with_leases!(
    a_table_lock_with_a_live_lease_blocks_and_an_expired_one_is_taken_over_on_sqlite,
    a_table_lock_with_a_live_lease_blocks_and_an_expired_one_is_taken_over_on_postgres,
    a_table_lock_with_a_live_lease_blocks_and_an_expired_one_is_taken_over_on_mysql,
    live_lease_blocks_and_expired_lease_is_taken_over
);

#[test]
fn lock_strategies_parse_from_their_names_only() {
    for strategy in [
        LockStrategy::Auto,
        LockStrategy::Advisory,
        LockStrategy::Table,
        LockStrategy::None,
    ] {
        assert_eq!(strategy.as_str().parse::<LockStrategy>(), Ok(strategy));
    }
    assert!("tables".parse::<LockStrategy>().is_err());
    assert!("".parse::<LockStrategy>().is_err());
}
