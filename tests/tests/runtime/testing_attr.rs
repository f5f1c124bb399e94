//! `#[revchain::test]` and `revchain::testing::DataMigration` in use, on
//! every backend: each test gets its own database, migrated, and dropped
//! afterwards, even when the test panics.
//!
//! PostgreSQL and MySQL tests need `REVCHAIN_TEST_POSTGRES_URL` and
//! `REVCHAIN_TEST_MYSQL_URL` (`.ci/run` sets them); without them they are
//! skipped with a notice, unless `CI` is set.

use diesel::{MysqlConnection, PgConnection, SqliteConnection};
use revchain::Migrator;
use revchain::testing::{DataMigration, TestConnection, TestDatabase, TestDatabaseError};
use revchain_tests::fixtures::DATA_MIGRATION;
use revchain_tests::{EXAMPLE, EXAMPLE_TABLES, Probe, schema_tables};

/// The chain `#[revchain::test]` migrates with by default.
static REVISIONS: &revchain::Revisions = &EXAMPLE;

#[revchain::test]
fn migrated_to_head_sqlite(conn: &mut SqliteConnection) {
    assert!(Migrator::new(REVISIONS).is_at_head(conn).unwrap());
    assert_eq!(schema_tables(conn.tables()), EXAMPLE_TABLES);
}

#[revchain::test]
fn migrated_to_head_postgres(conn: &mut PgConnection) {
    assert!(Migrator::new(REVISIONS).is_at_head(conn).unwrap());
    assert_eq!(schema_tables(conn.tables()), EXAMPLE_TABLES);
}

#[revchain::test]
fn migrated_to_head_mysql(conn: &mut MysqlConnection) {
    assert!(Migrator::new(REVISIONS).is_at_head(conn).unwrap());
    assert_eq!(schema_tables(conn.tables()), EXAMPLE_TABLES);
}

/// `to` and `revisions`, and a test returning a `Result`.
#[revchain::test(revisions = DATA_MIGRATION, to = "1")]
fn migrated_to_a_given_revision_sqlite(conn: &mut SqliteConnection) -> Result<(), revchain::Error> {
    assert_eq!(
        Migrator::new(&DATA_MIGRATION).current(conn)?.as_deref(),
        Some("1")
    );
    assert_eq!(schema_tables(conn.tables()), ["people"]);
    Ok(())
}

#[revchain::test(revisions = DATA_MIGRATION, to = "1")]
fn migrated_to_a_given_revision_postgres(conn: &mut PgConnection) -> Result<(), revchain::Error> {
    assert_eq!(
        Migrator::new(&DATA_MIGRATION).current(conn)?.as_deref(),
        Some("1")
    );
    assert_eq!(schema_tables(conn.tables()), ["people"]);
    Ok(())
}

#[revchain::test(revisions = DATA_MIGRATION, to = "1")]
fn migrated_to_a_given_revision_mysql(conn: &mut MysqlConnection) -> Result<(), revchain::Error> {
    assert_eq!(
        Migrator::new(&DATA_MIGRATION).current(conn)?.as_deref(),
        Some("1")
    );
    assert_eq!(schema_tables(conn.tables()), ["people"]);
    Ok(())
}

/// Revision 2 fills `shout` from `full_name`: seeded at 1, checked at 2;
/// and its `down.sql` keeps the rows while it drops the column.
fn data_migration<C: TestConnection + Probe>(conn: &mut C) {
    let revision = DataMigration::new(&DATA_MIGRATION, "2").unwrap();
    let shouted = revision
        .upgrade(
            conn,
            |conn| conn.run("INSERT INTO people (id, full_name) VALUES (1, 'ada lovelace')"),
            |conn, ()| conn.count("SELECT COUNT(*) AS n FROM people WHERE shout = 'ADA LOVELACE'"),
        )
        .unwrap();
    assert_eq!(shouted, 1);

    let (rows, columns) = revision
        .downgrade(
            conn,
            |conn| {
                conn.run("INSERT INTO people (id, full_name, shout) VALUES (2, 'grace', 'GRACE')")
            },
            |conn, ()| {
                let schema = conn.introspect("revchain_version").unwrap();
                let columns: Vec<String> = schema
                    .table("people")
                    .unwrap()
                    .columns
                    .iter()
                    .map(|c| c.name.clone())
                    .collect();
                (conn.count("SELECT COUNT(*) AS n FROM people"), columns)
            },
        )
        .unwrap();
    assert_eq!(rows, 2);
    assert_eq!(columns, ["id", "full_name"]);
}

#[revchain::test(revisions = DATA_MIGRATION, to = "base")]
fn data_migration_at_its_revision_sqlite(conn: &mut SqliteConnection) {
    data_migration(conn);
}

#[revchain::test(revisions = DATA_MIGRATION, to = "base")]
fn data_migration_at_its_revision_postgres(conn: &mut PgConnection) {
    data_migration(conn);
}

#[revchain::test(revisions = DATA_MIGRATION, to = "base")]
fn data_migration_at_its_revision_mysql(conn: &mut MysqlConnection) {
    data_migration(conn);
}

/// Makes a database, panics while holding it (as a failing test does
/// inside `#[revchain::test]`), and returns the database's URL or file;
/// `None` when no server is configured and `CI` is unset.
fn panicking_test<C: TestConnection>() -> Option<String> {
    let url = std::sync::Mutex::new(None);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let database = match TestDatabase::<C>::migrated(&EXAMPLE, "head") {
            Err(TestDatabaseError::NotConfigured { .. }) if std::env::var_os("CI").is_none() => {
                return;
            }
            other => other.unwrap(),
        };
        *url.lock().unwrap() = Some(database.url().to_owned());
        panic!("the test fails while it holds its database");
    }));
    let url = url.lock().unwrap().take();
    assert_eq!(outcome.is_err(), url.is_some());
    url
}

/// The database's name: the last segment of its URL.
fn name(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

#[test]
fn the_database_is_dropped_when_the_test_panics_sqlite() {
    let file = panicking_test::<SqliteConnection>().unwrap();
    assert!(file.contains("revchain_scratch_"), "{file}");
    assert!(
        !std::path::Path::new(&file).exists(),
        "{file} is left behind"
    );
}

#[test]
fn the_database_is_dropped_when_the_test_panics_postgres() {
    let Some(server) = revchain_tests::TestDatabase::postgres() else {
        return;
    };
    let Some(url) = panicking_test::<PgConnection>() else {
        return;
    };
    let sql = format!(
        "SELECT COUNT(*) AS n FROM pg_database WHERE datname = '{}'",
        name(&url)
    );
    assert_eq!(server.pg().count(&sql), 0, "{url} is left behind");
}

#[test]
fn the_database_is_dropped_when_the_test_panics_mysql() {
    let Some(server) = revchain_tests::TestDatabase::mysql() else {
        return;
    };
    let Some(url) = panicking_test::<MysqlConnection>() else {
        return;
    };
    let sql = format!(
        "SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name = '{}'",
        name(&url)
    );
    assert_eq!(server.mysql_conn().count(&sql), 0, "{url} is left behind");
}
