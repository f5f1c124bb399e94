//! Round trips on SQLite, PostgreSQL and MySQL/MariaDB, for every kind of
//! difference: upgrade a fresh database to the head of
//! `fixtures/library/migrations`, compare it with an edited copy of
//! `fixtures/library/schema.rs`, render the revision, add it to the history;
//! upgrade: the database now matches the models; downgrade: it equals the
//! database before.
//!
//! PostgreSQL and MySQL use `REVCHAIN_TEST_POSTGRES_URL` and
//! `REVCHAIN_TEST_MYSQL_URL`; an unreachable server skips with a notice, or
//! fails with `CI` set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use revchain::{Dialect, MigrationConnection, Migrator, Revisions};
use revchain_schema::{Introspect, Migration, Schema, compare, introspect, parse_str, render};
use revchain_tests::{TestDatabase, TestSqlite};

const BASE: &str = include_str!("fixtures/library/schema.rs");
/// The blog example's models: the example history at head.
const EXAMPLE: &str = include_str!("../../examples/blog/schema.rs");

/// `BASE` with each `(from, to)` replaced, once.
fn edit(edits: &[(&str, &str)]) -> String {
    let mut source = BASE.to_owned();
    for (from, to) in edits {
        assert_eq!(
            source.matches(from).count(),
            1,
            "`{from}` is not in the fixture once"
        );
        source = source.replacen(from, to, 1);
    }
    source
}

/// The models of a case, and a text `up.sql` must contain.
fn case(name: &str) -> (String, &'static str) {
    match name {
        "nothing" => (BASE.to_owned(), "-- no differences"),
        "add_table" => (
            edit(&[(
                "diesel::joinable!(books -> authors (author_id));",
                "diesel::table! {\n    reviews (id) {\n        id -> Integer,\n        book_id -> Integer,\n        stars -> SmallInt,\n        body -> Nullable<Text>,\n        written_at -> Timestamp,\n    }\n}\n\ndiesel::joinable!(books -> authors (author_id));\ndiesel::joinable!(reviews -> books (book_id));",
            )]),
            "CREATE TABLE",
        ),
        "drop_table" => (
            edit(&[(
                "diesel::table! {\n    notes (id) {\n        id -> Integer,\n        author_id -> Nullable<Integer>,\n        body -> Text,\n    }\n}\n",
                "",
            )]),
            "DROP TABLE",
        ),
        // A table with an index and a foreign key (for which MySQL made an
        // index of its own): `down.sql` creates both again.
        "drop_table_with_indexes" => (
            edit(&[
                (
                    "diesel::table! {\n    books (id) {\n        id -> Integer,\n        author_id -> Integer,\n        title -> Text,\n        pages -> Nullable<Integer>,\n        published -> Bool,\n    }\n}\n",
                    "",
                ),
                ("diesel::joinable!(books -> authors (author_id));\n", ""),
            ]),
            "DROP TABLE",
        ),
        "add_nullable_column" => (
            edit(&[(
                "bio -> Nullable<Text>,",
                "bio -> Nullable<Text>,\n        email -> Nullable<Text>,",
            )]),
            "ADD COLUMN",
        ),
        "add_not_null_column" => (
            edit(&[(
                "published -> Bool,",
                "published -> Bool,\n        isbn -> Text,",
            )]),
            "-- warning: column `books`.`isbn` is added `NOT NULL` without a default",
        ),
        "drop_column" => (edit(&[("        bio -> Nullable<Text>,\n", "")]), ""),
        "change_type" => (
            edit(&[("pages -> Nullable<Integer>,", "pages -> Nullable<BigInt>,")]),
            "",
        ),
        "set_not_null" => (
            edit(&[("pages -> Nullable<Integer>,", "pages -> Integer,")]),
            "",
        ),
        "drop_not_null" => (edit(&[("title -> Text,", "title -> Nullable<Text>,")]), ""),
        "change_primary_key" => (edit(&[("books (id) {", "books (id, author_id) {")]), ""),
        "add_foreign_key" => (
            edit(&[(
                "diesel::joinable!(books -> authors (author_id));",
                "diesel::joinable!(books -> authors (author_id));\ndiesel::joinable!(notes -> authors (author_id));",
            )]),
            "FOREIGN KEY",
        ),
        "drop_foreign_key" => (
            edit(&[("diesel::joinable!(books -> authors (author_id));", "")]),
            "",
        ),
        "change_key_type" => (
            edit(&[
                (
                    "    authors (id) {\n        id -> Integer,",
                    "    authors (id) {\n        id -> BigInt,",
                ),
                ("author_id -> Integer,", "author_id -> BigInt,"),
            ]),
            "",
        ),
        "odd_names" => (
            edit(&[(
                "diesel::joinable!(books -> authors (author_id));",
                "diesel::table! {\n    #[sql_name = \"we\\\"ird`name\"]\n    odd (id) {\n        id -> Integer,\n        #[sql_name = \"sp ace\"]\n        space -> Nullable<Text>,\n    }\n}\n\ndiesel::joinable!(books -> authors (author_id));",
            )]),
            "",
        ),
        "rename_column" => (
            edit(&[("        name -> Text,\n", "        full_name -> Text,\n")]),
            "-- warning: table `authors` loses `name` and gains `full_name`: a rename cannot be told from a drop and an add",
        ),
        "everything_at_once" => (
            edit(&[
                (
                    "bio -> Nullable<Text>,",
                    "bio -> Text,\n        email -> Nullable<Varchar>,",
                ),
                ("pages -> Nullable<Integer>,", "pages -> BigInt,"),
                ("books (id) {", "books (id, author_id) {"),
                (
                    "diesel::joinable!(books -> authors (author_id));",
                    "diesel::joinable!(notes -> authors (author_id));",
                ),
            ]),
            "",
        ),
        other => panic!("no case `{other}`"),
    }
}

/// A copy of the fixture history with `migration` as revision `2`.
fn history_with(migration: &Migration) -> (tempfile::TempDir, Revisions) {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/library/migrations");
    let first = dir.path().join("1_create_library");
    std::fs::create_dir(&first).unwrap();
    for file in ["up.sql", "down.sql", "metadata.toml"] {
        std::fs::copy(
            fixture.join("1_create_library").join(file),
            first.join(file),
        )
        .unwrap();
    }
    let second = dir.path().join("2_autogenerated");
    std::fs::create_dir(&second).unwrap();
    std::fs::write(second.join("up.sql"), &migration.up_sql).unwrap();
    std::fs::write(second.join("down.sql"), &migration.down_sql).unwrap();
    std::fs::write(second.join("metadata.toml"), "parent = \"1\"\n").unwrap();
    std::fs::write(dir.path().join("HEAD"), "2\n").unwrap();
    let revisions = Revisions::load(dir.path(), "migrations").unwrap_or_else(|e| panic!("{e}"));
    (dir, revisions)
}

fn base() -> Revisions {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/library/migrations");
    Revisions::load(&fixture, "migrations").unwrap_or_else(|e| panic!("{e}"))
}

fn read<C: Introspect>(conn: &mut C) -> Schema {
    introspect(conn, "revchain_version").unwrap_or_else(|e| panic!("{e}: {}", e.source))
}

fn round_trip<C: MigrationConnection + Introspect>(conn: &mut C, dialect: Dialect, name: &str) {
    let (source, expected) = case(name);
    let models = parse_str(&source, name).unwrap_or_else(|e| panic!("{e}"));

    Migrator::new(&base()).upgrade(conn, "head").unwrap();
    let before = read(conn);
    let diff = compare(&models, &before, &[]);
    assert_eq!(
        diff.is_empty(),
        name == "nothing",
        "{name}: {}",
        diff.describe()
    );
    let migration = render(&diff, dialect);
    assert!(
        migration.up_sql.contains(expected),
        "{name} on {dialect}: `{expected}` not in up.sql:\n{}",
        migration.up_sql
    );
    let shown = format!(
        "{name} on {dialect}: {}\n-- up.sql\n{}\n-- down.sql\n{}",
        diff.describe(),
        migration.up_sql,
        migration.down_sql
    );

    let (_dir, revisions) = history_with(&migration);
    let migrator = Migrator::new(&revisions);
    migrator
        .upgrade(conn, "head")
        .unwrap_or_else(|e| panic!("upgrade failed: {e}\n{shown}"));
    let upgraded = read(conn);
    let left = compare(&models, &upgraded, &[]);
    assert!(
        left.is_empty(),
        "after the upgrade: {}\n{shown}",
        left.describe()
    );

    migrator
        .downgrade(conn, "1")
        .unwrap_or_else(|e| panic!("downgrade failed: {e}\n{shown}"));
    let downgraded = read(conn);
    let left = compare(&before, &downgraded, &[]);
    assert!(
        left.is_empty(),
        "after the downgrade: {}\n{shown}",
        left.describe()
    );
    // What the stairway compares, indexes too; on MySQL without the
    // indexes on a foreign key's columns, which MySQL makes and keeps on its
    // own (see the crate's README, Limits).
    let (mut before, mut downgraded) = (before, downgraded);
    if dialect == Dialect::Mysql {
        let keys: Vec<(String, Vec<String>)> = [&before, &upgraded]
            .into_iter()
            .flat_map(|schema| &schema.tables)
            .flat_map(|t| {
                t.foreign_keys
                    .iter()
                    .map(|fk| (t.name.clone(), fk.columns.clone()))
            })
            .collect();
        for schema in [&mut before, &mut downgraded] {
            for table in &mut schema.tables {
                table
                    .indexes
                    .retain(|index| !keys.contains(&(table.name.clone(), index.columns.clone())));
            }
        }
    }
    let left = revchain_schema::differences(&before, &downgraded);
    assert!(left.is_empty(), "after the downgrade: {left:?}\n{shown}");
    // The primary keys are as they were, with their order.
    for table in &before.tables {
        assert_eq!(
            downgraded.table(&table.name).map(|t| &t.primary_key),
            Some(&table.primary_key),
            "{shown}"
        );
    }
}

fn sqlite(name: &str) {
    let db = TestSqlite::new();
    round_trip(&mut db.conn(), Dialect::Sqlite, name);
}

fn postgres(name: &str) {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    round_trip(&mut db.pg(), Dialect::Postgres, name);
}

fn mysql(name: &str) {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    round_trip(&mut db.mysql_conn(), Dialect::Mysql, name);
}

macro_rules! cases {
    ($($case:ident),* $(,)?) => {
        mod on_sqlite {
            $( #[test] fn $case() { super::sqlite(stringify!($case)); } )*
        }
        mod on_postgres {
            $( #[test] fn $case() { super::postgres(stringify!($case)); } )*
        }
        mod on_mysql {
            $( #[test] fn $case() { super::mysql(stringify!($case)); } )*
        }
    };
}

cases!(
    nothing,
    add_table,
    drop_table,
    drop_table_with_indexes,
    add_nullable_column,
    add_not_null_column,
    drop_column,
    change_type,
    set_not_null,
    drop_not_null,
    change_primary_key,
    add_foreign_key,
    drop_foreign_key,
    change_key_type,
    odd_names,
    rename_column,
    everything_at_once,
);

/// The example history at head against its `schema.rs`, as `diesel
/// print-schema` prints it: no difference.
fn example<C: MigrationConnection + Introspect>(conn: &mut C) {
    revchain::upgrade_to_head(conn, &revchain_tests::EXAMPLE).unwrap();
    let models = parse_str(EXAMPLE, "schema.rs").unwrap_or_else(|e| panic!("{e}"));
    let database = read(conn);
    let diff = compare(&models, &database, &[]);
    assert!(diff.is_empty(), "{}", diff.describe());
    assert_eq!(diff.describe(), "no new upgrade operations detected");
}

#[test]
fn example_history_matches_its_schema_on_sqlite() {
    example(&mut TestSqlite::new().conn());
}

#[test]
fn example_history_matches_its_schema_on_postgres() {
    if let Some(db) = TestDatabase::postgres() {
        example(&mut db.pg());
    }
}

#[test]
fn example_history_matches_its_schema_on_mysql() {
    if let Some(db) = TestDatabase::mysql() {
        example(&mut db.mysql_conn());
    }
}

#[test]
fn introspection_leaves_out_revchain_and_diesel_tables() {
    use diesel::connection::SimpleConnection;
    let db = TestSqlite::new();
    let mut conn = db.conn();
    revchain::Migrator::new(&revchain_tests::EXAMPLE)
        .version_table("my_versions")
        .upgrade(&mut conn, "head")
        .unwrap();
    conn.batch_execute("CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY)")
        .unwrap();
    let schema = introspect(&mut conn, "my_versions").unwrap();
    let names: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, revchain_tests::EXAMPLE_TABLES);
}

#[test]
fn sqlite_foreign_key_without_columns_references_the_primary_key() {
    use diesel::connection::SimpleConnection;
    let db = TestSqlite::new();
    let mut conn = db.conn();
    conn.batch_execute(
        "CREATE TABLE users (id INTEGER PRIMARY KEY);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES USERS);",
    )
    .unwrap();
    let schema = introspect(&mut conn, "revchain_version").unwrap();
    let posts = schema.table("posts").unwrap();
    assert_eq!(posts.foreign_keys.len(), 1);
    assert_eq!(posts.foreign_keys[0].columns, ["author_id"]);
    assert_eq!(posts.foreign_keys[0].referenced_table, "USERS");
    assert_eq!(posts.foreign_keys[0].referenced_columns, ["id"]);
}

#[test]
fn sqlite_foreign_key_without_columns_to_no_primary_key_is_an_error() {
    use diesel::connection::SimpleConnection;
    for parent in ["CREATE TABLE users (id INTEGER);", ""] {
        let db = TestSqlite::new();
        let mut conn = db.conn();
        conn.batch_execute(&format!(
            "{parent} CREATE TABLE posts (author_id INTEGER REFERENCES users);"
        ))
        .unwrap();
        let error = introspect(&mut conn, "revchain_version").unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot read the schema of the database: reading the foreign keys of `posts`"
        );
        let lacks = if parent.is_empty() {
            "which is not a table of the database"
        } else {
            "which has no primary key"
        };
        assert_eq!(
            error.source.to_string(),
            format!("the foreign key on `author_id` names no columns of `users`, {lacks}")
        );
    }
}
