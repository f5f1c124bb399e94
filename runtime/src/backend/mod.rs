//! What revchain needs from a diesel connection: any `diesel::Connection`
//! (with `LoadConnection`) whose backend is SQLite, PostgreSQL or MySQL,
//! whichever connection implements it: diesel's own, diesel-async's
//! `AsyncConnectionWrapper`, a pool's pooled connection.
//!
//! What differs between backends is chosen by the backend
//! ([`KnownBackend`]), never by the connection type; the transactions are in
//! [`transaction`].

mod transaction;

use diesel::QueryableByName;
use diesel::connection::LoadConnection;
use diesel::sql_types::{BigInt, Nullable, Text};
use revchain_internals::sql::Dialect;

use crate::error::Error;

/// A diesel connection revchain can migrate: any [`diesel::Connection`]
/// that implements [`LoadConnection`](diesel::connection::LoadConnection)
/// and whose backend is [`Sqlite`](https://docs.rs/diesel/2/diesel/sqlite/struct.Sqlite.html)
/// (feature `sqlite`), [`Pg`](https://docs.rs/diesel/2/diesel/pg/struct.Pg.html)
/// (`postgres_backend`) or [`Mysql`](https://docs.rs/diesel/2/diesel/mysql/struct.Mysql.html)
/// (`mysql_backend`).
///
/// That covers diesel's `SqliteConnection`, `PgConnection` and
/// `MysqlConnection`; diesel-async's `AsyncConnectionWrapper` around
/// `AsyncPgConnection` or `AsyncMysqlConnection` (its feature
/// `async-connection-wrapper`), which link no C client library; and pooled
/// connections, either as they are (r2d2's `PooledConnection`) or through
/// their `Deref` (`&mut *pooled`).
///
/// The trait is sealed; its methods are revchain's own business.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use diesel::Connection;
///
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
///
/// fn migrate(conn: &mut impl revchain::MigrationConnection) -> Result<(), revchain::Error> {
///     revchain::upgrade_to_head(conn, &REVISIONS).map(|_| ())
/// }
///
/// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
/// migrate(&mut conn).unwrap();
/// # }
/// ```
pub trait MigrationConnection: private::Connection {}

pub(crate) use private::Begin;

impl<T: private::Connection> MigrationConnection for T {}

/// The version row.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct StateRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub revision: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub chain_digest: Option<String>,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub dirty_revision: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub dirty_direction: Option<String>,
}

/// One line of the log.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct LogRow {
    #[diesel(sql_type = Text)]
    pub revision: String,
    #[diesel(sql_type = Text)]
    pub direction: String,
    #[diesel(sql_type = Text)]
    pub checksum: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub chain_digest: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub duration_us: i64,
}

/// One line of the log with the down SQL stored with it (`sync`).
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct RecordedRow {
    #[diesel(embed)]
    pub line: LogRow,
    #[diesel(sql_type = Nullable<Text>)]
    pub down_sql: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub down_checksum: Option<String>,
}

/// A single text column called `name`.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct NameRow {
    #[diesel(sql_type = Text)]
    pub name: String,
}

/// Who holds the migration lock, as far as the database can tell.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct HolderRow {
    #[diesel(sql_type = Nullable<Text>)]
    pub host: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub pid: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub application: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub since: Option<String>,
}

/// Who holds a `table` lock, and its lease: whether it has expired, in the
/// database's clock (1 or 0).
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    #[diesel(embed)]
    pub holder: HolderRow,
    #[diesel(sql_type = Nullable<Text>)]
    pub expires_at: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub expired: i64,
}

/// A single integer column called `value`.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct ValueRow {
    #[diesel(sql_type = Nullable<BigInt>)]
    pub value: Option<i64>,
}

/// A single integer column called `query_only`, as SQLite's `PRAGMA
/// query_only` returns it: whether the database accepts no writes (the
/// read-only check names its column so on every backend).
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct QueryOnlyRow {
    #[diesel(sql_type = BigInt)]
    pub query_only: i64,
}

/// A diesel backend revchain speaks: its SQL dialect, and how rows are
/// loaded through any connection of it. Implemented for the three concrete
/// backends, where diesel can prove what loading a row needs; the rest of
/// revchain is generic over the backend.
pub(crate) trait KnownBackend: diesel::backend::Backend + Sized {
    /// The dialect of the backend's SQL.
    const DIALECT: Dialect;
    /// Loads the version row, with a statement diesel may cache.
    fn load_state<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<StateRow>>
    where
        C: LoadConnection<Backend = Self>;
    /// Loads log lines.
    fn load_log<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<LogRow>>
    where
        C: LoadConnection<Backend = Self>;
    /// Loads log lines with their down SQL.
    fn load_recorded<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<RecordedRow>>
    where
        C: LoadConnection<Backend = Self>;
    /// Loads `name` rows.
    fn load_names<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<NameRow>>
    where
        C: LoadConnection<Backend = Self>;
    /// Loads `value` rows.
    fn load_values<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<ValueRow>>
    where
        C: LoadConnection<Backend = Self>;
    /// Loads who holds the migration lock.
    fn load_holders<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<HolderRow>>
    where
        C: LoadConnection<Backend = Self>;
    /// Loads [`LeaseRow`]s.
    fn load_leases<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<LeaseRow>>
    where
        C: LoadConnection<Backend = Self>;
    /// Loads `query_only` rows.
    fn load_query_only<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<QueryOnlyRow>>
    where
        C: LoadConnection<Backend = Self>;
    /// Runs one statement and returns how many rows it changed.
    fn execute_count<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<usize>
    where
        C: diesel::Connection<Backend = Self>;
}

/// Implements [`KnownBackend`] for one of diesel's backends.
#[cfg_attr(
    not(any(
        feature = "sqlite",
        feature = "postgres_backend",
        feature = "mysql_backend"
    )),
    allow(unused_macros)
)]
macro_rules! known_backend {
    ($backend:ty, $dialect:expr) => {
        impl KnownBackend for $backend {
            const DIALECT: Dialect = $dialect;

            fn load_state<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<StateRow>>
            where
                C: LoadConnection<Backend = Self>,
            {
                diesel::RunQueryDsl::load(CachedQuery(sql.to_owned()), conn)
            }

            fn load_log<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<LogRow>>
            where
                C: LoadConnection<Backend = Self>,
            {
                diesel::RunQueryDsl::load(diesel::sql_query(sql), conn)
            }

            fn load_recorded<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<RecordedRow>>
            where
                C: LoadConnection<Backend = Self>,
            {
                diesel::RunQueryDsl::load(diesel::sql_query(sql), conn)
            }

            fn load_names<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<NameRow>>
            where
                C: LoadConnection<Backend = Self>,
            {
                diesel::RunQueryDsl::load(diesel::sql_query(sql), conn)
            }

            fn load_values<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<ValueRow>>
            where
                C: LoadConnection<Backend = Self>,
            {
                diesel::RunQueryDsl::load(diesel::sql_query(sql), conn)
            }

            fn load_holders<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<HolderRow>>
            where
                C: LoadConnection<Backend = Self>,
            {
                diesel::RunQueryDsl::load(diesel::sql_query(sql), conn)
            }

            fn load_leases<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<LeaseRow>>
            where
                C: LoadConnection<Backend = Self>,
            {
                diesel::RunQueryDsl::load(diesel::sql_query(sql), conn)
            }

            fn load_query_only<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<Vec<QueryOnlyRow>>
            where
                C: LoadConnection<Backend = Self>,
            {
                diesel::RunQueryDsl::load(diesel::sql_query(sql), conn)
            }

            fn execute_count<C>(conn: &mut C, sql: &str) -> diesel::QueryResult<usize>
            where
                C: diesel::Connection<Backend = Self>,
            {
                diesel::RunQueryDsl::execute(diesel::sql_query(sql), conn)
            }
        }
    };
}

#[cfg(feature = "sqlite")]
known_backend!(diesel::sqlite::Sqlite, Dialect::Sqlite);
#[cfg(feature = "postgres_backend")]
known_backend!(diesel::pg::Pg, Dialect::Postgres);
#[cfg(feature = "mysql_backend")]
known_backend!(diesel::mysql::Mysql, Dialect::Mysql);

pub(crate) mod private {
    use super::*;

    /// The `BEGIN` that
    /// [`write_transaction_then`](Connection::write_transaction_then)
    /// leaves to the step on PostgreSQL and MySQL, to send with the
    /// revision's first statement in one round trip. On SQLite the
    /// transaction is already open.
    #[derive(Debug)]
    pub struct Begin {
        /// `BEGIN`, and any setting of the transaction sent with it.
        pending: Option<String>,
        /// Whether diesel's transaction manager is told of the transaction
        /// (PostgreSQL: told of its end too, see `transaction`). On MySQL
        /// revchain ends the transaction itself, in a batch after which
        /// the revision's DDL may already have committed, so diesel is never
        /// told of it.
        managed: bool,
    }

    impl Begin {
        /// No `BEGIN` left to send.
        pub fn sent() -> Self {
            Begin {
                pending: None,
                managed: true,
            }
        }

        /// Runs one statement, as one batch with the pending `BEGIN` if
        /// there is one. `BEGIN` outside a transaction cannot fail, so an
        /// error is the statement's own, and names its line as any other.
        pub fn execute<C: Connection>(
            &mut self,
            conn: &mut C,
            statement: &str,
        ) -> diesel::QueryResult<()> {
            match self.pending.take() {
                Some(begin) if self.managed => conn.begin_with(&format!("{begin};\n{statement}")),
                Some(begin) => conn.execute_sql(&format!("{begin};\n{statement}")),
                None => conn.execute_sql(statement),
            }
        }

        /// Runs one statement that must change a row, after the pending
        /// `BEGIN` if there is one, and returns how many rows it changed.
        pub fn execute_count<C: Connection>(
            &mut self,
            conn: &mut C,
            statement: &str,
        ) -> diesel::QueryResult<usize> {
            match self.pending.take() {
                Some(begin) if self.managed => conn.begin_with(&begin)?,
                Some(begin) => conn.execute_sql(&begin)?,
                None => {}
            }
            conn.execute_count(statement)
        }

        /// Sends `setting` (such as `SET LOCAL lock_timeout = …`) as the
        /// transaction's first statement, in the batch of the pending
        /// `BEGIN`; without one (SQLite, or a transaction the caller
        /// opened), on its own.
        pub fn setting<C: Connection>(
            &mut self,
            conn: &mut C,
            setting: &str,
        ) -> diesel::QueryResult<()> {
            match &mut self.pending {
                Some(begin) => {
                    begin.push_str(";\n");
                    begin.push_str(setting);
                    Ok(())
                }
                None => conn.execute_sql(setting),
            }
        }

        #[cfg(any(feature = "postgres_backend", feature = "mysql_backend"))]
        pub(super) fn pending(managed: bool) -> Self {
            Begin {
                pending: Some("BEGIN".to_owned()),
                managed,
            }
        }

        /// The pending `BEGIN` (and settings) as the start of a batch, or
        /// nothing.
        #[cfg(feature = "postgres_backend")]
        pub(super) fn prefix(&self) -> String {
            self.pending
                .as_deref()
                .map_or_else(String::new, |begin| format!("{begin};\n"))
        }

        #[cfg(any(feature = "postgres_backend", feature = "mysql_backend"))]
        pub(super) fn is_pending(&self) -> bool {
            self.pending.is_some()
        }
    }

    /// The sealed part of [`MigrationConnection`](super::MigrationConnection).
    pub trait Connection: Sized {
        /// The SQL dialect of connections of this type: their backend's.
        const DIALECT: Dialect;
        /// The SQL dialect of the connection.
        fn dialect(&self) -> Dialect;
        /// Runs SQL, discarding any result.
        fn execute_sql(&mut self, sql: &str) -> diesel::QueryResult<()>;
        /// Loads the version row.
        fn load_state(&mut self, sql: &str) -> diesel::QueryResult<Vec<StateRow>>;
        /// Loads log lines.
        fn load_log(&mut self, sql: &str) -> diesel::QueryResult<Vec<LogRow>>;
        /// Loads log lines with their down SQL.
        fn load_recorded(&mut self, sql: &str) -> diesel::QueryResult<Vec<RecordedRow>>;
        /// Loads `name` rows.
        fn load_names(&mut self, sql: &str) -> diesel::QueryResult<Vec<NameRow>>;
        /// Loads `value` rows.
        fn load_values(&mut self, sql: &str) -> diesel::QueryResult<Vec<ValueRow>>;
        /// Runs `f` in a transaction that holds the database's write lock
        /// from its start (`BEGIN IMMEDIATE` on SQLite).
        fn write_transaction<T>(
            &mut self,
            f: impl FnOnce(&mut Self) -> Result<T, Error>,
        ) -> Result<T, Error>;
        /// [`write_transaction`](Self::write_transaction), then the
        /// statements `f` returns as its last ones (revchain's own
        /// bookkeeping, never a revision's SQL), then the commit. On
        /// PostgreSQL, `BEGIN` goes with the first statement `f` sends
        /// through [`Begin`], and the last statements with `COMMIT`: no round
        /// trip of their own. `what` names the last statements in an error.
        fn write_transaction_then<T>(
            &mut self,
            what: &str,
            f: impl FnOnce(&mut Self, &mut Begin) -> Result<(T, Option<String>), Error>,
        ) -> Result<T, Error>;
        /// Opens a transaction with `sql`, which starts with `BEGIN`, and
        /// tells diesel's transaction manager so.
        fn begin_with(&mut self, sql: &str) -> diesel::QueryResult<()>;
        /// Runs one statement and returns how many rows it changed.
        fn execute_count(&mut self, sql: &str) -> diesel::QueryResult<usize>;
        /// Loads who holds the migration lock.
        fn load_holders(&mut self, sql: &str) -> diesel::QueryResult<Vec<HolderRow>>;
        /// Runs a query returning [`LeaseRow`]s.
        fn load_leases(&mut self, sql: &str) -> diesel::QueryResult<Vec<LeaseRow>>;
        /// Turns diesel's prepared statement cache off on this connection.
        fn disable_statement_cache(&mut self);
        /// Loads `query_only` rows: the read-only check.
        fn load_query_only(&mut self, sql: &str) -> diesel::QueryResult<Vec<QueryOnlyRow>>;
    }
}

impl<C> private::Connection for C
where
    C: diesel::Connection + LoadConnection,
    C::Backend: KnownBackend,
{
    const DIALECT: Dialect = <C::Backend as KnownBackend>::DIALECT;

    fn dialect(&self) -> Dialect {
        Self::DIALECT
    }

    fn execute_sql(&mut self, sql: &str) -> diesel::QueryResult<()> {
        diesel::connection::SimpleConnection::batch_execute(self, sql)
    }

    fn load_state(&mut self, sql: &str) -> diesel::QueryResult<Vec<StateRow>> {
        C::Backend::load_state(self, sql)
    }

    fn load_log(&mut self, sql: &str) -> diesel::QueryResult<Vec<LogRow>> {
        C::Backend::load_log(self, sql)
    }

    fn load_recorded(&mut self, sql: &str) -> diesel::QueryResult<Vec<RecordedRow>> {
        C::Backend::load_recorded(self, sql)
    }

    fn load_names(&mut self, sql: &str) -> diesel::QueryResult<Vec<NameRow>> {
        C::Backend::load_names(self, sql)
    }

    fn load_values(&mut self, sql: &str) -> diesel::QueryResult<Vec<ValueRow>> {
        C::Backend::load_values(self, sql)
    }

    fn write_transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<T, Error> {
        transaction::write_transaction(self, f)
    }

    fn write_transaction_then<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut Self, &mut Begin) -> Result<(T, Option<String>), Error>,
    ) -> Result<T, Error> {
        transaction::write_transaction_then(self, what, f)
    }

    fn begin_with(&mut self, sql: &str) -> diesel::QueryResult<()> {
        transaction::begin_with(self, sql)
    }

    fn execute_count(&mut self, sql: &str) -> diesel::QueryResult<usize> {
        C::Backend::execute_count(self, sql)
    }

    fn load_holders(&mut self, sql: &str) -> diesel::QueryResult<Vec<HolderRow>> {
        C::Backend::load_holders(self, sql)
    }

    fn load_leases(&mut self, sql: &str) -> diesel::QueryResult<Vec<LeaseRow>> {
        C::Backend::load_leases(self, sql)
    }

    fn disable_statement_cache(&mut self) {
        diesel::Connection::set_prepared_statement_cache_size(
            self,
            diesel::connection::CacheSize::Disabled,
        );
    }

    fn load_query_only(&mut self, sql: &str) -> diesel::QueryResult<Vec<QueryOnlyRow>> {
        C::Backend::load_query_only(self, sql)
    }
}

/// A query whose text is known only at run time (the version table's name
/// is configurable) that diesel may still prepare once per connection and
/// reuse. `sql_query` marks itself unsafe to cache, so every call prepared
/// the statement again: on PostgreSQL one more round trip, on SQLite a
/// schema lookup whose cost grows with the number of tables. Without a
/// static query id, diesel's statement cache keys this one by its SQL text.
/// Used for the version row: the startup check and every step read it.
#[derive(Debug, Clone)]
#[cfg_attr(
    not(any(
        feature = "sqlite",
        feature = "postgres_backend",
        feature = "mysql_backend"
    )),
    allow(dead_code)
)]
struct CachedQuery(String);

impl diesel::query_builder::QueryId for CachedQuery {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for CachedQuery {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> diesel::QueryResult<()> {
        out.push_sql(&self.0);
        Ok(())
    }
}

impl diesel::query_builder::Query for CachedQuery {
    type SqlType = diesel::sql_types::Untyped;
}

impl<Conn> diesel::RunQueryDsl<Conn> for CachedQuery {}
