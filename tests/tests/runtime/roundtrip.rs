//! Upgrade, downgrade, stamp and re-upgrade over the example history.

use revchain::Migrator;
use revchain_tests::{EXAMPLE, EXAMPLE_TABLES, Probe, schema_tables};

use crate::on_every_backend;

on_every_backend!(
    roundtrip_sqlite,
    roundtrip_postgres,
    roundtrip_mysql,
    |conn| {
        let migrator = Migrator::new(&EXAMPLE);
        let head = EXAMPLE.head().unwrap().id();

        assert_eq!(migrator.current(&mut conn).unwrap(), None);
        assert!(!migrator.is_at_head(&mut conn).unwrap());

        let report = migrator.upgrade(&mut conn, "head").unwrap();
        assert_eq!(report.steps.len(), EXAMPLE.len());
        assert_eq!(report.to.as_deref(), Some(head));
        assert_eq!(schema_tables(conn.tables()), EXAMPLE_TABLES);
        assert!(migrator.is_at_head(&mut conn).unwrap());
        migrator.verify(&mut conn).unwrap();
        assert_eq!(
            conn.count("SELECT COUNT(*) AS n FROM revchain_version_log"),
            EXAMPLE.len() as i64
        );

        // Upgrading again does nothing.
        assert!(
            migrator
                .upgrade(&mut conn, "head")
                .unwrap()
                .steps
                .is_empty()
        );

        let report = migrator.downgrade(&mut conn, "base").unwrap();
        assert_eq!(report.steps.len(), EXAMPLE.len());
        assert_eq!(report.steps[0].id, head);
        assert!(schema_tables(conn.tables()).is_empty());
        assert_eq!(migrator.current(&mut conn).unwrap(), None);

        // Stamp without running SQL, then back to base and up again for real.
        migrator.stamp(&mut conn, "head", false).unwrap();
        assert_eq!(migrator.current(&mut conn).unwrap().as_deref(), Some(head));
        assert!(schema_tables(conn.tables()).is_empty());
        migrator.stamp(&mut conn, "base", false).unwrap();
        migrator.upgrade(&mut conn, "head").unwrap();
        assert_eq!(schema_tables(conn.tables()), EXAMPLE_TABLES);
        assert!(migrator.status(&mut conn).unwrap().is_at_head());
    }
);

on_every_backend!(stepwise_sqlite, stepwise_postgres, stepwise_mysql, |conn| {
    let migrator = Migrator::new(&EXAMPLE);
    for (i, revision) in EXAMPLE.iter().enumerate() {
        let report = migrator.upgrade(&mut conn, "+1").unwrap();
        assert_eq!(report.steps.len(), 1);
        assert_eq!(report.steps[0].id, revision.id());
        let status = migrator.status(&mut conn).unwrap();
        assert_eq!(status.pending.len(), EXAMPLE.len() - i - 1);
    }
    for revision in EXAMPLE.iter().rev() {
        let report = migrator.downgrade(&mut conn, "-1").unwrap();
        assert_eq!(report.steps[0].id, revision.id());
    }
    assert!(schema_tables(conn.tables()).is_empty());
});

on_every_backend!(
    custom_version_table_sqlite,
    custom_version_table_postgres,
    custom_version_table_mysql,
    |conn| {
        let migrator = Migrator::new(&EXAMPLE).version_table("app schema \"version\"");
        migrator.upgrade(&mut conn, "head").unwrap();
        let tables = conn.tables();
        assert!(
            tables.contains(&"app schema \"version\"".to_owned()),
            "{tables:?}"
        );
        assert!(
            tables.contains(&"app schema \"version\"_log".to_owned()),
            "{tables:?}"
        );
        assert!(!tables.contains(&"revchain_version".to_owned()));
        assert!(migrator.is_at_head(&mut conn).unwrap());
    }
);

on_every_backend!(
    single_transaction_applies_everything_sqlite,
    single_transaction_applies_everything_postgres,
    single_transaction_is_refused_on_mysql,
    |conn| {
        let migrator = Migrator::new(&EXAMPLE).single_transaction(true);
        match migrator.upgrade(&mut conn, "head") {
            Ok(report) => {
                assert_eq!(report.steps.len(), EXAMPLE.len());
                assert_eq!(schema_tables(conn.tables()), EXAMPLE_TABLES);
            }
            Err(revchain::Error::SingleTransaction { reason, .. }) => {
                assert!(reason.contains("MySQL"), "{reason}");
                // Refused before anything is written: not even revchain's
                // own tables.
                assert_eq!(conn.tables(), Vec::<String>::new());
            }
            Err(other) => panic!("{other}"),
        }
    }
);

on_every_backend!(
    irreversible_downgrade_changes_nothing_sqlite,
    irreversible_downgrade_changes_nothing_postgres,
    irreversible_downgrade_changes_nothing_mysql,
    |conn| {
        let migrator = Migrator::new(&revchain_tests::fixtures::IRREVERSIBLE);
        migrator.upgrade(&mut conn, "head").unwrap();
        let error = migrator.downgrade(&mut conn, "base").unwrap_err();
        match &error {
            revchain::Error::Irreversible { id, file } => {
                assert_eq!(id, "2");
                assert_eq!(file, "fixtures/irreversible/migrations/2_backfill/down.sql");
            }
            other => panic!("{other}"),
        }
        assert!(error.to_string().contains("nothing was changed"));
        assert_eq!(migrator.current(&mut conn).unwrap().as_deref(), Some("3"));
        assert!(conn.tables().contains(&"c".to_owned()));
        // Down to the irreversible revision itself is fine.
        migrator.downgrade(&mut conn, "2").unwrap();
        assert!(!conn.tables().contains(&"c".to_owned()));
    }
);

on_every_backend!(
    no_transaction_revision_applies_sqlite,
    no_transaction_revision_applies_postgres,
    no_transaction_revision_applies_mysql,
    |conn| {
        let migrator = Migrator::new(&revchain_tests::fixtures::NO_TRANSACTION);
        migrator.upgrade(&mut conn, "head").unwrap();
        assert!(conn.tables().contains(&"outside".to_owned()));
        assert!(migrator.is_at_head(&mut conn).unwrap());
        migrator.downgrade(&mut conn, "base").unwrap();
        assert!(schema_tables(conn.tables()).is_empty());
    }
);

/// The log's order is its `seq` column: up, down and up again must read back
/// in the order they ran, on SQLite where `seq` is the plain rowid.
#[test]
fn log_keeps_the_order_of_runs_on_sqlite() {
    let db = revchain_tests::TestSqlite::new();
    let mut conn = db.conn();
    let migrator = Migrator::new(&EXAMPLE);
    migrator.upgrade(&mut conn, "head").unwrap();
    migrator.downgrade(&mut conn, "base").unwrap();
    migrator.upgrade(&mut conn, "+1").unwrap();
    let runs = 2 * EXAMPLE.len() as i64 + 1;
    assert_eq!(
        conn.count("SELECT COUNT(*) AS n FROM revchain_version_log"),
        runs
    );
    // Ordered by `seq`, the directions are `len` ups, `len` downs, one up.
    let ups_before_last_down = conn.count(
        "SELECT COUNT(*) AS n FROM revchain_version_log WHERE direction = 'up' \
         AND seq < (SELECT MAX(seq) FROM revchain_version_log WHERE direction = 'down')",
    );
    assert_eq!(ups_before_last_down, EXAMPLE.len() as i64);
    let last = conn.count(
        "SELECT COUNT(*) AS n FROM revchain_version_log WHERE direction = 'up' \
         AND seq = (SELECT MAX(seq) FROM revchain_version_log)",
    );
    assert_eq!(last, 1);
    // New log tables do not write `sqlite_sequence` on every run.
    assert_eq!(
        conn.count("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'sqlite_sequence'"),
        0
    );
    migrator.verify(&mut conn).unwrap();
}

/// A log table created by an earlier revchain, with `AUTOINCREMENT`, keeps
/// working: the tables are only created if missing.
#[test]
fn log_table_with_autoincrement_keeps_working_on_sqlite() {
    let db = revchain_tests::TestSqlite::new();
    let mut conn = db.conn();
    conn.run(
        "CREATE TABLE revchain_version_log (\n    seq INTEGER PRIMARY KEY AUTOINCREMENT,\n    revision VARCHAR(50) NOT NULL,\n    direction VARCHAR(8) NOT NULL,\n    checksum CHAR(64) NOT NULL,\n    chain_digest CHAR(64),\n    applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n    duration_us BIGINT NOT NULL\n)",
    );
    let migrator = Migrator::new(&EXAMPLE);
    migrator.upgrade(&mut conn, "head").unwrap();
    migrator.downgrade(&mut conn, "-1").unwrap();
    assert_eq!(
        conn.count("SELECT COUNT(*) AS n FROM revchain_version_log"),
        EXAMPLE.len() as i64 + 1
    );
    assert_eq!(
        conn.count("SELECT seq AS n FROM sqlite_sequence WHERE name = 'revchain_version_log'"),
        EXAMPLE.len() as i64 + 1
    );
    migrator.verify(&mut conn).unwrap();
    migrator.upgrade(&mut conn, "head").unwrap();
    assert!(migrator.is_at_head(&mut conn).unwrap());
}
