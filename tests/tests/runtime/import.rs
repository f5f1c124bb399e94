//! Histories written by `revchain import`, against the tool they come from:
//! the same schema as diesel_migrations gives on the original directory,
//! and a database diesel migrated adopted with nothing run again.

use diesel::{Connection, MysqlConnection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use revchain::Migrator;
use revchain_schema::{Introspect, Schema, introspect};
use revchain_tests::fixtures::IMPORTED_DIESEL;
use revchain_tests::{TestDatabase, TestSqlite};

/// The original diesel history, as diesel embeds it.
const DIESEL_ORIGINAL: EmbeddedMigrations = embed_migrations!("fixtures/import/diesel/migrations");

/// The schema diesel gives on one database and the schema the imported
/// history gives on another.
fn same_schema<C>(mut diesel: C, mut revchain: C)
where
    C: Introspect + MigrationHarness<C::Backend> + revchain::MigrationConnection + Connection,
{
    diesel.run_pending_migrations(DIESEL_ORIGINAL).unwrap();
    let report = Migrator::new(&IMPORTED_DIESEL)
        .upgrade(&mut revchain, "head")
        .unwrap();
    assert_eq!(report.steps.len(), IMPORTED_DIESEL.len());
    let expected: Schema = introspect(&mut diesel, "revchain_version").unwrap();
    let actual: Schema = introspect(&mut revchain, "revchain_version").unwrap();
    assert_eq!(actual, expected);
    assert!(expected.table("posts").is_some(), "{expected:?}");
}

/// A database diesel took to its head, adopted by the first `upgrade`.
fn adopted<C>(mut conn: C)
where
    C: MigrationHarness<C::Backend> + revchain::MigrationConnection + Connection,
{
    conn.run_pending_migrations(DIESEL_ORIGINAL).unwrap();
    let migrator = Migrator::new(&IMPORTED_DIESEL);
    let report = migrator.upgrade(&mut conn, "head").unwrap();
    assert!(
        report.steps.is_empty(),
        "nothing runs twice: {:?}",
        report.steps
    );
    let ids: Vec<&str> = IMPORTED_DIESEL.iter().map(|r| r.id()).collect();
    assert_eq!(report.adopted, ids);
    assert!(migrator.is_at_head(&mut conn).unwrap());
    migrator.verify(&mut conn).unwrap();
}

/// A database diesel took part of the way, adopted there, then upgraded.
fn adopted_partway<C>(mut conn: C)
where
    C: MigrationHarness<C::Backend> + revchain::MigrationConnection + Connection,
{
    for _ in 0..4 {
        conn.run_next_migration(DIESEL_ORIGINAL).unwrap();
    }
    let migrator = Migrator::new(&IMPORTED_DIESEL);
    let report = migrator.upgrade(&mut conn, "head").unwrap();
    let ids: Vec<&str> = IMPORTED_DIESEL.iter().map(|r| r.id()).collect();
    assert_eq!(report.adopted, ids[..4]);
    let run: Vec<&str> = report.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(run, ids[4..]);
    migrator.verify(&mut conn).unwrap();
}

#[test]
fn imported_diesel_history_gives_dieselss_schema_sqlite() {
    let (a, b) = (TestSqlite::new(), TestSqlite::new());
    same_schema::<SqliteConnection>(a.conn(), b.conn());
}

#[test]
fn imported_diesel_history_gives_dieselss_schema_postgres() {
    let (Some(a), Some(b)) = (TestDatabase::postgres(), TestDatabase::postgres()) else {
        return;
    };
    same_schema::<PgConnection>(a.pg(), b.pg());
}

#[test]
fn imported_diesel_history_gives_dieselss_schema_mysql() {
    let (Some(a), Some(b)) = (TestDatabase::mysql(), TestDatabase::mysql()) else {
        return;
    };
    same_schema::<MysqlConnection>(a.mysql_conn(), b.mysql_conn());
}

#[test]
fn a_database_diesel_migrated_is_adopted_with_every_id_format_sqlite() {
    let db = TestSqlite::new();
    adopted(db.conn());
    adopted_partway(TestSqlite::new().conn());
}

#[test]
fn a_database_diesel_migrated_is_adopted_with_every_id_format_postgres() {
    let (Some(a), Some(b)) = (TestDatabase::postgres(), TestDatabase::postgres()) else {
        return;
    };
    adopted(a.pg());
    adopted_partway(b.pg());
}

#[test]
fn a_database_diesel_migrated_is_adopted_with_every_id_format_mysql() {
    let (Some(a), Some(b)) = (TestDatabase::mysql(), TestDatabase::mysql()) else {
        return;
    };
    adopted(a.mysql_conn());
    adopted_partway(b.mysql_conn());
}
