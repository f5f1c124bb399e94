//! Async pools, as a diesel user on tokio reaches them, each with the
//! pattern README's runtime section shows:
//!
//! - diesel-async's own pools (`diesel_async::pooled_connection::deadpool`
//!   and `bb8`) hand out async connections: their pooled object is itself an
//!   `AsyncConnection` (diesel-async implements it for every `DerefMut` to
//!   one), so it moves, as it is, into `AsyncConnectionWrapper` inside
//!   `tokio::task::spawn_blocking`; bb8's through `get_owned`, the object
//!   that does not borrow the pool. On PostgreSQL and MariaDB.
//! - deadpool-diesel hands out diesel's own connections: revchain runs in
//!   `Object::interact`'s closure, on the `&mut` connection it is given. On
//!   SQLite, PostgreSQL and MariaDB.
//!
//! For each: the example history reaches head through one pooled connection
//! and `is_at_head` says so through another of the same pool; a failing
//! revision leaves its connection usable, and the pool (of one) hands the
//! same connection out again, its temporary table still there.

use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, bb8, deadpool};
use diesel_async::{AsyncConnection, AsyncMysqlConnection, AsyncPgConnection};
use revchain::{Error, MigrationConnection, Migrator};
use revchain_tests::fixtures::FAILING;
use revchain_tests::{EXAMPLE, TestDatabase, TestSqlite, assert_each_revision_once};

use crate::async_wrapper::assert_usable;

/// Upgrades the example history to head through `conn`, leaving diesel's
/// transaction manager as it found it.
fn upgrade<C: MigrationConnection + Connection>(conn: &mut C) {
    let report = Migrator::new(&EXAMPLE).upgrade(conn, "head").unwrap();
    assert_eq!(report.steps.len(), EXAMPLE.len());
    assert_usable(conn);
}

/// Whether the example history is at head, as `conn` sees it.
fn at_head<C: MigrationConnection>(conn: &mut C) -> bool {
    Migrator::new(&EXAMPLE).is_at_head(conn).unwrap()
}

/// Marks the connection's session with a temporary table, then fails a
/// revision through it: the failure is reported and the connection stays
/// usable.
fn mark_and_fail<C: MigrationConnection + Connection>(conn: &mut C) {
    conn.batch_execute("CREATE TEMPORARY TABLE pool_marker (x INTEGER)")
        .unwrap();
    let migrator = Migrator::new(&FAILING);
    let error = migrator.upgrade(conn, "head").unwrap_err();
    assert!(matches!(error, Error::RevisionFailed(_)), "{error}");
    assert_usable(conn);
}

/// The connection is the one [`mark_and_fail`] used (its session's
/// temporary table is there), and it is usable: diesel's transaction
/// manager at depth 0 and revchain reading through it.
fn assert_reused<C: MigrationConnection + Connection>(conn: &mut C) {
    conn.batch_execute("DELETE FROM pool_marker")
        .expect("the pool hands out the connection that failed, not a new one");
    assert_usable(conn);
    assert!(!Migrator::new(&FAILING).is_at_head(conn).unwrap());
}

/// Runs `f` on a pooled async connection the way an application on tokio
/// does: the pooled object moves into a blocking task and is wrapped there
/// (`AsyncConnectionWrapper` blocks on the runtime, which a runtime thread
/// must not); dropping the wrapper returns the object to its pool.
async fn blocking<P, R>(
    pooled: P,
    f: impl FnOnce(&mut AsyncConnectionWrapper<P>) -> R + Send + 'static,
) -> R
where
    P: AsyncConnection + 'static,
    R: Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let mut conn: AsyncConnectionWrapper<_> = pooled.into();
        f(&mut conn)
    })
    .await
    .unwrap()
}

/// A diesel-async deadpool of `size` connections to `url`.
macro_rules! deadpool_of {
    ($connection:ty, $url:expr, $size:expr) => {
        deadpool::Pool::builder(AsyncDieselConnectionManager::<$connection>::new($url))
            .max_size($size)
            .build()
            .unwrap()
    };
}

/// A diesel-async bb8 pool of `size` connections to `url`.
macro_rules! bb8_of {
    ($connection:ty, $url:expr, $size:expr) => {
        bb8::Pool::builder()
            .max_size($size)
            .build(AsyncDieselConnectionManager::<$connection>::new($url))
            .await
            .unwrap()
    };
}

#[tokio::test(flavor = "multi_thread")]
async fn diesel_async_deadpool_upgrades_and_checks_head_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let pool = deadpool_of!(AsyncPgConnection, &db.url, 2);
    let (first, second) = (pool.get().await.unwrap(), pool.get().await.unwrap());
    blocking(first, upgrade).await;
    assert!(blocking(second, at_head).await);
    assert_each_revision_once(&mut db.pg());
}

#[tokio::test(flavor = "multi_thread")]
async fn diesel_async_deadpool_upgrades_and_checks_head_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let pool = deadpool_of!(AsyncMysqlConnection, &db.url, 2);
    let (first, second) = (pool.get().await.unwrap(), pool.get().await.unwrap());
    blocking(first, upgrade).await;
    assert!(blocking(second, at_head).await);
    assert_each_revision_once(&mut db.mysql_conn());
}

#[tokio::test(flavor = "multi_thread")]
async fn diesel_async_deadpool_reuses_a_connection_after_a_failing_revision_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let pool = deadpool_of!(AsyncPgConnection, &db.url, 1);
    blocking(pool.get().await.unwrap(), mark_and_fail).await;
    blocking(pool.get().await.unwrap(), assert_reused).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn diesel_async_deadpool_reuses_a_connection_after_a_failing_revision_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let pool = deadpool_of!(AsyncMysqlConnection, &db.url, 1);
    blocking(pool.get().await.unwrap(), mark_and_fail).await;
    blocking(pool.get().await.unwrap(), assert_reused).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn diesel_async_bb8_upgrades_and_checks_head_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let pool = bb8_of!(AsyncPgConnection, &db.url, 2);
    let first = pool.get_owned().await.unwrap();
    let second = pool.get_owned().await.unwrap();
    blocking(first, upgrade).await;
    assert!(blocking(second, at_head).await);
    assert_each_revision_once(&mut db.pg());
}

#[tokio::test(flavor = "multi_thread")]
async fn diesel_async_bb8_upgrades_and_checks_head_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let pool = bb8_of!(AsyncMysqlConnection, &db.url, 2);
    let first = pool.get_owned().await.unwrap();
    let second = pool.get_owned().await.unwrap();
    blocking(first, upgrade).await;
    assert!(blocking(second, at_head).await);
    assert_each_revision_once(&mut db.mysql_conn());
}

#[tokio::test(flavor = "multi_thread")]
async fn diesel_async_bb8_reuses_a_connection_after_a_failing_revision_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let pool = bb8_of!(AsyncPgConnection, &db.url, 1);
    blocking(pool.get_owned().await.unwrap(), mark_and_fail).await;
    blocking(pool.get_owned().await.unwrap(), assert_reused).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn diesel_async_bb8_reuses_a_connection_after_a_failing_revision_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let pool = bb8_of!(AsyncMysqlConnection, &db.url, 1);
    blocking(pool.get_owned().await.unwrap(), mark_and_fail).await;
    blocking(pool.get_owned().await.unwrap(), assert_reused).await;
}

/// deadpool-diesel's pools, one module per backend, each the same tests.
macro_rules! deadpool_diesel_tests {
    ($backend:ident, $database:expr, $url:ident, $check:ident) => {
        mod $backend {
            use super::*;
            use deadpool_diesel::$backend::{Manager, Pool};

            /// A deadpool-diesel pool of `size` connections to `url`.
            fn pool_of(url: &str, size: usize) -> Pool {
                Pool::builder(Manager::new(url, deadpool_diesel::Runtime::Tokio1))
                    .max_size(size)
                    .build()
                    .unwrap()
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn deadpool_diesel_upgrades_and_checks_head() {
                let Some(db) = $database else {
                    return;
                };
                let pool = pool_of(&db.$url, 2);
                let (first, second) = (pool.get().await.unwrap(), pool.get().await.unwrap());
                first.interact(upgrade).await.unwrap();
                assert!(second.interact(at_head).await.unwrap());
                assert_each_revision_once(&mut db.$check());
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn deadpool_diesel_reuses_a_connection_after_a_failing_revision() {
                let Some(db) = $database else {
                    return;
                };
                let pool = pool_of(&db.$url, 1);
                let conn = pool.get().await.unwrap();
                conn.interact(mark_and_fail).await.unwrap();
                drop(conn);
                let conn = pool.get().await.unwrap();
                conn.interact(assert_reused).await.unwrap();
            }
        }
    };
}

deadpool_diesel_tests!(sqlite, Some(TestSqlite::new()), path, conn);
deadpool_diesel_tests!(postgres, TestDatabase::postgres(), url, pg);
deadpool_diesel_tests!(mysql, TestDatabase::mysql(), url, mysql_conn);
