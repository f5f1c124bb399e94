//! Smoke tests of the topologies in `revchain_tests::topology`: each starts,
//! behaves as the set-up it stands for, and leaves no process behind.
//!
//! `cargo test -p revchain-tests --test topology`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use revchain_tests::topology::{
    FaultProxy, GaleraCluster, HotStandby, PgBouncer, PoolMode, assert_stopped,
    postgres_server_addr,
};
use revchain_tests::{Probe, TestDatabase};

const BACKEND_PID: &str = "SELECT CAST(pg_backend_pid() AS BIGINT) AS n";

#[test]
fn galera_cluster_of_three_replicates_ddl() {
    let Some(cluster) = GaleraCluster::shared() else {
        return;
    };
    assert_eq!(cluster.size(), 3);
    for node in 0..3 {
        assert_eq!(
            cluster.status(node, "wsrep_cluster_size").as_deref(),
            Some("3")
        );
        assert_eq!(cluster.status(node, "wsrep_ready").as_deref(), Some("ON"));
    }
    {
        let database = cluster.create_database();
        database
            .conn(0)
            .run("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2)");
        for node in 1..3 {
            let mut conn = database.conn(node);
            // Reads wait for everything committed in the cluster before them.
            conn.run("SET SESSION wsrep_sync_wait = 1");
            assert_eq!(conn.tables(), ["t"], "node {node}");
            assert_eq!(conn.count("SELECT COUNT(*) AS n FROM t"), 2, "node {node}");
        }
    }
    let processes = cluster.processes();
    assert!(processes.len() >= 3, "{processes:?}");
    // Stopped here only if no other test of this binary still holds it.
    if let Some(cluster) = Arc::into_inner(cluster) {
        drop(cluster);
        assert_stopped(&processes);
    }
}

/// Backend pids seen by two clients of `bouncer` taking turns, 5 rounds.
fn backend_pids(bouncer: &PgBouncer, database: &TestDatabase) -> Vec<(i64, i64)> {
    let url = bouncer.url(database.name());
    let mut a = PgConnection::establish(&url).expect("connecting through pgbouncer");
    let mut b = PgConnection::establish(&url).expect("connecting through pgbouncer");
    (0..5)
        .map(|_| (a.count(BACKEND_PID), b.count(BACKEND_PID)))
        .collect()
}

fn assert_pool_mode(bouncer: &PgBouncer, mode: &str) {
    let config = bouncer.admin("SHOW CONFIG");
    assert!(
        config
            .lines()
            .any(|line| line.starts_with(&format!("pool_mode|{mode}|"))),
        "SHOW CONFIG:\n{config}"
    );
}

#[test]
fn pgbouncer_in_transaction_mode_shares_server_connections() {
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    let Some(bouncer) = PgBouncer::start(PoolMode::Transaction) else {
        return;
    };
    assert_pool_mode(&bouncer, "transaction");
    let pids = backend_pids(&bouncer, &database);
    // Each client's server connection goes back to the pool after each
    // transaction, so the other client gets it next: impossible in session
    // mode, where each client keeps its own.
    assert!(pids.iter().any(|(a, b)| a == b), "backend pids: {pids:?}");
    let pools = bouncer.admin("SHOW POOLS");
    assert!(pools.contains(database.name()), "SHOW POOLS:\n{pools}");
    let processes = bouncer.processes();
    assert_eq!(processes.len(), 1);
    drop(bouncer);
    assert_stopped(&processes);
}

#[test]
fn pgbouncer_in_session_mode_pins_server_connections() {
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    let Some(bouncer) = PgBouncer::start(PoolMode::Session) else {
        return;
    };
    assert_pool_mode(&bouncer, "session");
    let pids = backend_pids(&bouncer, &database);
    assert!(
        pids.iter()
            .all(|(a, b)| a != b && *a == pids[0].0 && *b == pids[0].1),
        "backend pids: {pids:?}"
    );
    let processes = bouncer.processes();
    drop(bouncer);
    assert_stopped(&processes);
}

#[test]
fn hot_standby_is_read_only_and_follows_the_primary() {
    let Some(topology) = HotStandby::start() else {
        return;
    };
    {
        let database = topology.create_database();
        let mut standby = database.standby();
        assert_eq!(
            standby.count("SELECT CAST(CAST(pg_is_in_recovery() AS INT) AS BIGINT) AS n"),
            1
        );
        let error = standby
            .batch_execute("CREATE TABLE t (id INT)")
            .expect_err("a standby accepts no DDL")
            .to_string();
        assert!(error.contains("read-only transaction"), "{error}");

        database.primary().run("CREATE TABLE t (id INT)");
        topology.wait_for_replay();
        assert_eq!(standby.tables(), ["t"]);
        let mut primary = database.primary();
        assert_eq!(
            primary.count("SELECT CAST(CAST(pg_is_in_recovery() AS INT) AS BIGINT) AS n"),
            0
        );
    }
    let processes = topology.processes();
    assert!(processes.len() >= 2, "{processes:?}");
    drop(topology);
    assert_stopped(&processes);
}

#[test]
fn fault_proxy_forwards_cuts_and_freezes() {
    let Some(database) = TestDatabase::postgres() else {
        return;
    };
    let proxy = FaultProxy::start(postgres_server_addr());
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/{}",
        proxy.port(),
        database.name()
    );

    // Forwards.
    let mut conn = PgConnection::establish(&url).expect("connecting through the proxy");
    assert_eq!(conn.count("SELECT CAST(1 AS BIGINT) AS n"), 1);
    assert_eq!((proxy.accepted(), proxy.active()), (1, 1));

    // Cut: the next query fails with a connection error.
    assert_eq!(proxy.cut(), 1);
    let error = conn
        .batch_execute("SELECT 1")
        .expect_err("a query on a cut connection");
    assert!(
        matches!(
            error,
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection,
                _
            )
        ),
        "{error:?}"
    );

    // Later connections go through.
    let mut conn = PgConnection::establish(&url).expect("connecting through the proxy");
    assert_eq!(conn.count("SELECT CAST(2 AS BIGINT) AS n"), 2);
    assert_eq!(proxy.accepted(), 2);

    // Freeze: a query's bytes are held, and it has no answer until thawed.
    proxy.freeze();
    let query = std::thread::spawn(move || {
        let n = conn.count("SELECT CAST(3 AS BIGINT) AS n");
        (n, conn)
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while proxy.held_bytes() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the query never reached the proxy"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(!query.is_finished(), "a frozen connection answered");
    // A new connection, meanwhile, gets no answer: libpq's client-side
    // `connect_timeout` ends it.
    let error = PgConnection::establish(&format!("{url}?connect_timeout=2"))
        .err()
        .expect("connecting through a frozen proxy");
    assert!(error.to_string().contains("timeout"), "{error}");

    proxy.thaw();
    let (n, mut conn) = query.join().expect("the query's thread");
    assert_eq!(n, 3);
    assert_eq!(conn.count("SELECT CAST(4 AS BIGINT) AS n"), 4);
    drop(conn);
    drop(proxy);
}
