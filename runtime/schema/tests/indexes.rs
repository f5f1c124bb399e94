//! Indexes as each backend's introspection reads them, and
//! `Introspect::introspect_some` against a whole reading: the same tables,
//! read in full only where picked.
//!
//! PostgreSQL and MySQL use `REVCHAIN_TEST_POSTGRES_URL` and
//! `REVCHAIN_TEST_MYSQL_URL`; an unreachable server skips with a notice, or
//! fails with `CI` set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use diesel::connection::SimpleConnection;
use revchain_schema::{Index, Introspect, introspect};
use revchain_tests::{TestDatabase, TestSqlite};

/// Two tables, with a plain index on two columns, a unique index, a unique
/// constraint and an index on an expression where the backend has one
/// (`extra`).
fn create<C: SimpleConnection>(conn: &mut C, extra: &str) {
    conn.batch_execute(&format!(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL, name VARCHAR(100), \
             CONSTRAINT users_email_key UNIQUE (email));
         CREATE INDEX users_name_id ON users (name, id);
         CREATE UNIQUE INDEX users_name_email ON users (name, email);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, title VARCHAR(100));
         {extra}"
    ))
    .unwrap();
}

fn index(name: &str, columns: &[&str], unique: bool) -> Index {
    Index {
        name: name.to_owned(),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        unique,
    }
}

/// The indexes of `users`, sorted by name, as a whole reading and a
/// reading of `users` alone both give them; `introspect_some` lists both
/// tables and reads only `users`.
fn check<C: Introspect>(conn: &mut C) {
    let whole = introspect(conn, "revchain_version").unwrap();
    let sample = conn
        .introspect_some("revchain_version", &|t| t == "users")
        .unwrap();
    assert_eq!(sample.tables, ["posts", "users"]);
    let names: Vec<&str> = sample
        .schema
        .tables
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(names, ["users"]);
    assert_eq!(sample.schema.table("users"), whole.table("users"));

    let mut indexes = whole.table("users").unwrap().indexes.clone();
    indexes.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(
        indexes,
        [
            index("users_email_key", &["email"], true),
            index("users_name_email", &["name", "email"], true),
            index("users_name_id", &["name", "id"], false),
        ]
    );
    assert!(whole.table("posts").unwrap().indexes.is_empty());
}

#[test]
fn indexes_are_read_on_sqlite() {
    let db = TestSqlite::new();
    let mut conn = db.conn();
    create(
        &mut conn,
        "CREATE INDEX users_lower ON users (lower(name));",
    );
    check(&mut conn);
}

#[test]
fn indexes_are_read_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let mut conn = db.pg();
    // An expression, and `INCLUDE` columns, which are no key of the index.
    create(
        &mut conn,
        "CREATE INDEX users_lower ON users (lower(name));
         CREATE INDEX users_included ON posts (title) INCLUDE (id);",
    );
    let whole = introspect(&mut conn, "revchain_version").unwrap();
    assert_eq!(
        whole.table("posts").unwrap().indexes,
        [index("users_included", &["title"], false)]
    );
    conn.batch_execute("DROP INDEX users_included").unwrap();
    check(&mut conn);
}

#[test]
fn indexes_are_read_on_mysql() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let mut conn = db.mysql_conn();
    // MariaDB has no index on an expression.
    create(&mut conn, "");
    check(&mut conn);
}

#[test]
fn introspect_some_picks_no_table_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let mut conn = db.pg();
    create(&mut conn, "");
    let sample = conn
        .introspect_some("revchain_version", &|_| false)
        .unwrap();
    assert_eq!(sample.tables, ["posts", "users"]);
    assert!(sample.schema.tables.is_empty());
}
