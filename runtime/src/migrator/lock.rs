//! The migration lock: held around every operation that writes, so that
//! replicas starting together apply each revision once.

use revchain_internals::sql::Dialect;

use crate::backend::MigrationConnection;
use crate::bookkeeping::Bookkeeping;
use crate::error::Error;

/// Whether the migration lock of `dialect` is a session-level lock held for
/// the whole run (PostgreSQL's advisory lock, MySQL's `GET_LOCK`): then no
/// other revchain process can move the version while this one migrates, and
/// the state read right after taking the lock stays true between steps.
/// SQLite has no such lock: each step takes the write lock with
/// `BEGIN IMMEDIATE` and must re-read the state under it.
pub(crate) fn has_session_lock(dialect: Dialect) -> bool {
    dialect != Dialect::Sqlite
}

/// Runs `f` holding the migration lock, releasing it afterwards even when
/// `f` fails.
pub(super) fn with_lock<C: MigrationConnection, T>(
    conn: &mut C,
    bk: &Bookkeeping,
    f: impl FnOnce(&mut C) -> Result<T, Error>,
) -> Result<T, Error> {
    conn.lock(bk.version_table())?;
    let result = f(conn);
    let released = conn.unlock(bk.version_table());
    let value = result?;
    released?;
    Ok(value)
}
