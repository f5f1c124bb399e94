//! Helpers shared by the integration tests: fresh databases on the servers
//! named by environment variables, dropped afterwards.
//!
//! | variable | default |
//! | --- | --- |
//! | `REVCHAIN_TEST_POSTGRES_URL` | `postgres://postgres@127.0.0.1:5432` |
//! | `REVCHAIN_TEST_MYSQL_URL` | `mysql://root@127.0.0.1:3306` |
//!
//! With `CI` set, a server that cannot be reached fails the test; elsewhere
//! the test prints a notice and skips. SQLite tests always run.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::SimpleConnection;
use diesel::{Connection, MysqlConnection, PgConnection, SqliteConnection};

pub mod topology;

/// The example history of the repository.
pub static EXAMPLE: revchain::Revisions = revchain::embed_revisions!("../migrations");

/// The server URL for PostgreSQL tests, without a database.
pub fn postgres_server_url() -> String {
    std::env::var("REVCHAIN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// The server URL for MySQL/MariaDB tests, without a database.
pub fn mysql_server_url() -> String {
    std::env::var("REVCHAIN_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned())
}

fn unique_name() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "revchain_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

fn unreachable(backend: &str, url: &str, error: &dyn std::fmt::Display) {
    if std::env::var_os("CI").is_some() {
        panic!("{backend} at {url} is unreachable and CI is set: {error}");
    }
    eprintln!("note: skipping this test: {backend} at {url} is unreachable: {error}");
}

/// Which server a [`TestDatabase`] lives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    Mysql,
}

/// A database created for one test and dropped when it goes out of scope.
pub struct TestDatabase {
    server: Server,
    server_url: String,
    name: String,
    /// The URL of the database.
    pub url: String,
}

impl TestDatabase {
    /// A fresh PostgreSQL database, or `None` (with a notice) when the server
    /// is unreachable outside CI.
    pub fn postgres() -> Option<Self> {
        Self::create(Server::Postgres, postgres_server_url())
    }

    /// A fresh MySQL/MariaDB database, or `None` (with a notice) when the
    /// server is unreachable outside CI.
    pub fn mysql() -> Option<Self> {
        Self::create(Server::Mysql, mysql_server_url())
    }

    fn create(server: Server, server_url: String) -> Option<Self> {
        let name = unique_name();
        let result = match server {
            Server::Postgres => PgConnection::establish(&format!("{server_url}/postgres"))
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    c.batch_execute(&format!("CREATE DATABASE {name}"))
                        .map_err(|e| e.to_string())
                }),
            Server::Mysql => MysqlConnection::establish(&server_url)
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    c.batch_execute(&format!("CREATE DATABASE {name}"))
                        .map_err(|e| e.to_string())
                }),
        };
        match result {
            Ok(()) => Some(TestDatabase {
                server,
                url: format!("{server_url}/{name}"),
                server_url,
                name,
            }),
            Err(error) => {
                unreachable(
                    match server {
                        Server::Postgres => "PostgreSQL",
                        Server::Mysql => "MySQL",
                    },
                    &server_url,
                    &error,
                );
                None
            }
        }
    }

    /// The name of the database.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A new PostgreSQL connection to the database.
    pub fn pg(&self) -> PgConnection {
        assert_eq!(self.server, Server::Postgres);
        PgConnection::establish(&self.url).expect("connecting to the test database")
    }

    /// A new MySQL connection to the database.
    pub fn mysql_conn(&self) -> MysqlConnection {
        assert_eq!(self.server, Server::Mysql);
        MysqlConnection::establish(&self.url).expect("connecting to the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = &self.name;
        let result = match self.server {
            Server::Postgres => PgConnection::establish(&format!("{}/postgres", self.server_url))
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .map_err(|e| e.to_string())
                }),
            Server::Mysql => MysqlConnection::establish(&self.server_url)
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    c.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
                        .map_err(|e| e.to_string())
                }),
        };
        if let Err(error) = result {
            eprintln!("note: could not drop test database `{name}`: {error}");
        }
    }
}

/// A SQLite database file in a temporary directory, removed with it.
pub struct TestSqlite {
    _dir: tempfile::TempDir,
    /// The path of the database file.
    pub path: String,
}

impl TestSqlite {
    /// A new, empty database file.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("test.db").to_string_lossy().into_owned();
        TestSqlite { _dir: dir, path }
    }

    /// A new connection to it.
    pub fn conn(&self) -> SqliteConnection {
        SqliteConnection::establish(&self.path).expect("opening the SQLite file")
    }
}

impl Default for TestSqlite {
    fn default() -> Self {
        Self::new()
    }
}

/// Histories for the tests, under `tests/fixtures/`.
pub mod fixtures {
    use revchain::Revisions;

    /// 1, 2 (its second statement fails), 3.
    pub static FAILING: Revisions = revchain::embed_revisions!("fixtures/failing/migrations");
    /// 1, 2 (its first statement fails).
    pub static FAILING_FIRST: Revisions =
        revchain::embed_revisions!("fixtures/failing_first/migrations");
    /// 1, 2, 3 as applied.
    pub static DRIFT_ORIGINAL: Revisions =
        revchain::embed_revisions!("fixtures/drift_original/migrations");
    /// 1, 2 (edited after it was applied), 3.
    pub static DRIFT_EDITED: Revisions =
        revchain::embed_revisions!("fixtures/drift_edited/migrations");
    /// 1, 1a (inserted below 2 after 2 was applied), 2, 3.
    pub static DRIFT_INSERTED: Revisions =
        revchain::embed_revisions!("fixtures/drift_inserted/migrations");
    /// 1, 2: an older build of `DRIFT_ORIGINAL`.
    pub static SHORT: Revisions = revchain::embed_revisions!("fixtures/short/migrations");
    /// 1, 2 (no `down.sql`), 3.
    pub static IRREVERSIBLE: Revisions =
        revchain::embed_revisions!("fixtures/irreversible/migrations");
    /// 1, 2 (`run_in_transaction = false`).
    pub static NO_TRANSACTION: Revisions =
        revchain::embed_revisions!("fixtures/no_transaction/migrations");
    /// 1, 2 (creates a table, then sleeps for minutes), for PostgreSQL.
    pub static SLOW_POSTGRES: Revisions =
        revchain::embed_revisions!("fixtures/slow_postgres/migrations");
    /// 1, 2 (creates a table, then counts for minutes), for SQLite.
    pub static SLOW_SQLITE: Revisions =
        revchain::embed_revisions!("fixtures/slow_sqlite/migrations");
    /// `;;`, a dollar-quoted function and a trigger, then a placeholder.
    pub static REALWORLD_POSTGRES: Revisions =
        revchain::embed_revisions!("fixtures/realworld_postgres/migrations");
    /// `;;` and a trigger with `;` inside `BEGIN … END`, then a placeholder.
    pub static REALWORLD_SQLITE: Revisions =
        revchain::embed_revisions!("fixtures/realworld_sqlite/migrations");
    /// `;;` and a trigger without `DELIMITER`, then a placeholder.
    pub static REALWORLD_MYSQL: Revisions =
        revchain::embed_revisions!("fixtures/realworld_mysql/migrations");

    /// The stairway's failures, on every backend: 1, 2 (its `down.sql`
    /// fails at its first statement), 3 (no `down.sql`), 4 (its `down.sql`
    /// also drops 3's table), 5 (its `down.sql` leaves its column behind, so
    /// it cannot be applied again), 6 (never reached).
    pub static STAIRWAY_FAULTS: Revisions =
        revchain::embed_revisions!("fixtures/stairway_faults/migrations");
    /// 1, 2 (its `down.sql` drops a table, then fails: MySQL is left
    /// dirty), 3.
    pub static STAIRWAY_DIRTY: Revisions =
        revchain::embed_revisions!("fixtures/stairway_dirty/migrations");
    /// 1 (`users`), 2 (`tags`, with a unique index), 3 (an index on
    /// `users` that its `down.sql` leaves behind, so it cannot be applied
    /// again).
    pub static STAIRWAY_INDEXES: Revisions =
        revchain::embed_revisions!("fixtures/stairway_indexes/migrations");
    /// 1, 2 (its `down.sql` fails at its only statement, so nothing of it
    /// runs on any backend), 3 (a `down.sql` that undoes it): the stairway
    /// steps on from 2, at the position it reads again after the failure.
    pub static STAIRWAY_REREAD: Revisions =
        revchain::embed_revisions!("fixtures/stairway_reread/migrations");
    /// 1 (`people`), 2 (a data migration: `shout`, filled from
    /// `full_name`).
    pub static DATA_MIGRATION: Revisions =
        revchain::embed_revisions!("fixtures/data_migration/migrations");
    /// `revchain import --from diesel` of `fixtures/import/diesel`: every
    /// version format diesel wrote, its initial-setup root, a name with a
    /// space (renamed), revisions without `down.sql`, `run_in_transaction`.
    pub static IMPORTED_DIESEL: Revisions =
        revchain::embed_revisions!("fixtures/import/diesel_imported/migrations");

    /// `revchain import --from diesel` of
    /// `fixtures/import/diesel_mysql_forward_fk`: a first revision whose
    /// foreign key names the table of the second (MySQL applies it with
    /// `SET FOREIGN_KEY_CHECKS = 0`).
    pub static IMPORTED_MYSQL_FORWARD_FK: Revisions =
        revchain::embed_revisions!("fixtures/import/diesel_mysql_forward_fk_imported/migrations");

    /// `revchain import --from diesel` of
    /// `fixtures/import/diesel_postgres_concurrently`: `CREATE INDEX
    /// CONCURRENTLY` with `run_in_transaction = false`, in a directory
    /// whose name has a space.
    pub static IMPORTED_POSTGRES_CONCURRENTLY: Revisions = revchain::embed_revisions!(
        "fixtures/import/diesel_postgres_concurrently_imported/migrations"
    );

    /// `revchain import --from sqlx` of `fixtures/import/sqlx`: a reversible
    /// pair, a simple file, a description with a space (renamed).
    pub static IMPORTED_SQLX: Revisions =
        revchain::embed_revisions!("fixtures/import/sqlx_imported/migrations");

    /// `revchain import --from refinery` of `fixtures/import/refinery`:
    /// versions 1, 2 and 10 (in a subdirectory).
    pub static IMPORTED_REFINERY: Revisions =
        revchain::embed_revisions!("fixtures/import/refinery_imported/migrations");

    /// `b`, then `a`: ids that sort against the chain's order.
    pub static UNSORTED: Revisions = revchain::embed_revisions!("fixtures/unsorted/migrations");

    /// The histories the offline and plan tests check each dialect with:
    /// the example, the dialect's real-world SQL, and one with a revision
    /// outside a transaction.
    pub fn histories(dialect: revchain::Dialect) -> [(&'static str, &'static Revisions); 3] {
        let realworld = match dialect {
            revchain::Dialect::Sqlite => &REALWORLD_SQLITE,
            revchain::Dialect::Postgres => &REALWORLD_POSTGRES,
            revchain::Dialect::Mysql => &REALWORLD_MYSQL,
        };
        [
            ("example", &super::EXAMPLE),
            ("realworld", realworld),
            ("no_transaction", &NO_TRANSACTION),
        ]
    }

    /// A history by name, for the worker process.
    pub fn by_name(name: &str) -> Option<&'static Revisions> {
        Some(match name {
            "example" => &super::EXAMPLE,
            "slow_postgres" => &SLOW_POSTGRES,
            "slow_sqlite" => &SLOW_SQLITE,
            _ => return None,
        })
    }
}

/// Looking into a database from a test.
pub trait Probe {
    /// The names of the tables in the current database/schema, sorted.
    fn tables(&mut self) -> Vec<String>;
    /// The result of a query returning one integer column `n`.
    fn count(&mut self, sql: &str) -> i64;
    /// Runs SQL.
    fn run(&mut self, sql: &str);
}

#[derive(diesel::QueryableByName)]
struct NameRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(diesel::QueryableByName)]
struct CountRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

macro_rules! probe {
    ($conn:ty, $tables:expr) => {
        impl Probe for $conn {
            fn tables(&mut self) -> Vec<String> {
                let mut names: Vec<String> =
                    diesel::RunQueryDsl::load::<NameRow>(diesel::sql_query($tables), self)
                        .expect("listing tables")
                        .into_iter()
                        .map(|row| row.name)
                        .collect();
                names.sort();
                names
            }

            fn count(&mut self, sql: &str) -> i64 {
                diesel::RunQueryDsl::load::<CountRow>(diesel::sql_query(sql), self)
                    .expect("counting")
                    .first()
                    .map_or(0, |row| row.n)
            }

            fn run(&mut self, sql: &str) {
                self.batch_execute(sql).expect("running SQL");
            }
        }
    };
}

probe!(
    SqliteConnection,
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
);
probe!(
    PgConnection,
    "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables WHERE table_schema = current_schema()"
);
probe!(
    MysqlConnection,
    "SELECT CAST(table_name AS CHAR) AS name FROM information_schema.tables WHERE table_schema = DATABASE()"
);

/// The tables of the example history at its head.
pub const EXAMPLE_TABLES: [&str; 5] = ["comments", "post_tags", "posts", "tags", "users"];

/// `tables` without revchain's and diesel's own.
pub fn schema_tables(tables: Vec<String>) -> Vec<String> {
    tables
        .into_iter()
        .filter(|t| !t.starts_with("revchain_") && t != "__diesel_schema_migrations")
        .collect()
}

/// Starts `revchain-test-worker` (at `worker`) once per URL, all at once,
/// upgrading the example with the lock strategy `lock`; each must exit 0.
/// Returns how many revisions they ran together.
pub fn race(worker: &str, backend: &str, urls: &[String], lock: &str) -> usize {
    let children: Vec<_> = urls
        .iter()
        .map(|url| {
            std::process::Command::new(worker)
                .args([backend, url.as_str(), "example"])
                .env("REVCHAIN_TEST_LOCK", lock)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("starting a worker")
        })
        .collect();
    let mut applied = 0;
    for child in children {
        let output = child.wait_with_output().expect("waiting for a worker");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "a worker failed: {}\n{stdout}",
            String::from_utf8_lossy(&output.stderr)
        );
        applied += stdout
            .lines()
            .filter(|line| line.starts_with("starting "))
            .count();
    }
    applied
}

/// Each revision of the example is logged as applied exactly once.
pub fn assert_each_revision_once(conn: &mut impl Probe) {
    for revision in EXAMPLE.iter() {
        let n = conn.count(&format!(
            "SELECT COUNT(*) AS n FROM revchain_version_log WHERE revision = '{}' AND direction = 'up'",
            revision.id()
        ));
        assert_eq!(n, 1, "revision {} was applied {n} times", revision.id());
    }
}
