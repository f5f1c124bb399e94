//! revchain's own tables read strictly: a value that revchain never writes,
//! put there by hand, is corrupt bookkeeping naming the table, the column and
//! the value, on every backend and for every command that reads it; never
//! drift, an unknown revision, or a guess.

use revchain::{Error, LockStrategy, MigrationConnection, Migrator};
use revchain_tests::{EXAMPLE, Probe};

const HEAD: &str = "2026-05-18-094500";

/// Asserts that `result` is corrupt bookkeeping of `table`.`column`
/// showing `value`.
#[track_caller]
fn assert_corrupt<T: std::fmt::Debug>(
    result: Result<T, Error>,
    table: &str,
    column: &str,
    value: &str,
) {
    match result {
        Err(error @ Error::Corrupt { .. }) => {
            let text = error.to_string();
            assert!(
                text.starts_with(&format!(
                    "corrupt bookkeeping: the column `{column}` of `{table}` holds {value}"
                )),
                "{text}"
            );
            assert!(text.contains("\n  = help: "), "{text}");
        }
        other => panic!("expected corrupt bookkeeping of {table}.{column}, got {other:?}"),
    }
}

/// Every reading and writing entry point over a corrupt version row.
#[track_caller]
fn all_refuse(conn: &mut (impl MigrationConnection + Probe), column: &str, value: &str) {
    let migrator = Migrator::new(&EXAMPLE);
    let table = "revchain_version";
    assert_corrupt(migrator.current(conn), table, column, value);
    assert_corrupt(migrator.status(conn), table, column, value);
    assert_corrupt(migrator.is_at_head(conn), table, column, value);
    assert_corrupt(migrator.verify(conn), table, column, value);
    assert_corrupt(migrator.upgrade(conn, "head"), table, column, value);
    assert_corrupt(migrator.downgrade(conn, "base"), table, column, value);
}

fn garbage_in_the_version_row(conn: &mut (impl MigrationConnection + Probe)) {
    let migrator = Migrator::new(&EXAMPLE);
    migrator.upgrade(conn, "head").unwrap();
    let lines = conn.count("SELECT COUNT(*) AS n FROM revchain_version_log");
    let cases = [
        ("state = 'weird'", "state", "`weird`"),
        (
            "state = 'dirty', dirty_revision = '2026-05-18-094500', dirty_direction = 'sideways'",
            "dirty_direction",
            "`sideways`",
        ),
        ("state = 'dirty'", "dirty_revision", "NULL"),
        (
            "dirty_revision = '2026-05-18-094500'",
            "dirty_revision",
            "`2026-05-18-094500`",
        ),
        ("revision = 'no such form!'", "revision", "`no such form!`"),
        // Garbage, not drift.
        ("chain_digest = 'garbage'", "chain_digest", "`garbage`"),
        ("revision = NULL", "chain_digest", "`"),
        ("chain_digest = NULL", "chain_digest", "NULL"),
    ];
    for (assignments, column, value) in cases {
        conn.run(&format!(
            "UPDATE revchain_version SET {assignments} WHERE id = 1"
        ));
        all_refuse(conn, column, value);
        // What the help says repairs it.
        migrator.stamp(conn, HEAD, true).unwrap();
        assert!(migrator.is_at_head(conn).unwrap(), "{assignments}");
    }
    // Nothing ran again.
    assert_eq!(
        conn.count("SELECT COUNT(*) AS n FROM revchain_version_log"),
        lines + i64::try_from(cases.len()).unwrap()
    );
}

crate::on_every_backend!(
    garbage_in_the_version_row_is_corrupt_on_sqlite,
    garbage_in_the_version_row_is_corrupt_on_postgres,
    garbage_in_the_version_row_is_corrupt_on_mysql,
    |conn| { garbage_in_the_version_row(&mut conn) }
);

fn garbage_in_the_log(conn: &mut (impl MigrationConnection + Probe)) {
    let migrator = Migrator::new(&EXAMPLE);
    migrator.upgrade(conn, "head").unwrap();
    let last = "seq = (SELECT m FROM (SELECT MAX(seq) AS m FROM revchain_version_log) AS t)";
    let cases = [
        ("direction = 'sideways'", "direction", "`sideways`"),
        ("checksum = 'zzz'", "checksum", "`zzz`"),
        ("chain_digest = 'short'", "chain_digest", "`short`"),
        ("duration_us = -5", "duration_us", "`-5`"),
        ("revision = 'a b'", "revision", "`a b`"),
    ];
    for (assignments, column, value) in cases {
        conn.run(&format!(
            "UPDATE revchain_version_log SET {assignments} WHERE {last}"
        ));
        // The log is read where the version row is gone, and where the
        // recorded digest differs (to name the drift): garbage either way.
        let digest = conn.count("SELECT COUNT(*) AS n FROM revchain_version");
        assert_eq!(digest, 1);
        conn.run("UPDATE revchain_version SET chain_digest = '0000000000000000000000000000000000000000000000000000000000000000' WHERE id = 1");
        assert_corrupt(migrator.verify(conn), "revchain_version_log", column, value);
        assert_corrupt(
            migrator.upgrade(conn, "head"),
            "revchain_version_log",
            column,
            value,
        );
        conn.run("DELETE FROM revchain_version");
        assert_corrupt(
            migrator.current(conn),
            "revchain_version_log",
            column,
            value,
        );
        assert_corrupt(migrator.status(conn), "revchain_version_log", column, value);
        // Repair: the log line as revchain wrote it, and the row.
        conn.run(&format!("DELETE FROM revchain_version_log WHERE {last}"));
        migrator.stamp(conn, HEAD, false).unwrap();
        assert!(migrator.is_at_head(conn).unwrap(), "{assignments}");
    }
}

crate::on_every_backend!(
    garbage_in_the_log_is_corrupt_on_sqlite,
    garbage_in_the_log_is_corrupt_on_postgres,
    garbage_in_the_log_is_corrupt_on_mysql,
    |conn| { garbage_in_the_log(&mut conn) }
);

fn garbage_in_the_lock_row(conn: &mut (impl MigrationConnection + Probe)) {
    let migrator = Migrator::new(&EXAMPLE).lock(LockStrategy::Table);
    migrator.upgrade(conn, "head").unwrap();
    conn.run(
        "UPDATE revchain_version_lock SET token = 'by-hand', pid = 'garbage', host = 'h', taken_at = CURRENT_TIMESTAMP, expires_at = CURRENT_TIMESTAMP WHERE id = 1",
    );
    assert_corrupt(
        migrator.lock_status(conn),
        "revchain_version_lock",
        "pid",
        "`garbage`",
    );
    assert_corrupt(
        migrator.release_lock(conn, false),
        "revchain_version_lock",
        "pid",
        "`garbage`",
    );
    conn.run("UPDATE revchain_version_lock SET pid = '42', expires_at = NULL WHERE id = 1");
    assert_corrupt(
        migrator.lock_status(conn),
        "revchain_version_lock",
        "expires_at",
        "NULL",
    );
    // What the help says frees it.
    migrator.release_lock(conn, true).unwrap();
    assert!(
        migrator
            .lock_status(conn)
            .unwrap()
            .to_string()
            .contains("free")
    );
    assert_eq!(migrator.upgrade(conn, "head").unwrap().steps.len(), 0);
}

crate::on_every_backend!(
    garbage_in_the_lock_row_is_corrupt_on_sqlite,
    garbage_in_the_lock_row_is_corrupt_on_postgres,
    garbage_in_the_lock_row_is_corrupt_on_mysql,
    |conn| { garbage_in_the_lock_row(&mut conn) }
);
