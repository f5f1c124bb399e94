//! Reading a live database's schema into the same model as `schema.rs`.
//!
//! SQLite (`sqlite.rs`): `sqlite_master`, `pragma_table_info`,
//! `pragma_foreign_key_list`, `pragma_index_list` and `pragma_index_info`.
//! PostgreSQL (`postgres.rs`, the current schema) and MySQL/MariaDB
//! (`mysql.rs`, `DATABASE()`): `information_schema`, read the same way for
//! both (`information_schema.rs`). Each database's type names map to
//! logical types in `types.rs`. revchain's own tables (the version table,
//! its `_log` and its `_lock`) and diesel's `__diesel_schema_migrations` are
//! left out.

#[cfg(any(feature = "postgres", feature = "mysql"))]
mod information_schema;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
mod types;

use std::fmt;

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
use diesel::QueryableByName;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
use diesel::sql_types::Text;

pub use types::{mysql_type, postgres_type, sqlite_type};

/// Introspection failed: a query the database refused.
#[derive(Debug)]
pub struct IntrospectError {
    /// What was being read, lowercase.
    pub context: String,
    /// The database's error.
    pub source: diesel::result::Error,
}

impl fmt::Display for IntrospectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read the schema of the database: {}",
            self.context
        )
    }
}

impl std::error::Error for IntrospectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// `result`, its error with what was being read.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
fn context<T>(
    result: diesel::QueryResult<T>,
    what: impl FnOnce() -> String,
) -> Result<T, IntrospectError> {
    result.map_err(|source| IntrospectError {
        context: what(),
        source,
    })
}

/// A value the database returned that the model cannot hold: `problem`,
/// found while `what`.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
fn unreadable(what: String, problem: String) -> IntrospectError {
    IntrospectError {
        context: what,
        source: diesel::result::Error::DeserializationError(problem.into()),
    }
}

/// The tables introspection leaves out for the version table
/// `version_table`: it, its log, the `table` lock's table and diesel's
/// `__diesel_schema_migrations`.
///
/// ```
/// assert_eq!(
///     revchain_schema::excluded_tables("revchain_version"),
///     [
///         "revchain_version",
///         "revchain_version_log",
///         "revchain_version_lock",
///         "__diesel_schema_migrations",
///     ]
/// );
/// ```
pub fn excluded_tables(version_table: &str) -> [String; 4] {
    [
        version_table.to_owned(),
        format!("{version_table}_log"),
        format!("{version_table}_lock"),
        "__diesel_schema_migrations".to_owned(),
    ]
}

/// Every table's name (sorted, without those [`excluded_tables`] names),
/// and those of them a caller picked, in full: what
/// [`Introspect::introspect_some`]
/// returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// The name of every table.
    pub tables: Vec<String>,
    /// The tables picked, in full.
    pub schema: crate::Schema,
}

/// A diesel connection whose schema can be read: `SqliteConnection`
/// (feature `sqlite`), `PgConnection` (`postgres`), `MysqlConnection`
/// (`mysql`).
pub trait Introspect {
    /// The schema of the database, without the version table
    /// `version_table`, its log, its lock table and
    /// `__diesel_schema_migrations`.
    fn introspect(&mut self, version_table: &str) -> Result<crate::Schema, IntrospectError>;

    /// The names of every table (sorted, without those [`excluded_tables`]
    /// names), and in full those of them `pick` picks: what the stairway of
    /// `revchain test` reads around each revision (the tables its SQL
    /// names) instead of the whole schema. The tables are listed once.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use diesel::connection::{Connection, SimpleConnection};
    /// use revchain_schema::Introspect;
    ///
    /// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
    /// conn.batch_execute("CREATE TABLE users (id INTEGER PRIMARY KEY); CREATE TABLE posts (id INTEGER PRIMARY KEY)").unwrap();
    /// let sample = conn.introspect_some("revchain_version", &|t| t == "posts").unwrap();
    /// assert_eq!(sample.tables, ["posts", "users"]);
    /// assert!(sample.schema.table("posts").is_some());
    /// assert!(sample.schema.table("users").is_none());
    /// # }
    /// ```
    fn introspect_some(
        &mut self,
        version_table: &str,
        pick: &dyn Fn(&str) -> bool,
    ) -> Result<Sample, IntrospectError>;
}

/// Reads the schema of the database behind `conn`, leaving out the version
/// table `version_table` (revchain's default is `revchain_version`), its log,
/// its lock table and `__diesel_schema_migrations`.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use diesel::connection::{Connection, SimpleConnection};
///
/// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
/// conn.batch_execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100))").unwrap();
/// let schema = revchain_schema::introspect(&mut conn, "revchain_version").unwrap();
/// let users = schema.table("users").unwrap();
/// assert_eq!(users.primary_key, ["id"]);
/// assert_eq!(users.columns[1].sql_type, revchain_schema::SqlType::Varchar);
/// # }
/// ```
pub fn introspect<C: Introspect>(
    conn: &mut C,
    version_table: &str,
) -> Result<crate::Schema, IntrospectError> {
    conn.introspect(version_table)
}

/// A row of one name: a table's, or the server's version.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
#[derive(QueryableByName)]
struct NameRow {
    #[diesel(sql_type = Text)]
    name: String,
}
