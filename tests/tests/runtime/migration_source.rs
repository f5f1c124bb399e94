//! The embedded chain through diesel's `MigrationHarness`.

use diesel_migrations::MigrationHarness;
use revchain::Migrator;
use revchain_tests::{EXAMPLE, EXAMPLE_TABLES, Probe, schema_tables};

use crate::on_every_backend;

on_every_backend!(
    run_pending_migrations_applies_the_chain_sqlite,
    run_pending_migrations_applies_the_chain_postgres,
    run_pending_migrations_applies_the_chain_mysql,
    |conn| {
        let applied = conn.run_pending_migrations(&EXAMPLE).unwrap();
        assert_eq!(applied.len(), EXAMPLE.len());
        for (version, revision) in applied.iter().zip(EXAMPLE.iter()) {
            assert_eq!(version.to_string(), revision.id().replace('-', ""));
        }
        assert_eq!(schema_tables(conn.tables()), EXAMPLE_TABLES);
        assert!(!conn.has_pending_migration(&EXAMPLE).unwrap());

        conn.revert_last_migration(&EXAMPLE).unwrap();
        assert!(conn.has_pending_migration(&EXAMPLE).unwrap());

        // A Migrator later adopts what diesel applied and runs the rest.
        let report = Migrator::new(&EXAMPLE).upgrade(&mut conn, "head").unwrap();
        assert_eq!(report.adopted.len(), EXAMPLE.len() - 1);
        assert_eq!(report.steps.len(), 1);
    }
);

#[test]
fn a_chain_whose_ids_do_not_sort_in_order_is_refused() {
    // In DRIFT_INSERTED, `1a` comes before `2` and after `1`: it sorts fine.
    // In a chain whose ids sort against it, diesel would reorder: refuse.
    let db = revchain_tests::TestSqlite::new();
    let mut conn = db.conn();
    let error = conn
        .run_pending_migrations(&revchain_tests::fixtures::UNSORTED)
        .unwrap_err();
    assert!(
        error.to_string().contains("orders migrations by version"),
        "{error}"
    );
    assert!(schema_tables(conn.tables()).is_empty());
}
