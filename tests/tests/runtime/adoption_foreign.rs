//! Adopting databases sqlx and refinery migrated, after `revchain import`.
//!
//! The databases are migrated as those tools migrate them, reproduced from
//! their source rather than by running their crates (which would bring an
//! async runtime and two more drivers into the test build): each file's SQL
//! runs in the tool's order, and the tool's own table is created and filled
//! with the statements, columns and checksums its source uses (sqlx:
//! `_sqlx_migrations` with the SHA-384 of the file; refinery:
//! `refinery_schema_history` with SipHash-1-3 of the name, the `i32`
//! version and the SQL, in decimal).

use std::hash::{Hash, Hasher};
use std::path::Path;

use revchain::{Dialect, Error, Migrator, Revisions};
use revchain_tests::Probe;
use revchain_tests::fixtures::{IMPORTED_REFINERY, IMPORTED_SQLX};
use sha2::{Digest, Sha384};

use crate::on_every_backend;

fn fixture(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/import")
        .join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The dialect of a connection type.
trait Backend {
    const DIALECT: Dialect;
}

impl Backend for diesel::SqliteConnection {
    const DIALECT: Dialect = Dialect::Sqlite;
}

impl Backend for diesel::PgConnection {
    const DIALECT: Dialect = Dialect::Postgres;
}

impl Backend for diesel::MysqlConnection {
    const DIALECT: Dialect = Dialect::Mysql;
}

fn dialect_of<C: Backend>(_: &C) -> Dialect {
    C::DIALECT
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A BLOB/BYTEA literal.
fn bytes_literal(dialect: Dialect, bytes: &[u8]) -> String {
    match dialect {
        Dialect::Postgres => format!("decode('{}', 'hex')", hex(bytes)),
        _ => format!("X'{}'", hex(bytes)),
    }
}

/// The sqlx fixture: version, description, file.
const SQLX: [(i64, &str, &str); 3] = [
    (
        20200101000000,
        "create users",
        "sqlx/migrations/20200101000000_create_users.up.sql",
    ),
    (
        20200102000000,
        "create posts",
        "sqlx/migrations/20200102000000_create_posts.sql",
    ),
    (
        20200103000000,
        "add email",
        "sqlx/migrations/20200103000000_add email.sql",
    ),
];

/// Migrates the first `count` sqlx migrations as sqlx does.
fn sqlx_migrate(conn: &mut impl Probe, dialect: Dialect, count: usize) {
    let (timestamp, blob) = match dialect {
        Dialect::Postgres => ("TIMESTAMPTZ NOT NULL DEFAULT now()", "BYTEA"),
        _ => ("TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP", "BLOB"),
    };
    conn.run(&format!(
        "CREATE TABLE IF NOT EXISTS _sqlx_migrations (\n    version BIGINT PRIMARY KEY,\n    description TEXT NOT NULL,\n    installed_on {timestamp},\n    success BOOLEAN NOT NULL,\n    checksum {blob} NOT NULL,\n    execution_time BIGINT NOT NULL\n)"
    ));
    for (version, description, file) in &SQLX[..count] {
        let sql = fixture(file);
        conn.run(&sql);
        let checksum = bytes_literal(dialect, &Sha384::digest(sql.as_bytes()));
        conn.run(&format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ({version}, '{description}', TRUE, {checksum}, 1234)"
        ));
    }
}

/// The refinery fixture: version, name, file.
const REFINERY: [(i32, &str, &str); 3] = [
    (
        1,
        "create_users",
        "refinery/migrations/V1__create_users.sql",
    ),
    (
        2,
        "create_posts",
        "refinery/migrations/V2__create_posts.sql",
    ),
    (
        10,
        "add_email",
        "refinery/migrations/later/V10__add_email.sql",
    ),
];

fn refinery_checksum(name: &str, version: i32, sql: &str) -> u64 {
    let mut hasher = siphasher::sip::SipHasher13::new();
    name.hash(&mut hasher);
    version.hash(&mut hasher);
    sql.hash(&mut hasher);
    hasher.finish()
}

/// Migrates the first `count` refinery migrations as refinery does.
fn refinery_migrate(conn: &mut impl Probe, count: usize) {
    conn.run(
        "CREATE TABLE IF NOT EXISTS refinery_schema_history(\n             version INT4 PRIMARY KEY,\n             name VARCHAR(255),\n             applied_on VARCHAR(255),\n             checksum VARCHAR(255));",
    );
    for (version, name, file) in &REFINERY[..count] {
        let sql = fixture(file);
        conn.run(&sql);
        conn.run(&format!(
            "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES ({version}, '{name}', '2024-01-01T00:00:00Z', '{}')",
            refinery_checksum(name, *version, &sql)
        ));
    }
}

fn ids(revisions: &Revisions) -> Vec<&str> {
    revisions.iter().map(|r| r.id()).collect()
}

/// Adopts what the tool applied, then runs the rest.
fn adopts<C: revchain::MigrationConnection>(conn: &mut C, revisions: &Revisions, applied: usize) {
    let migrator = Migrator::new(revisions);
    let report = migrator.upgrade(conn, "head").unwrap();
    assert_eq!(report.adopted, ids(revisions)[..applied]);
    let run: Vec<&str> = report.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(run, ids(revisions)[applied..], "nothing runs twice");
    assert!(migrator.is_at_head(conn).unwrap());
    migrator.verify(conn).unwrap();
}

on_every_backend!(
    adopts_a_database_sqlx_migrated_sqlite,
    adopts_a_database_sqlx_migrated_postgres,
    adopts_a_database_sqlx_migrated_mysql,
    |conn| {
        let dialect = dialect_of(&conn);
        sqlx_migrate(&mut conn, dialect, 2);
        adopts(&mut conn, &IMPORTED_SQLX, 2);
        assert!(conn.tables().iter().any(|t| t == "_sqlx_migrations"));
    }
);

on_every_backend!(
    adopts_a_database_refinery_migrated_sqlite,
    adopts_a_database_refinery_migrated_postgres,
    adopts_a_database_refinery_migrated_mysql,
    |conn| {
        refinery_migrate(&mut conn, 3);
        adopts(&mut conn, &IMPORTED_REFINERY, 3);
    }
);

on_every_backend!(
    refuses_an_sqlx_migration_applied_with_other_sql_sqlite,
    refuses_an_sqlx_migration_applied_with_other_sql_postgres,
    refuses_an_sqlx_migration_applied_with_other_sql_mysql,
    |conn| {
        let dialect = dialect_of(&conn);
        sqlx_migrate(&mut conn, dialect, 3);
        let other = bytes_literal(
            dialect,
            &Sha384::digest(b"ALTER TABLE users ADD COLUMN mail TEXT;\n"),
        );
        conn.run(&format!(
            "UPDATE _sqlx_migrations SET checksum = {other} WHERE version = 20200102000000"
        ));
        let error = Migrator::new(&IMPORTED_SQLX)
            .upgrade(&mut conn, "head")
            .unwrap_err();
        assert!(matches!(error, Error::Adoption { .. }), "{error}");
        let message = error.to_string();
        assert!(
            message.contains("cannot adopt `_sqlx_migrations`"),
            "{message}"
        );
        assert!(message.contains("`20200102000000`"), "{message}");
        assert!(
            message.contains("20200102000000_create_posts/up.sql"),
            "{message}"
        );
        assert_eq!(
            conn.count("SELECT COUNT(*) AS n FROM revchain_version_log"),
            0
        );
    }
);

on_every_backend!(
    refuses_a_refinery_migration_applied_with_other_sql_sqlite,
    refuses_a_refinery_migration_applied_with_other_sql_postgres,
    refuses_a_refinery_migration_applied_with_other_sql_mysql,
    |conn| {
        refinery_migrate(&mut conn, 2);
        conn.run("UPDATE refinery_schema_history SET checksum = '42' WHERE version = 1");
        let error = Migrator::new(&IMPORTED_REFINERY)
            .upgrade(&mut conn, "head")
            .unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("cannot adopt `refinery_schema_history`"),
            "{message}"
        );
        assert!(
            message.contains("refinery applied `1` with other SQL"),
            "{message}"
        );
    }
);

#[test]
fn refuses_a_database_two_tools_migrated() {
    let db = revchain_tests::TestSqlite::new();
    let mut conn = db.conn();
    refinery_migrate(&mut conn, 1);
    conn.run("CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY, run_on TIMESTAMP DEFAULT CURRENT_TIMESTAMP)");
    conn.run("INSERT INTO __diesel_schema_migrations (version) VALUES ('1')");
    let error = Migrator::new(&IMPORTED_REFINERY)
        .upgrade(&mut conn, "head")
        .unwrap_err();
    assert!(error.to_string().contains("more than one tool"), "{error}");
}

/// The imported histories give the schema the tools give on their own
/// directories.
fn same_schema<C>(mut tool: C, mut revchain: C, dialect: Dialect)
where
    C: Probe + revchain::MigrationConnection + revchain_schema::Introspect,
{
    for (migrate, revisions) in [(0, &IMPORTED_SQLX), (1, &IMPORTED_REFINERY)] {
        if migrate == 0 {
            sqlx_migrate(&mut tool, dialect, 3);
        } else {
            tool.run("DROP TABLE posts");
            tool.run("DROP TABLE users");
            revchain.run("DROP TABLE posts");
            revchain.run("DROP TABLE users");
            revchain.run("DROP TABLE revchain_version");
            revchain.run("DROP TABLE revchain_version_log");
            refinery_migrate(&mut tool, 3);
        }
        Migrator::new(revisions)
            .upgrade(&mut revchain, "head")
            .unwrap();
        let expected = revchain_schema::introspect(&mut tool, "revchain_version").unwrap();
        let actual = revchain_schema::introspect(&mut revchain, "revchain_version").unwrap();
        let tables = |schema: &revchain_schema::Schema| {
            schema
                .tables
                .iter()
                .filter(|t| !t.name.starts_with("_sqlx") && !t.name.starts_with("refinery"))
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(tables(&actual), tables(&expected));
        assert!(expected.table("users").is_some());
    }
}

#[test]
fn imported_sqlx_and_refinery_histories_give_the_tools_schema_sqlite() {
    let (a, b) = (
        revchain_tests::TestSqlite::new(),
        revchain_tests::TestSqlite::new(),
    );
    same_schema(a.conn(), b.conn(), Dialect::Sqlite);
}

#[test]
fn imported_sqlx_and_refinery_histories_give_the_tools_schema_postgres() {
    let (Some(a), Some(b)) = (
        revchain_tests::TestDatabase::postgres(),
        revchain_tests::TestDatabase::postgres(),
    ) else {
        return;
    };
    same_schema(a.pg(), b.pg(), Dialect::Postgres);
}

#[test]
fn imported_sqlx_and_refinery_histories_give_the_tools_schema_mysql() {
    let (Some(a), Some(b)) = (
        revchain_tests::TestDatabase::mysql(),
        revchain_tests::TestDatabase::mysql(),
    ) else {
        return;
    };
    same_schema(a.mysql_conn(), b.mysql_conn(), Dialect::Mysql);
}
