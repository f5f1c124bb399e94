//! The log keeps what undoes each applied revision: every `up` line stores
//! the revision's `down.sql` and its checksum. A log written before these
//! columns existed is migrated in place by the next write (its lines keep
//! `NULL`), also when eight processes start at once on it.

use revchain::{Migrator, revision_checksum};
use revchain_tests::{EXAMPLE, Probe, TestDatabase, TestSqlite, assert_each_revision_once, race};

const WORKER: &str = env!("CARGO_BIN_EXE_revchain-test-worker");

/// Applies the first revision, then takes the log back to the format
/// revchain wrote before it stored down SQL.
fn older_log(conn: &mut (impl revchain::MigrationConnection + Probe), sqlite: bool) {
    Migrator::new(&EXAMPLE).upgrade(conn, "+1").unwrap();
    if sqlite {
        conn.run("ALTER TABLE revchain_version_log DROP COLUMN down_sql");
        conn.run("ALTER TABLE revchain_version_log DROP COLUMN down_checksum");
    } else {
        conn.run(
            "ALTER TABLE revchain_version_log DROP COLUMN down_sql, DROP COLUMN down_checksum",
        );
    }
}

fn lines(conn: &mut impl Probe, condition: &str) -> i64 {
    conn.count(&format!(
        "SELECT COUNT(*) AS n FROM revchain_version_log WHERE {condition}"
    ))
}

/// What the log holds once migrated and written: the older line `NULL`,
/// every later `up` line its revision's `down.sql` and checksum.
fn assert_migrated(conn: &mut impl Probe) {
    assert_eq!(lines(conn, "down_sql IS NULL AND down_checksum IS NULL"), 1);
    for revision in EXAMPLE.iter().skip(1) {
        let down = revision.down_sql().unwrap();
        let condition = format!(
            "revision = '{}' AND direction = 'up' AND down_sql = '{}' AND down_checksum = '{}'",
            revision.id(),
            down.replace('\'', "''"),
            revision_checksum(down)
        );
        assert_eq!(lines(conn, &condition), 1, "{}", revision.id());
    }
}

fn migrates_in_place(conn: &mut (impl revchain::MigrationConnection + Probe), sqlite: bool) {
    older_log(conn, sqlite);
    let migrator = Migrator::new(&EXAMPLE);
    migrator.upgrade(conn, "head").unwrap();
    assert_migrated(conn);
    // `down` and `stamp` lines store none.
    migrator.downgrade(conn, "-1").unwrap();
    migrator.stamp(conn, "head", false).unwrap();
    assert_eq!(
        lines(conn, "direction IN ('down', 'stamp') AND down_sql IS NULL"),
        2
    );
    assert!(migrator.is_at_head(conn).unwrap());
    migrator.verify(conn).unwrap();
}

crate::on_every_backend!(
    an_older_log_is_migrated_in_place_on_sqlite,
    an_older_log_is_migrated_in_place_on_postgres,
    an_older_log_is_migrated_in_place_on_mysql,
    |conn| {
        let sqlite = std::any::type_name_of_val(&conn).contains("Sqlite");
        migrates_in_place(&mut conn, sqlite)
    }
);

#[test]
fn eight_processes_migrate_an_older_log_once_on_sqlite() {
    let db = TestSqlite::new();
    older_log(&mut db.conn(), true);
    race(WORKER, "sqlite", &vec![db.path.clone(); 8], "auto");
    let mut conn = db.conn();
    assert_each_revision_once(&mut conn);
    assert_migrated(&mut conn);
}

#[test]
fn eight_processes_migrate_an_older_log_once_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    older_log(&mut db.pg(), false);
    race(WORKER, "postgres", &vec![db.url.clone(); 8], "auto");
    let mut conn = db.pg();
    assert_each_revision_once(&mut conn);
    assert_migrated(&mut conn);
}

#[test]
fn eight_processes_migrate_an_older_log_once_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    older_log(&mut db.mysql_conn(), false);
    race(WORKER, "mysql", &vec![db.url.clone(); 8], "auto");
    let mut conn = db.mysql_conn();
    assert_each_revision_once(&mut conn);
    assert_migrated(&mut conn);
}
