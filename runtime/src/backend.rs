//! What revchain needs from a diesel connection, implemented for
//! `SqliteConnection`, `PgConnection` and `MysqlConnection`.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};
use revchain_internals::sql::Dialect;

use crate::error::{Context, Error};

/// A diesel connection revchain can migrate: `SqliteConnection` (feature
/// `sqlite`), `PgConnection` (`postgres`) or `MysqlConnection` (`mysql`).
///
/// The trait is sealed; its methods are revchain's own business.
pub trait MigrationConnection: private::Connection {}

pub(crate) use private::Begin;

impl<T: private::Connection> MigrationConnection for T {}

/// The version row.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct StateRow {
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

/// A diesel backend revchain speaks, and its SQL dialect.
pub(crate) trait KnownBackend: diesel::backend::Backend {
    /// The dialect of the backend's SQL.
    const DIALECT: Dialect;
}

#[cfg(feature = "sqlite")]
impl KnownBackend for diesel::sqlite::Sqlite {
    const DIALECT: Dialect = Dialect::Sqlite;
}

#[cfg(feature = "postgres")]
impl KnownBackend for diesel::pg::Pg {
    const DIALECT: Dialect = Dialect::Postgres;
}

#[cfg(feature = "mysql")]
impl KnownBackend for diesel::mysql::Mysql {
    const DIALECT: Dialect = Dialect::Mysql;
}

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
        /// (PostgreSQL, whose connection follows the server's transaction
        /// status). On MySQL revchain ends the transaction itself, in a
        /// batch diesel cannot follow, so diesel is never told of it.
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

        #[cfg(any(feature = "postgres", feature = "mysql"))]
        pub(super) fn pending(managed: bool) -> Self {
            Begin {
                pending: Some("BEGIN".to_owned()),
                managed,
            }
        }

        /// The pending `BEGIN` (and settings) as the start of a batch, or
        /// nothing.
        #[cfg(feature = "postgres")]
        pub(super) fn prefix(&self) -> String {
            self.pending
                .as_deref()
                .map_or_else(String::new, |begin| format!("{begin};\n"))
        }

        #[cfg(any(feature = "postgres", feature = "mysql"))]
        pub(super) fn is_pending(&self) -> bool {
            self.pending.is_some()
        }
    }

    /// The sealed part of [`MigrationConnection`](super::MigrationConnection).
    pub trait Connection: Sized {
        /// The SQL dialect of connections of this type.
        const DIALECT: Dialect;
        /// The SQL dialect of the connection.
        fn dialect(&self) -> Dialect;
        /// Runs SQL, discarding any result.
        fn execute_sql(&mut self, sql: &str) -> diesel::QueryResult<()>;
        /// Loads the version row.
        fn load_state(&mut self, sql: &str) -> diesel::QueryResult<Vec<StateRow>>;
        /// Loads log lines.
        fn load_log(&mut self, sql: &str) -> diesel::QueryResult<Vec<LogRow>>;
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
        ) -> Result<T, Error> {
            then_commit(self, what, f)
        }
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

/// [`write_transaction_then`](private::Connection::write_transaction_then)
/// with one round trip for the last statements and another for the commit.
fn then_commit<C: private::Connection, T>(
    conn: &mut C,
    what: &str,
    f: impl FnOnce(&mut C, &mut Begin) -> Result<(T, Option<String>), Error>,
) -> Result<T, Error> {
    conn.write_transaction(|conn| {
        let (value, last) = f(conn, &mut Begin::sent())?;
        if let Some(sql) = last {
            conn.execute_sql(&sql).context(|| what.to_owned())?;
        }
        Ok(value)
    })
}

/// The implementation shared by the three connections, except for the
/// transaction and the lock.
macro_rules! connection_basics {
    ($dialect:expr) => {
        const DIALECT: Dialect = $dialect;

        fn dialect(&self) -> Dialect {
            $dialect
        }

        fn execute_sql(&mut self, sql: &str) -> diesel::QueryResult<()> {
            diesel::connection::SimpleConnection::batch_execute(self, sql)
        }

        fn load_state(&mut self, sql: &str) -> diesel::QueryResult<Vec<StateRow>> {
            diesel::RunQueryDsl::load(CachedQuery(sql.to_owned()), self)
        }

        fn load_log(&mut self, sql: &str) -> diesel::QueryResult<Vec<LogRow>> {
            diesel::RunQueryDsl::load(diesel::sql_query(sql), self)
        }

        fn load_names(&mut self, sql: &str) -> diesel::QueryResult<Vec<NameRow>> {
            diesel::RunQueryDsl::load(diesel::sql_query(sql), self)
        }

        fn load_values(&mut self, sql: &str) -> diesel::QueryResult<Vec<ValueRow>> {
            diesel::RunQueryDsl::load(diesel::sql_query(sql), self)
        }

        fn execute_count(&mut self, sql: &str) -> diesel::QueryResult<usize> {
            diesel::RunQueryDsl::execute(diesel::sql_query(sql), self)
        }

        fn load_holders(&mut self, sql: &str) -> diesel::QueryResult<Vec<HolderRow>> {
            diesel::RunQueryDsl::load(diesel::sql_query(sql), self)
        }

        fn load_leases(&mut self, sql: &str) -> diesel::QueryResult<Vec<LeaseRow>> {
            diesel::RunQueryDsl::load(diesel::sql_query(sql), self)
        }

        fn disable_statement_cache(&mut self) {
            diesel::Connection::set_prepared_statement_cache_size(
                self,
                diesel::connection::CacheSize::Disabled,
            );
        }

        fn begin_with(&mut self, sql: &str) -> diesel::QueryResult<()> {
            diesel::connection::AnsiTransactionManager::begin_transaction_sql(self, sql)
        }

        fn load_query_only(&mut self, sql: &str) -> diesel::QueryResult<Vec<QueryOnlyRow>> {
            diesel::RunQueryDsl::load(diesel::sql_query(sql), self)
        }
    };
}

/// How many times a batch of revchain's own bookkeeping is sent when a
/// Galera certification conflict rolls it back.
#[cfg(feature = "mysql")]
const CERTIFICATION_ATTEMPTS: u32 = 5;

/// `write_transaction` as diesel's `Connection::transaction`: `BEGIN` and
/// `COMMIT` (PostgreSQL, MySQL).
#[cfg(any(feature = "postgres", feature = "mysql"))]
macro_rules! ansi_write_transaction {
    () => {
        fn write_transaction<T>(
            &mut self,
            f: impl FnOnce(&mut Self) -> Result<T, Error>,
        ) -> Result<T, Error> {
            diesel::Connection::transaction(self, f)
        }
    };
}

/// Whether no transaction is open on `conn`: not one the caller opened,
/// where revchain must use savepoints instead of its own `BEGIN`.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn is_outermost<C>(conn: &mut C) -> bool
where
    C: diesel::Connection<TransactionManager = diesel::connection::AnsiTransactionManager>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};

    matches!(
        AnsiTransactionManager::transaction_manager_status_mut(conn).transaction_depth(),
        Ok(None)
    )
}

/// A query whose text is known only at run time (the version table's name
/// is configurable) that diesel may still prepare once per connection and
/// reuse. `sql_query` marks itself unsafe to cache, so every call prepared
/// the statement again: on PostgreSQL one more round trip, on SQLite a
/// schema lookup whose cost grows with the number of tables. Without a
/// static query id, diesel's statement cache keys this one by its SQL text.
/// Used for the version row: the startup check and every step read it.
#[derive(Debug, Clone)]
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

#[cfg(feature = "sqlite")]
impl private::Connection for diesel::SqliteConnection {
    connection_basics!(Dialect::Sqlite);

    fn write_transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.immediate_transaction(f)
    }
}

#[cfg(feature = "postgres")]
impl private::Connection for diesel::PgConnection {
    connection_basics!(Dialect::Postgres);
    ansi_write_transaction!();

    /// `BEGIN` with the first statement `f` sends (through [`Begin`]),
    /// then what else `f` sends, then its last statements and `COMMIT` as
    /// one batch (one simple query): a revision of N statements costs N + 1
    /// round trips, its bookkeeping included. diesel's `PgConnection`
    /// follows libpq's transaction status after every query, so its
    /// transaction manager sees the transaction end with that batch. A
    /// failure anywhere rolls back, as `Connection::transaction` does.
    /// Inside a transaction the caller opened, diesel's savepoints are used
    /// instead.
    fn write_transaction_then<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut Self, &mut Begin) -> Result<(T, Option<String>), Error>,
    ) -> Result<T, Error> {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};

        if !is_outermost(self) {
            return then_commit(self, what, f);
        }
        let depth = |conn: &mut Self| {
            AnsiTransactionManager::transaction_manager_status_mut(conn).transaction_depth()
        };
        let mut begin = Begin::pending(true);
        let result = f(self, &mut begin).and_then(|(value, last)| {
            // `f` sent nothing: the transaction is still to begin.
            let prefix = begin.prefix();
            match last {
                Some(sql) => self
                    .execute_sql(&format!("{prefix}{sql};\nCOMMIT"))
                    .context(|| format!("{what} and committing"))
                    .map(|()| value),
                None if begin.is_pending() => Ok(value),
                None => AnsiTransactionManager::commit_transaction(self)
                    .map(|()| value)
                    .map_err(Error::from),
            }
        });
        match (result, depth(self)) {
            // Committed: libpq reported the session idle, and diesel reset
            // its transaction manager.
            (Ok(value), Ok(None)) => Ok(value),
            // The batch ran without ending the transaction: commit it.
            (Ok(value), Ok(Some(_))) => {
                AnsiTransactionManager::commit_transaction(self)?;
                Ok(value)
            }
            (Ok(_), Err(error)) => Err(error.into()),
            (Err(error), Ok(None)) => {
                // Outside diesel's knowledge: a failed `COMMIT` ended the
                // transaction, or a batch that began it failed (`BEGIN` and
                // the first statement, or `BEGIN`, the last statements and
                // `COMMIT`) and left it aborted. `ROLLBACK` ends the latter,
                // and is a no-op after the former (a warning diesel drops).
                let _ = self.execute_sql("ROLLBACK");
                Err(error)
            }
            (Err(error), _) => {
                // As `Connection::transaction`: roll back, and report the
                // failure that made it necessary. If the rollback fails too,
                // diesel marks the connection broken.
                let _ = AnsiTransactionManager::rollback_transaction(self);
                Err(error)
            }
        }
    }
}

#[cfg(feature = "mysql")]
impl private::Connection for diesel::MysqlConnection {
    connection_basics!(Dialect::Mysql);
    ansi_write_transaction!();

    /// `BEGIN` with the first statement `f` sends (through [`Begin`]), then
    /// the last statements (revchain's bookkeeping) in a transaction of
    /// their own, as one batch: `BEGIN; …; COMMIT`. A revision of N
    /// statements costs N + 1 calls, its bookkeeping included.
    ///
    /// MySQL commits DDL implicitly, which also ends the transaction around
    /// it, so after a revision's first DDL statement every statement commits
    /// alone: without a transaction of their own, the version `UPDATE` and
    /// the log `INSERT` would be two commits, with a moment between them
    /// where one is recorded and the other not. The batch first commits
    /// whatever the revision left open; the database is marked dirty before
    /// a revision runs on MySQL, so a failure after that is never mistaken
    /// for success. diesel's transaction manager is not told of these
    /// transactions (it cannot see a batch end one); on failure revchain
    /// sends `ROLLBACK` itself. Inside a transaction the caller opened, a
    /// `BEGIN` would commit the caller's work: there, the statements run in
    /// the caller's transaction instead.
    fn write_transaction_then<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut Self, &mut Begin) -> Result<(T, Option<String>), Error>,
    ) -> Result<T, Error> {
        if !is_outermost(self) {
            return then_commit(self, what, f);
        }
        let mut begin = Begin::pending(false);
        let result = f(self, &mut begin).and_then(|(value, last)| match last {
            Some(sql) if begin.is_pending() => {
                // Only revchain's bookkeeping: a Galera certification
                // conflict rolled it back, and it is sent again.
                let batch = format!("BEGIN;\n{sql};\nCOMMIT");
                let mut result = self.execute_sql(&batch);
                for attempt in 1..CERTIFICATION_ATTEMPTS {
                    if !result
                        .as_ref()
                        .is_err_and(crate::classify::is_certification_conflict)
                    {
                        break;
                    }
                    let _ = self.execute_sql("ROLLBACK");
                    std::thread::sleep(std::time::Duration::from_millis(20 << attempt));
                    result = self.execute_sql(&batch);
                }
                result.context(|| what.to_owned()).map(|()| value)
            }
            // The revision's transaction commits first, as the offline
            // script writes it. Not retried: a conflict there may be the
            // revision's own.
            Some(sql) => self
                .execute_sql(&format!("COMMIT;\nBEGIN;\n{sql};\nCOMMIT"))
                .context(|| what.to_owned())
                .map(|()| value),
            None if begin.is_pending() => Ok(value),
            None => self
                .execute_sql("COMMIT")
                .context(|| "committing".to_owned())
                .map(|()| value),
        });
        if result.is_err() {
            // The revision's transaction, or the bookkeeping's when its batch
            // failed halfway, may be open: end it. Outside a transaction
            // `ROLLBACK` does nothing.
            let _ = self.execute_sql("ROLLBACK");
        }
        result
    }
}
