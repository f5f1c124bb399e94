//! SQL that the databases' own clients accept: `;;`, dollar quotes, trigger
//! bodies, and placeholder revisions with no statement.

use revchain::Migrator;
use revchain_tests::fixtures::{REALWORLD_MYSQL, REALWORLD_POSTGRES, REALWORLD_SQLITE};
use revchain_tests::{Probe, TestDatabase, TestSqlite};

#[test]
fn sqlite_triggers_and_empty_statements_apply() {
    let db = TestSqlite::new();
    let mut conn = db.conn();
    let migrator = Migrator::new(&REALWORLD_SQLITE);
    let report = migrator.upgrade(&mut conn, "head").unwrap();
    assert_eq!(report.steps.len(), 2, "the placeholder is recorded too");
    conn.run("INSERT INTO items (id) VALUES (1); UPDATE items SET id = 1 WHERE id = 1");
    assert_eq!(conn.count("SELECT COUNT(*) AS n FROM audit"), 1);
    assert!(migrator.is_at_head(&mut conn).unwrap());
    migrator.downgrade(&mut conn, "base").unwrap();
}

#[test]
fn postgres_dollar_quoted_functions_apply() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let mut conn = db.pg();
    let migrator = Migrator::new(&REALWORLD_POSTGRES);
    assert_eq!(migrator.upgrade(&mut conn, "head").unwrap().steps.len(), 2);
    conn.run("INSERT INTO items (id) VALUES (1); UPDATE items SET id = 1");
    assert_eq!(
        conn.count("SELECT COUNT(*) AS n FROM items WHERE touched_at IS NOT NULL"),
        1
    );
    migrator.downgrade(&mut conn, "base").unwrap();
}

#[test]
fn mysql_triggers_and_empty_statements_apply() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let mut conn = db.mysql_conn();
    let migrator = Migrator::new(&REALWORLD_MYSQL);
    assert_eq!(migrator.upgrade(&mut conn, "head").unwrap().steps.len(), 2);
    conn.run("INSERT INTO items (id) VALUES (1)");
    conn.run("UPDATE items SET touched = 1 WHERE id = 1");
    assert_eq!(conn.count("SELECT COUNT(*) AS n FROM audit"), 2);
    migrator.downgrade(&mut conn, "base").unwrap();
}
