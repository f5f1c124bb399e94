//! A pool's connection, as it is: r2d2's `PooledConnection`, a
//! `diesel::Connection` of its own with its own transaction manager, is
//! migrated like the connection inside it, on all three backends; SQLite's
//! write lock is still taken at `BEGIN` (`BEGIN IMMEDIATE`), so threads on
//! one pool apply each revision once.

use diesel::Connection;
use diesel::connection::TransactionManager;
use diesel::r2d2::{ConnectionManager, Pool, R2D2Connection};
use revchain::{MigrationConnection, Migrator};
use revchain_tests::{EXAMPLE, TestDatabase, TestSqlite, assert_each_revision_once};

fn pool<C: R2D2Connection + 'static>(url: &str, size: u32) -> Pool<ConnectionManager<C>> {
    Pool::builder()
        .max_size(size)
        .build(ConnectionManager::new(url))
        .expect("a pool")
}

/// Upgrades through the pooled connection, and finds diesel's transaction
/// manager with no transaction open afterwards.
fn upgrade_pooled<C: MigrationConnection + Connection>(conn: &mut C) {
    let migrator = Migrator::new(&EXAMPLE);
    let report = migrator.upgrade(conn, "head").unwrap();
    assert_eq!(report.steps.len(), EXAMPLE.len());
    assert!(migrator.is_at_head(conn).unwrap());
    let depth =
        <C::TransactionManager as TransactionManager<C>>::transaction_manager_status_mut(conn)
            .transaction_depth()
            .unwrap();
    assert_eq!(depth, None);
}

#[test]
fn a_pooled_connection_upgrades_on_sqlite() {
    let db = TestSqlite::new();
    upgrade_pooled(&mut pool::<diesel::SqliteConnection>(&db.path, 1).get().unwrap());
    assert_each_revision_once(&mut db.conn());
}

#[test]
fn a_pooled_connection_upgrades_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    upgrade_pooled(&mut pool::<diesel::PgConnection>(&db.url, 1).get().unwrap());
    assert_each_revision_once(&mut db.pg());
}

#[test]
fn a_pooled_connection_upgrades_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    upgrade_pooled(&mut pool::<diesel::MysqlConnection>(&db.url, 1).get().unwrap());
    assert_each_revision_once(&mut db.mysql_conn());
}

#[test]
fn eight_threads_on_one_sqlite_pool_apply_each_revision_once() {
    let db = TestSqlite::new();
    let pool = pool::<diesel::SqliteConnection>(&db.path, 8);
    let applied: usize = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    let mut conn = pool.get().unwrap();
                    Migrator::new(&EXAMPLE)
                        .upgrade(&mut conn, "head")
                        .unwrap()
                        .steps
                        .len()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).sum()
    });
    assert_eq!(applied, EXAMPLE.len());
    assert_each_revision_once(&mut db.conn());
}
