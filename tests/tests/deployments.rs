//! Where real deployments run, each started by the test itself
//! (`revchain_tests::topology`): a three-node MariaDB Galera cluster, with
//! processes racing on every node; PgBouncer in transaction pooling; a
//! PostgreSQL hot standby; a TCP proxy that cuts a connection mid-revision.
//! With `CI` set a topology that cannot start fails
//! the test; elsewhere the test skips with a notice.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use diesel::{Connection, PgConnection};
use revchain::{Error, Migrator, Progress};
use revchain_tests::topology::{
    FaultProxy, GaleraCluster, HotStandby, PgBouncer, PoolMode, postgres_server_addr,
};
use revchain_tests::{EXAMPLE, Probe, TestDatabase, assert_each_revision_once};

const WORKER: &str = env!("CARGO_BIN_EXE_revchain-test-worker");
const PROCESSES: usize = 8;

/// Starts one worker per URL at once, with the lock strategy `lock`; each
/// must exit 0. Returns how many revisions they ran together.
fn race(backend: &str, urls: &[String], lock: &str) -> usize {
    revchain_tests::race(WORKER, backend, urls, lock)
}

#[test]
fn eight_processes_spread_over_a_galera_cluster_apply_each_revision_once() {
    let Some(cluster) = GaleraCluster::shared() else {
        return;
    };
    for round in 0..3 {
        let db = cluster.create_database();
        let urls: Vec<String> = (0..PROCESSES)
            .map(|i| db.url(i % cluster.size()).to_owned())
            .collect();
        // `auto` takes the table lock on a Galera node.
        let applied = race("mysql", &urls, "auto");
        assert_eq!(applied, EXAMPLE.len(), "round {round}");
        for node in 0..cluster.size() {
            let mut conn = db.conn(node);
            conn.run("SET SESSION wsrep_sync_wait = 1");
            assert_each_revision_once(&mut conn);
            assert!(
                Migrator::new(&EXAMPLE).is_at_head(&mut conn).unwrap(),
                "round {round}: node {node} is not at head"
            );
        }
    }
}

#[test]
fn eight_processes_through_pgbouncer_in_transaction_pooling_apply_each_revision_once() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let Some(bouncer) = PgBouncer::start(PoolMode::Transaction) else {
        return;
    };
    let urls = vec![bouncer.url(db.name()); PROCESSES];
    assert_eq!(race("postgres", &urls, "table"), EXAMPLE.len());
    let mut conn = db.pg();
    assert_each_revision_once(&mut conn);
    assert!(Migrator::new(&EXAMPLE).is_at_head(&mut conn).unwrap());
    // No session lock was left behind on a pooled server connection.
    assert_eq!(
        conn.count(
            "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        0
    );
    drop(bouncer);
}

#[test]
fn a_hot_standby_is_refused_as_a_replica_and_still_answers_what_it_is_at() {
    let Some(standby) = HotStandby::start() else {
        return;
    };
    let db = standby.create_database();
    let migrator = Migrator::new(&EXAMPLE);
    let below_head = EXAMPLE.as_slice()[EXAMPLE.len() - 2].id();
    let mut primary = db.primary();
    migrator.upgrade(&mut primary, below_head).unwrap();
    standby.wait_for_replay();

    let mut replica = db.standby();
    for error in [
        migrator.upgrade(&mut replica, "head").unwrap_err(),
        migrator.downgrade(&mut replica, "base").unwrap_err(),
        migrator.stamp(&mut replica, "head", false).unwrap_err(),
    ] {
        assert!(
            matches!(&error, Error::ReadOnly { what, .. } if what.contains("replica")),
            "expected a read-only replica refusal, got: {error}"
        );
        assert!(error.to_string().contains("primary"), "{error}");
    }
    assert_eq!(
        migrator.current(&mut replica).unwrap().as_deref(),
        Some(below_head)
    );
    migrator.verify(&mut replica).unwrap();
    assert!(!migrator.is_at_head(&mut replica).unwrap());
}

#[test]
fn a_connection_cut_mid_revision_is_reported_as_lost_and_a_rerun_reaches_head() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let proxy = FaultProxy::start(postgres_server_addr());
    let through_proxy = format!(
        "postgres://postgres@127.0.0.1:{}/{}?sslmode=disable",
        proxy.port(),
        db.name()
    );
    let mut conn = PgConnection::establish(&through_proxy).unwrap();
    let migrator = Migrator::new(&EXAMPLE);
    let second = EXAMPLE.as_slice()[1].id().to_owned();
    let error = migrator
        .upgrade_with_progress(&mut conn, "head", &mut |event| {
            // The connection is cut as the second revision starts: its
            // first statement finds no server.
            if matches!(&event, Progress::Starting { id, .. } if *id == second) {
                assert!(proxy.cut() > 0, "no connection to cut");
            }
        })
        .expect_err("the connection was cut");
    match &error {
        Error::ConnectionLost(lost) => {
            assert_eq!(lost.revision.as_deref(), Some(second.as_str()));
            assert!(!error.to_string().contains("fix `"), "{error}");
        }
        other => panic!("expected a lost connection, got: {other}"),
    }
    drop(conn);
    // The first revision committed; the second rolled back with the lost
    // connection. A rerun on a new connection reaches head.
    let mut direct = db.pg();
    assert_eq!(
        migrator.current(&mut direct).unwrap().as_deref(),
        Some(EXAMPLE.as_slice()[0].id())
    );
    migrator.upgrade(&mut direct, "head").unwrap();
    assert!(migrator.is_at_head(&mut direct).unwrap());
}
