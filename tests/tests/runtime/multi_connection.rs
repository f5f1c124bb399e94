//! An application's `#[derive(diesel::MultiConnection)]` enum: revchain
//! works on the connection inside the variant, as the README shows.

use revchain::{Error, Migrator, Report};
use revchain_tests::{EXAMPLE, EXAMPLE_TABLES, Probe, schema_tables};

/// An application's connection type that picks its backend at run time.
#[derive(diesel::MultiConnection)]
enum AppConnection {
    Postgres(diesel::PgConnection),
    Mysql(diesel::MysqlConnection),
    Sqlite(diesel::SqliteConnection),
}

/// The README's pattern: one `match` at startup.
fn upgrade_to_head(conn: &mut AppConnection) -> Result<Report, Error> {
    match conn {
        AppConnection::Postgres(conn) => revchain::upgrade_to_head(conn, &EXAMPLE),
        AppConnection::Mysql(conn) => revchain::upgrade_to_head(conn, &EXAMPLE),
        AppConnection::Sqlite(conn) => revchain::upgrade_to_head(conn, &EXAMPLE),
    }
}

fn is_at_head(conn: &mut AppConnection) -> Result<bool, Error> {
    let migrator = Migrator::new(&EXAMPLE);
    match conn {
        AppConnection::Postgres(conn) => migrator.is_at_head(conn),
        AppConnection::Mysql(conn) => migrator.is_at_head(conn),
        AppConnection::Sqlite(conn) => migrator.is_at_head(conn),
    }
}

fn tables(conn: &mut AppConnection) -> Vec<String> {
    schema_tables(match conn {
        AppConnection::Postgres(conn) => conn.tables(),
        AppConnection::Mysql(conn) => conn.tables(),
        AppConnection::Sqlite(conn) => conn.tables(),
    })
}

/// Upgrades through the enum, then checks through the enum and the schema.
fn upgrades_through_the_enum(mut conn: AppConnection) {
    assert!(!is_at_head(&mut conn).unwrap());
    let report = upgrade_to_head(&mut conn).unwrap();
    assert_eq!(report.steps.len(), EXAMPLE.len());
    assert!(is_at_head(&mut conn).unwrap());
    assert_eq!(tables(&mut conn), EXAMPLE_TABLES);
    assert!(upgrade_to_head(&mut conn).unwrap().steps.is_empty());
}

#[test]
fn multi_connection_upgrades_sqlite() {
    let db = revchain_tests::TestSqlite::new();
    upgrades_through_the_enum(AppConnection::Sqlite(db.conn()));
}

#[test]
fn multi_connection_upgrades_postgres() {
    let Some(db) = revchain_tests::TestDatabase::postgres() else {
        return;
    };
    upgrades_through_the_enum(AppConnection::Postgres(db.pg()));
}

#[test]
fn multi_connection_upgrades_mysql() {
    let Some(db) = revchain_tests::TestDatabase::mysql() else {
        return;
    };
    upgrades_through_the_enum(AppConnection::Mysql(db.mysql_conn()));
}
