//! The write transactions of every connection, chosen by its backend's
//! dialect and written once over diesel's generic transaction manager, so
//! that diesel's connections, diesel-async's `AsyncConnectionWrapper` and
//! pooled connections send the same statements in the same round trips.
//!
//! - **SQLite**: `BEGIN IMMEDIATE`, so the write lock is taken when the
//!   transaction begins, as diesel's `immediate_transaction` does.
//! - **PostgreSQL**: `BEGIN` goes with the first statement, and revchain's
//!   bookkeeping with `COMMIT`, each batch one round trip.
//! - **MySQL**: `BEGIN` with the first statement; the bookkeeping in a
//!   transaction of its own, `BEGIN; …; COMMIT`, retried after a Galera
//!   certification conflict.

use std::num::NonZeroU32;

use diesel::connection::{TransactionDepthChange, TransactionManager, TransactionManagerStatus};
use revchain_internals::sql::Dialect;

use super::KnownBackend;
use super::private::{Begin, Connection};
use crate::error::{Context, Error};

/// How many times a batch of revchain's own bookkeeping is sent when a
/// Galera certification conflict rolls it back.
#[cfg(feature = "mysql_backend")]
const CERTIFICATION_ATTEMPTS: u32 = 5;

/// The depth of the transaction diesel's transaction manager knows of on
/// `conn`: `None` outside a transaction.
fn depth<C: diesel::Connection>(conn: &mut C) -> diesel::QueryResult<Option<NonZeroU32>> {
    <C::TransactionManager as TransactionManager<C>>::transaction_manager_status_mut(conn)
        .transaction_depth()
}

/// Tells diesel's transaction manager that a transaction began or ended
/// through SQL it did not send itself.
fn change_depth<C: diesel::Connection>(
    conn: &mut C,
    change: TransactionDepthChange,
) -> diesel::QueryResult<()> {
    match <C::TransactionManager as TransactionManager<C>>::transaction_manager_status_mut(conn) {
        TransactionManagerStatus::Valid(status) => status.change_transaction_depth(change),
        TransactionManagerStatus::InError => Err(diesel::result::Error::BrokenTransactionManager),
    }
}

/// Whether no transaction is open on `conn`: not one the caller opened,
/// where revchain must use savepoints instead of its own `BEGIN`.
fn is_outermost<C: diesel::Connection>(conn: &mut C) -> bool {
    matches!(depth(conn), Ok(None))
}

/// Opens a transaction with `sql`, which starts with `BEGIN`, and tells
/// diesel's transaction manager so: diesel's
/// `AnsiTransactionManager::begin_transaction_sql`, for any connection's
/// transaction manager.
pub(super) fn begin_with<C: diesel::Connection>(
    conn: &mut C,
    sql: &str,
) -> diesel::QueryResult<()> {
    if depth(conn)?.is_some() {
        return Err(diesel::result::Error::AlreadyInTransaction);
    }
    conn.batch_execute(sql)?;
    change_depth(conn, TransactionDepthChange::IncreaseDepth)
}

/// Runs `f` in a transaction that holds the database's write lock from its
/// start: `BEGIN IMMEDIATE` on SQLite, diesel's `Connection::transaction`
/// elsewhere (a savepoint inside a transaction the caller opened).
pub(super) fn write_transaction<C, T>(
    conn: &mut C,
    f: impl FnOnce(&mut C) -> Result<T, Error>,
) -> Result<T, Error>
where
    C: Connection + diesel::Connection,
    C::Backend: KnownBackend,
{
    if <C::Backend as KnownBackend>::DIALECT != Dialect::Sqlite {
        return diesel::Connection::transaction(conn, f);
    }
    // As diesel's `SqliteConnection::immediate_transaction`, for any
    // connection to SQLite.
    begin_with(conn, "BEGIN IMMEDIATE")?;
    match f(conn) {
        Ok(value) => {
            <C::TransactionManager as TransactionManager<C>>::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            match <C::TransactionManager as TransactionManager<C>>::rollback_transaction(conn) {
                Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
                Err(rollback) => Err(rollback.into()),
            }
        }
    }
}

/// [`write_transaction`], then the statements `f` returns as its last ones
/// (revchain's own bookkeeping, never a revision's SQL), then the commit, in
/// the round trips of the backend (see the module). `what` names the last
/// statements in an error.
pub(super) fn write_transaction_then<C, T>(
    conn: &mut C,
    what: &str,
    f: impl FnOnce(&mut C, &mut Begin) -> Result<(T, Option<String>), Error>,
) -> Result<T, Error>
where
    C: Connection + diesel::Connection,
    C::Backend: KnownBackend,
{
    if !is_outermost(conn) {
        return then_commit(conn, what, f);
    }
    match <C::Backend as KnownBackend>::DIALECT {
        Dialect::Sqlite => then_commit(conn, what, f),
        #[cfg(feature = "postgres_backend")]
        Dialect::Postgres => postgres_then(conn, what, f),
        #[cfg(feature = "mysql_backend")]
        Dialect::Mysql => mysql_then(conn, what, f),
        #[allow(unreachable_patterns)]
        _ => then_commit(conn, what, f),
    }
}

/// [`write_transaction_then`] with one round trip for the last statements
/// and another for the commit.
fn then_commit<C, T>(
    conn: &mut C,
    what: &str,
    f: impl FnOnce(&mut C, &mut Begin) -> Result<(T, Option<String>), Error>,
) -> Result<T, Error>
where
    C: Connection + diesel::Connection,
    C::Backend: KnownBackend,
{
    write_transaction(conn, |conn| {
        let (value, last) = f(conn, &mut Begin::sent())?;
        if let Some(sql) = last {
            conn.execute_sql(&sql).context(|| what.to_owned())?;
        }
        Ok(value)
    })
}

/// PostgreSQL: `BEGIN` with the first statement `f` sends (through
/// [`Begin`]), then what else `f` sends, then its last statements and
/// `COMMIT` as one batch (one simple query): a revision of N statements
/// costs N + 1 round trips, its bookkeeping included. diesel's
/// transaction manager is told of the `BEGIN`. diesel's `PgConnection`
/// follows libpq's transaction status after every query, so it sees the
/// transaction end with the last batch; a connection that does not (such as
/// diesel-async's) is told. A failure anywhere rolls back, as
/// `Connection::transaction` does.
#[cfg(feature = "postgres_backend")]
fn postgres_then<C, T>(
    conn: &mut C,
    what: &str,
    f: impl FnOnce(&mut C, &mut Begin) -> Result<(T, Option<String>), Error>,
) -> Result<T, Error>
where
    C: Connection + diesel::Connection,
{
    type Manager<C> = <C as diesel::Connection>::TransactionManager;

    let mut begin = Begin::pending(true);
    let mut committed = false;
    let result = f(conn, &mut begin).and_then(|(value, last)| {
        // `f` sent nothing: the transaction is still to begin.
        let prefix = begin.prefix();
        match last {
            Some(sql) => {
                let sent = conn
                    .execute_sql(&format!("{prefix}{sql};\nCOMMIT"))
                    .context(|| format!("{what} and committing"));
                committed = sent.is_ok();
                sent.map(|()| value)
            }
            None if begin.is_pending() => Ok(value),
            None => <Manager<C> as TransactionManager<C>>::commit_transaction(conn)
                .map(|()| value)
                .map_err(Error::from),
        }
    });
    match (result, depth(conn)) {
        // Committed: libpq reported the session idle, and diesel reset
        // its transaction manager.
        (Ok(value), Ok(None)) => Ok(value),
        // The batch ended with a `COMMIT` that succeeded, on a connection
        // that does not follow the server's transaction status: tell it.
        // The transaction began with the batch when `f` sent nothing.
        (Ok(value), Ok(Some(_))) if committed => {
            change_depth(conn, TransactionDepthChange::DecreaseDepth)?;
            Ok(value)
        }
        // Nothing ended the transaction: commit it.
        (Ok(value), Ok(Some(_))) => {
            <Manager<C> as TransactionManager<C>>::commit_transaction(conn)?;
            Ok(value)
        }
        (Ok(_), Err(error)) => Err(error.into()),
        (Err(error), Ok(None)) => {
            // Outside diesel's knowledge: a failed `COMMIT` ended the
            // transaction, or a batch that began it failed (`BEGIN` and
            // the first statement, or `BEGIN`, the last statements and
            // `COMMIT`) and left it aborted. `ROLLBACK` ends the latter,
            // and is a no-op after the former (a warning diesel drops).
            let _ = conn.execute_sql("ROLLBACK");
            Err(error)
        }
        (Err(error), _) => {
            // As `Connection::transaction`: roll back, and report the
            // failure that made it necessary. If the rollback fails too,
            // diesel marks the connection broken.
            let _ = <Manager<C> as TransactionManager<C>>::rollback_transaction(conn);
            Err(error)
        }
    }
}

/// MySQL: `BEGIN` with the first statement `f` sends (through [`Begin`]),
/// then the last statements (revchain's bookkeeping) in a transaction of
/// their own, as one batch: `BEGIN; …; COMMIT`. A revision of N statements
/// costs N + 1 calls, its bookkeeping included.
///
/// MySQL commits DDL implicitly, which also ends the transaction around it,
/// so after a revision's first DDL statement every statement commits alone:
/// without a transaction of their own, the version `UPDATE` and the log
/// `INSERT` would be two commits, with a moment between them where one is
/// recorded and the other not. The batch first commits whatever the
/// revision left open; the database is marked dirty before a revision runs
/// on MySQL, so a failure after that is never mistaken for success. diesel's
/// transaction manager is not told of these transactions (it cannot see a
/// batch end one); on failure revchain sends `ROLLBACK` itself. Inside a
/// transaction the caller opened, a `BEGIN` would commit the caller's work:
/// there, the statements run in the caller's transaction instead.
#[cfg(feature = "mysql_backend")]
fn mysql_then<C, T>(
    conn: &mut C,
    what: &str,
    f: impl FnOnce(&mut C, &mut Begin) -> Result<(T, Option<String>), Error>,
) -> Result<T, Error>
where
    C: Connection,
{
    let mut begin = Begin::pending(false);
    let result = f(conn, &mut begin).and_then(|(value, last)| match last {
        Some(sql) if begin.is_pending() => {
            // Only revchain's bookkeeping: a Galera certification
            // conflict rolled it back, and it is sent again.
            let batch = format!("BEGIN;\n{sql};\nCOMMIT");
            let mut result = conn.execute_sql(&batch);
            for attempt in 1..CERTIFICATION_ATTEMPTS {
                if !result
                    .as_ref()
                    .is_err_and(crate::classify::is_certification_conflict)
                {
                    break;
                }
                let _ = conn.execute_sql("ROLLBACK");
                let wait = std::time::Duration::from_millis(20 << attempt);
                crate::trace::certification_retry(what, attempt, wait);
                std::thread::sleep(wait);
                result = conn.execute_sql(&batch);
            }
            result.context(|| what.to_owned()).map(|()| value)
        }
        // The revision's transaction commits first, as the offline
        // script writes it. Not retried: a conflict there may be the
        // revision's own.
        Some(sql) => conn
            .execute_sql(&format!("COMMIT;\nBEGIN;\n{sql};\nCOMMIT"))
            .context(|| what.to_owned())
            .map(|()| value),
        None if begin.is_pending() => Ok(value),
        None => conn
            .execute_sql("COMMIT")
            .context(|| "committing".to_owned())
            .map(|()| value),
    });
    if result.is_err() {
        // The revision's transaction, or the bookkeeping's when its batch
        // failed halfway, may be open: end it. Outside a transaction
        // `ROLLBACK` does nothing.
        let _ = conn.execute_sql("ROLLBACK");
    }
    result
}
