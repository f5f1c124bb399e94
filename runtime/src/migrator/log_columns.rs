//! The log's columns added after its first release (`down_sql` and
//! `down_checksum`: what undoes each applied revision, for `sync`), added
//! in place to a log created before them. Older lines keep `NULL` there.
//!
//! It happens where the tables are created, before a run writes, under
//! the migration lock:
//! - PostgreSQL: `ALTER TABLE … ADD COLUMN IF NOT EXISTS`, always, in the
//!   transaction that creates the tables; the `--sql` script holds the same
//!   statement, so it migrates an older log too.
//! - SQLite: the columns the catalogue lacks, in that same transaction
//!   (`BEGIN IMMEDIATE`: two processes cannot both add them).
//! - MySQL/MariaDB (MySQL has no `ADD COLUMN IF NOT EXISTS`): the columns
//!   the catalogue lacks, in one `ALTER TABLE`; one that another process
//!   added meanwhile (with `--lock none`) is found by asking again. A
//!   `--sql` script for these two cannot ask: it expects the columns.

use revchain_internals::sql::Dialect;

use crate::backend::MigrationConnection;
use crate::bookkeeping::{Bookkeeping, LOG_COLUMNS};
use crate::error::{Context, Error};

/// What the online command and the script always send: PostgreSQL's
/// idempotent `ALTER TABLE`; nothing elsewhere.
pub(super) fn unconditional(bk: &Bookkeeping) -> Vec<String> {
    match bk.dialect() {
        Dialect::Postgres => bk.add_log_columns(&LOG_COLUMNS),
        _ => Vec::new(),
    }
}

/// Adds the columns the log lacks, on SQLite and MySQL (see the module).
pub(super) fn add_missing<C: MigrationConnection>(
    conn: &mut C,
    bk: &Bookkeeping,
) -> Result<(), Error> {
    if bk.dialect() == Dialect::Postgres {
        return Ok(());
    }
    let missing = missing(conn, bk)?;
    let adding = || {
        format!(
            "adding the columns `down_sql` and `down_checksum` to the log `{}`",
            bk.log_table()
        )
    };
    for sql in bk.add_log_columns(&missing) {
        if let Err(error) = conn.execute_sql(&sql) {
            // Another process added them meanwhile.
            if bk.dialect() == Dialect::Mysql && self::missing(conn, bk)?.is_empty() {
                return Ok(());
            }
            return Err(error).context(adding);
        }
    }
    Ok(())
}

/// The columns of [`LOG_COLUMNS`] the log lacks.
pub(super) fn missing<C: MigrationConnection>(
    conn: &mut C,
    bk: &Bookkeeping,
) -> Result<Vec<&'static str>, Error> {
    let found = conn
        .load_names(&bk.existing_log_columns())
        .context(|| format!("reading the columns of the log `{}`", bk.log_table()))?;
    Ok(LOG_COLUMNS
        .into_iter()
        .filter(|column| !found.iter().any(|row| row.name == *column))
        .collect())
}
