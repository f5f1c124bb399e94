//! Adopting a database that diesel_migrations migrated.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use revchain::Migrator;
use revchain_tests::fixtures::DRIFT_ORIGINAL;
use revchain_tests::{EXAMPLE, EXAMPLE_TABLES, Probe, schema_tables};

use crate::on_every_backend;

/// The same directory, embedded by diesel's own macro: revchain's format
/// stays readable by diesel.
const DIESEL_EXAMPLE: EmbeddedMigrations = embed_migrations!("../migrations");

/// A history without a placeholder revision: diesel sends a comment-only
/// file to PostgreSQL as an empty query, which fails, so diesel cannot apply
/// the whole example history there.
const DIESEL_SMALL: EmbeddedMigrations = embed_migrations!("fixtures/drift_original/migrations");

on_every_backend!(
    adopts_a_fully_migrated_diesel_database_sqlite,
    adopts_a_fully_migrated_diesel_database_postgres,
    adopts_a_fully_migrated_diesel_database_mysql,
    |conn| {
        conn.run_pending_migrations(DIESEL_SMALL).unwrap();
        assert_eq!(schema_tables(conn.tables()), ["a", "b", "c"]);

        let migrator = Migrator::new(&DRIFT_ORIGINAL);
        let report = migrator.upgrade(&mut conn, "head").unwrap();
        assert!(
            report.steps.is_empty(),
            "nothing runs twice: {:?}",
            report.steps
        );
        assert_eq!(report.adopted, ["1", "2", "3"]);
        assert!(migrator.is_at_head(&mut conn).unwrap());
        migrator.verify(&mut conn).unwrap();
    }
);

on_every_backend!(
    adopts_a_partly_migrated_diesel_database_sqlite,
    adopts_a_partly_migrated_diesel_database_postgres,
    adopts_a_partly_migrated_diesel_database_mysql,
    |conn| {
        for _ in 0..3 {
            conn.run_next_migration(DIESEL_EXAMPLE).unwrap();
        }
        let migrator = Migrator::new(&EXAMPLE);
        let report = migrator.upgrade(&mut conn, "head").unwrap();
        assert_eq!(report.adopted.len(), 3);
        assert_eq!(report.steps.len(), EXAMPLE.len() - 3);
        assert_eq!(report.steps[0].id, EXAMPLE.as_slice()[3].id());
        assert_eq!(schema_tables(conn.tables()), EXAMPLE_TABLES);
        assert!(migrator.is_at_head(&mut conn).unwrap());
    }
);

#[test]
fn refuses_a_diesel_database_with_a_gap() {
    let db = revchain_tests::TestSqlite::new();
    let mut conn = db.conn();
    conn.run_pending_migrations(DIESEL_EXAMPLE).unwrap();
    let second = EXAMPLE.as_slice()[1].id().replace('-', "");
    conn.run(&format!(
        "DELETE FROM __diesel_schema_migrations WHERE version = '{second}'"
    ));
    let error = Migrator::new(&EXAMPLE)
        .upgrade(&mut conn, "head")
        .unwrap_err();
    assert!(matches!(error, revchain::Error::Adoption { .. }), "{error}");
    assert!(
        error.to_string().contains(EXAMPLE.as_slice()[1].id()),
        "{error}"
    );
}
