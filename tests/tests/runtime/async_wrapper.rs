//! diesel-async's pure-Rust connections (`AsyncPgConnection` on
//! tokio-postgres, `AsyncMysqlConnection` on mysql_async), through its
//! `AsyncConnectionWrapper`: revchain migrates them as it does diesel's own,
//! each revision exactly once, and leaves the connection's transaction
//! manager as it found it.

use diesel::Connection;
use diesel::connection::TransactionManager;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncMysqlConnection, AsyncPgConnection};
use revchain::{Error, MigrationConnection, Migrator};
use revchain_tests::fixtures::FAILING;
use revchain_tests::{
    EXAMPLE, EXAMPLE_TABLES, Probe, TestDatabase, assert_each_revision_once, schema_tables,
};

const WORKER: &str = env!("CARGO_BIN_EXE_revchain-test-worker");

/// Upgrades, checks, downgrades to base and upgrades again through `conn`;
/// after each, diesel's own transaction API still works on the connection
/// (revchain told its transaction manager of every transaction it ended).
fn upgrade_check_and_round_trip<C>(conn: &mut C)
where
    C: MigrationConnection + Connection,
{
    let migrator = Migrator::new(&EXAMPLE);
    assert!(!migrator.is_at_head(conn).unwrap());
    let report = migrator.upgrade(conn, "head").unwrap();
    assert_eq!(report.steps.len(), EXAMPLE.len());
    assert!(migrator.is_at_head(conn).unwrap());
    assert_usable(conn);
    let down = migrator.downgrade(conn, "base").unwrap();
    assert_eq!(down.steps.len(), EXAMPLE.len());
    assert_eq!(migrator.current(conn).unwrap(), None);
    assert_usable(conn);
    migrator.upgrade(conn, "head").unwrap();
    assert!(migrator.is_at_head(conn).unwrap());
    assert_usable(conn);
}

/// A failing revision is reported, and the connection stays usable: not
/// left inside a transaction, its transaction manager not broken.
fn failure_leaves_the_connection_usable<C>(conn: &mut C)
where
    C: MigrationConnection + Connection,
{
    let migrator = Migrator::new(&FAILING);
    let error = migrator.upgrade(conn, "head").unwrap_err();
    assert!(matches!(error, Error::RevisionFailed(_)), "{error}");
    assert!(!migrator.is_at_head(conn).unwrap());
    assert_usable(conn);
}

/// No transaction left open, as diesel's transaction manager sees it (a
/// transaction it was not told had ended would make the next
/// `Connection::transaction` a savepoint), and its API works.
pub(crate) fn assert_usable<C: Connection>(conn: &mut C) {
    let depth =
        <C::TransactionManager as TransactionManager<C>>::transaction_manager_status_mut(conn)
            .transaction_depth()
            .expect("diesel's transaction manager is not broken");
    assert_eq!(depth, None, "diesel believes a transaction is still open");
    conn.transaction::<_, diesel::result::Error, _>(|_| Ok(()))
        .expect("diesel's transaction API after revchain");
}

fn pg_wrapper(db: &TestDatabase) -> AsyncConnectionWrapper<AsyncPgConnection> {
    AsyncConnectionWrapper::establish(&db.url).expect("connecting with diesel-async")
}

fn mysql_wrapper(db: &TestDatabase) -> AsyncConnectionWrapper<AsyncMysqlConnection> {
    AsyncConnectionWrapper::establish(&db.url).expect("connecting with diesel-async")
}

#[test]
fn async_connection_wrapper_upgrades_and_checks_head_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    upgrade_check_and_round_trip(&mut pg_wrapper(&db));
    let mut check = db.pg();
    assert_eq!(schema_tables(check.tables()), EXAMPLE_TABLES);
    assert!(Migrator::new(&EXAMPLE).is_at_head(&mut check).unwrap());
}

#[test]
fn async_connection_wrapper_upgrades_and_checks_head_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    upgrade_check_and_round_trip(&mut mysql_wrapper(&db));
    let mut check = db.mysql_conn();
    assert_eq!(schema_tables(check.tables()), EXAMPLE_TABLES);
    assert!(Migrator::new(&EXAMPLE).is_at_head(&mut check).unwrap());
}

#[test]
fn async_connection_wrapper_survives_a_failing_revision_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    failure_leaves_the_connection_usable(&mut pg_wrapper(&db));
}

#[test]
fn async_connection_wrapper_survives_a_failing_revision_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    failure_leaves_the_connection_usable(&mut mysql_wrapper(&db));
}

#[test]
fn eight_async_processes_apply_each_revision_once_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let urls = vec![db.url.clone(); 8];
    assert_eq!(
        revchain_tests::race(WORKER, "async-postgres", &urls, "auto"),
        EXAMPLE.len()
    );
    let mut conn = db.pg();
    assert_each_revision_once(&mut conn);
    assert!(Migrator::new(&EXAMPLE).is_at_head(&mut conn).unwrap());
}

#[test]
fn eight_async_processes_apply_each_revision_once_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let urls = vec![db.url.clone(); 8];
    assert_eq!(
        revchain_tests::race(WORKER, "async-mysql", &urls, "auto"),
        EXAMPLE.len()
    );
    let mut conn = db.mysql_conn();
    assert_each_revision_once(&mut conn);
    assert!(Migrator::new(&EXAMPLE).is_at_head(&mut conn).unwrap());
}
