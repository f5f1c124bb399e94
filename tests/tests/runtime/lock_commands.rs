//! `Migrator::lock_status` and `Migrator::release_lock`: who holds the
//! lock with each strategy, and freeing a `table` lock, live only with
//! `force`.

use revchain::{Error, LockState, LockStrategy, MigrationConnection, Migrator, Released};
use revchain_tests::{EXAMPLE, Probe, TestDatabase, TestSqlite};

use crate::locks::{hold_by_hand, while_holding};

/// The lock's lease, asserting that it is held by the row
/// [`hold_by_hand`] wrote.
fn leased_by_hand(migrator: &Migrator<'_>, conn: &mut impl MigrationConnection) -> bool {
    let status = migrator.lock_status(conn).unwrap();
    let LockState::Leased(lease) = status.state else {
        panic!("expected a leased lock, got {status}");
    };
    assert_eq!(lease.holder.pid.as_deref(), Some("4242"));
    assert_eq!(lease.holder.host.as_deref(), Some("elsewhere"));
    assert_eq!(lease.holder.application.as_deref(), Some("hand"));
    assert!(lease.holder.since.is_some() && lease.expires_at.is_some());
    lease.expired
}

/// The `table` lock: free before it was ever taken (and `status` creates
/// nothing), held by a live lease that `release` refuses and `force`
/// frees, and an expired lease that `release` frees.
fn table_status_and_release<C: MigrationConnection + Probe>(
    conn: &mut C,
    live: &str,
    expired: &str,
) {
    let migrator = Migrator::new(&EXAMPLE).lock(LockStrategy::Table);
    let status = migrator.lock_status(conn).unwrap();
    assert_eq!(status.strategy, LockStrategy::Table);
    assert_eq!(status.table.as_deref(), Some("revchain_version_lock"));
    assert_eq!(status.state, LockState::Free);
    assert!(conn.tables().is_empty(), "`lock_status` created a table");
    assert_eq!(migrator.release_lock(conn, false).unwrap(), Released::Free);

    // Creates the lock table, and releases the lock.
    migrator.upgrade(conn, "base").unwrap();
    assert_eq!(migrator.lock_status(conn).unwrap().state, LockState::Free);

    hold_by_hand(conn, live);
    assert!(!leased_by_hand(&migrator, conn), "the lease is live");
    let error = migrator.release_lock(conn, false).unwrap_err();
    let Error::LockLive { table, holder, .. } = &error else {
        panic!("expected a refusal of a live lease, got: {error}");
    };
    assert_eq!(table, "revchain_version_lock");
    assert_eq!(holder.pid.as_deref(), Some("4242"));
    assert!(error.to_string().contains("`--force`"), "{error}");
    assert!(
        !leased_by_hand(&migrator, conn),
        "a refusal changed the lock"
    );
    match migrator.release_lock(conn, true).unwrap() {
        Released::Freed { table, lease } => {
            assert_eq!(table, "revchain_version_lock");
            assert!(!lease.expired);
            assert_eq!(lease.holder.pid.as_deref(), Some("4242"));
        }
        other => panic!("expected the live lease freed, got {other:?}"),
    }
    assert_eq!(migrator.lock_status(conn).unwrap().state, LockState::Free);

    hold_by_hand(conn, expired);
    assert!(leased_by_hand(&migrator, conn), "the lease has expired");
    match migrator.release_lock(conn, false).unwrap() {
        Released::Freed { lease, .. } => assert!(lease.expired),
        other => panic!("expected the expired lease freed, got {other:?}"),
    }
    assert_eq!(migrator.lock_status(conn).unwrap().state, LockState::Free);
    assert_eq!(migrator.release_lock(conn, false).unwrap(), Released::Free);
    migrator.upgrade(conn, "head").unwrap();
}

crate::with_leases!(
    table_lock_status_and_release_on_sqlite,
    table_lock_status_and_release_on_postgres,
    table_lock_status_and_release_on_mysql,
    table_status_and_release
);

/// While `holder` (whose server connection id is `id`) holds the
/// `advisory` lock, `lock_status` on `other` names it, and `release_lock`
/// refuses, saying how to end the holder's connection (`terminate`); once
/// the holder is done, the lock is free. `auto` resolves to `advisory`.
fn advisory_status<C: MigrationConnection + Send>(
    holder: C,
    mut other: C,
    id: i64,
    terminate: &str,
) {
    let auto = Migrator::new(&EXAMPLE);
    assert_eq!(
        auto.lock_status(&mut other).unwrap().strategy,
        LockStrategy::Advisory
    );
    while_holding(LockStrategy::Advisory, holder, |migrator| {
        let status = migrator.lock_status(&mut other).unwrap();
        assert_eq!(status.table, None);
        let LockState::Held(named) = status.state else {
            panic!("expected the session holding the lock, got {status}");
        };
        assert_eq!(named.pid, Some(id.to_string()));
        let error = migrator.release_lock(&mut other, true).unwrap_err();
        assert!(matches!(error, Error::LockRelease { .. }), "{error}");
        assert!(error.to_string().contains(terminate), "{error}");
    });
    assert_eq!(auto.lock_status(&mut other).unwrap().state, LockState::Free);
}

#[test]
fn advisory_lock_status_names_the_session_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let mut holder = db.pg();
    let pid = holder.count("SELECT CAST(pg_backend_pid() AS BIGINT) AS n");
    advisory_status(holder, db.pg(), pid, "pg_terminate_backend(PID)");
}

#[test]
fn advisory_lock_status_names_the_session_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let mut holder = db.mysql_conn();
    let id = holder.count("SELECT CAST(CONNECTION_ID() AS SIGNED) AS n");
    advisory_status(holder, db.mysql_conn(), id, "`KILL PID`");
}

#[test]
fn sqlite_advisory_and_none_say_what_they_can() {
    let db = TestSqlite::new();
    let mut conn = db.conn();
    let auto = Migrator::new(&EXAMPLE);
    let status = auto.lock_status(&mut conn).unwrap();
    assert_eq!(status.strategy, LockStrategy::Advisory);
    assert_eq!(status.state, LockState::Unknown);
    let error = auto.release_lock(&mut conn, true).unwrap_err();
    assert!(matches!(error, Error::LockRelease { .. }), "{error}");

    let none = auto.clone().lock(LockStrategy::None);
    assert_eq!(
        none.lock_status(&mut conn).unwrap().state,
        LockState::NoLock
    );
    assert!(matches!(
        none.release_lock(&mut conn, false),
        Err(Error::LockRelease { .. })
    ));
    assert!(conn.tables().is_empty(), "a read created a table");
}

#[test]
fn an_advisory_lock_held_in_another_database_is_not_this_one_s_on_postgres() {
    let (Some(one), Some(other)) = (TestDatabase::postgres(), TestDatabase::postgres()) else {
        return;
    };
    // PostgreSQL's advisory locks belong to one database: the same key held
    // in `one` neither blocks nor is reported in `other`.
    let mut elsewhere = other.pg();
    crate::locks::while_holding(LockStrategy::Advisory, one.pg(), |migrator| {
        assert_eq!(
            migrator.lock_status(&mut elsewhere).unwrap().state,
            LockState::Free
        );
        migrator.upgrade(&mut elsewhere, "head").unwrap();
    });
}
