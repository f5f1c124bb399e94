//! `lock status` and `lock release`: who holds the migration lock, and
//! freeing a `table` lock whose holder is gone. Both resolve the strategy
//! as a run does, and read through the strategies' own queries; `status`
//! only reads, and never creates the lock table.

use std::fmt;

use revchain_internals::sql::Dialect;

use super::{LockHolder, LockOptions, LockStrategy, TableLock, advisory, resolve};
use crate::backend::MigrationConnection;
use crate::bookkeeping::Bookkeeping;
use crate::error::Error;

/// A `table` lock's holder and lease, read from its row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// Who took the lock, and when (its `since`).
    pub holder: LockHolder,
    /// When the lease ends, in the database's clock and format.
    pub expires_at: Option<String>,
    /// Whether the lease has ended, by the database's clock: its holder
    /// stopped renewing it, so it is gone, and another run may take the lock
    /// over.
    pub expired: bool,
}

/// Who holds the migration lock, as [`Migrator::lock_status`] reads it.
///
/// [`Migrator::lock_status`]: crate::Migrator::lock_status
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LockState {
    /// Nobody holds it (a `table` lock never taken counts as free).
    Free,
    /// A `table` lock row is held, with a lease that may have expired.
    Leased(Lease),
    /// A session holds the `advisory` lock (PostgreSQL, MySQL/MariaDB).
    Held(LockHolder),
    /// SQLite's `advisory` strategy: each step takes the file's write lock
    /// for its transaction, and SQLite cannot tell who holds it.
    Unknown,
    /// The strategy is `none`: no lock is ever taken.
    NoLock,
}

/// The migration lock of a database: which strategy applies, and who holds
/// it.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use diesel::Connection;
/// use revchain::{LockState, LockStrategy, Migrator};
///
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
///
/// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
/// let migrator = Migrator::new(&REVISIONS).lock(LockStrategy::Table);
/// let status = migrator.lock_status(&mut conn).unwrap();
/// assert_eq!(status.strategy, LockStrategy::Table);
/// assert_eq!(status.table.as_deref(), Some("revchain_version_lock"));
/// assert_eq!(status.state, LockState::Free);
/// assert_eq!(status.to_string(), "table (`revchain_version_lock`), free");
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockStatus {
    /// The strategy that applies on this connection: `auto` resolved as a
    /// run resolves it, so never [`LockStrategy::Auto`].
    pub strategy: LockStrategy,
    /// The lock table, with the `table` strategy.
    pub table: Option<String>,
    /// Who holds the lock.
    pub state: LockState,
}

impl fmt::Display for LockStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.strategy.as_str())?;
        if let Some(table) = &self.table {
            write!(f, " (`{table}`)")?;
        }
        match &self.state {
            LockState::Free => f.write_str(", free"),
            LockState::Held(holder) => write!(f, ", held by {holder}"),
            LockState::Leased(lease) => {
                write!(f, ", held by {}", lease.holder)?;
                let until = lease.expires_at.as_deref().unwrap_or("unknown");
                if lease.expired {
                    write!(
                        f,
                        ", lease expired at {until}: its holder is gone, and the next run takes the lock over"
                    )
                } else {
                    write!(f, ", lease expires at {until}")
                }
            }
            LockState::Unknown => f.write_str(
                ": SQLite takes the file's write lock for each step, and cannot tell who holds it",
            ),
            LockState::NoLock => {
                f.write_str(": no lock is taken, so two runs at once can apply a revision twice")
            }
        }
    }
}

/// What [`Migrator::release_lock`] did.
///
/// [`Migrator::release_lock`]: crate::Migrator::release_lock
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Released {
    /// The lock was free: nothing was changed.
    Free,
    /// The lock row was freed: its holder and lease as they were (a live
    /// lease was freed with `force`).
    Freed {
        /// The lock table.
        table: String,
        /// Who held the lock, and the lease it had.
        lease: Lease,
    },
}

/// Who holds the lock (see [`LockStatus`]). Only reads.
pub(crate) fn status<C: MigrationConnection>(
    conn: &mut C,
    bk: &Bookkeeping,
    options: LockOptions,
) -> Result<LockStatus, Error> {
    let strategy = resolve(conn, options.strategy)?;
    let (table, state) = match strategy {
        LockStrategy::Table => {
            let lock = TableLock::new(bk, options);
            let state = match lock.exists(conn)? {
                false => LockState::Free,
                true => lock.lease(conn)?.map_or(LockState::Free, LockState::Leased),
            };
            (Some(lock.name().to_owned()), state)
        }
        LockStrategy::None => (None, LockState::NoLock),
        LockStrategy::Advisory | LockStrategy::Auto => {
            let state = if bk.dialect() == Dialect::Sqlite {
                LockState::Unknown
            } else {
                advisory::Advisory::new(bk.dialect(), bk.version_table())
                    .holder(conn)?
                    .map_or(LockState::Free, LockState::Held)
            };
            (None, state)
        }
    };
    Ok(LockStatus {
        strategy,
        table,
        state,
    })
}

/// Frees a `table` lock whose lease has expired, or any with `force`;
/// refuses a live lease without `force`, and the other strategies.
pub(crate) fn release<C: MigrationConnection>(
    conn: &mut C,
    bk: &Bookkeeping,
    options: LockOptions,
    force: bool,
) -> Result<Released, Error> {
    let refuse = |reason: String, help: &str| Error::LockRelease {
        reason,
        help: help.to_owned(),
    };
    match resolve(conn, options.strategy)? {
        LockStrategy::Table => {}
        LockStrategy::None => {
            return Err(refuse(
                "the lock strategy is `none`, which takes no lock".to_owned(),
                "to free a `table` lock, pass `--lock table` (`Migrator::lock(LockStrategy::Table)`)",
            ));
        }
        LockStrategy::Advisory | LockStrategy::Auto if bk.dialect() == Dialect::Sqlite => {
            return Err(refuse(
                "SQLite's `advisory` strategy holds no lock between steps: each step's write lock ends with its transaction".to_owned(),
                "nothing to release; to free a `table` lock, pass `--lock table`",
            ));
        }
        LockStrategy::Advisory | LockStrategy::Auto => {
            let holder = advisory::Advisory::new(bk.dialect(), bk.version_table()).holder(conn)?;
            let terminate = match bk.dialect() {
                Dialect::Postgres => "`SELECT pg_terminate_backend(PID)`",
                _ => "`KILL PID`",
            };
            let reason = match holder {
                Some(holder) => format!(
                    "the `advisory` lock is a session lock, held by {holder}: it ends only with that connection"
                ),
                None => "the `advisory` lock is a session lock, and nobody holds it: it always ends with its holder's connection".to_owned(),
            };
            return Err(refuse(
                reason,
                &format!(
                    "stop the holder, or end its connection on the server with {terminate}, PID being the pid `lock status` shows; to free a `table` lock, pass `--lock table`"
                ),
            ));
        }
    }
    let lock = TableLock::new(bk, options);
    if !lock.exists(conn)? {
        return Ok(Released::Free);
    }
    let lease = match lock.lease(conn) {
        Ok(Some(lease)) => lease,
        Ok(None) => return Ok(Released::Free),
        // A row revchain never wrote: `--force` rewrites it, as the
        // error's help says.
        Err(Error::Corrupt { .. }) if force => Lease {
            holder: LockHolder::default(),
            expires_at: None,
            expired: false,
        },
        Err(error) => return Err(error),
    };
    if !lease.expired && !force {
        return Err(Error::LockLive {
            table: lock.name().to_owned(),
            holder: Box::new(lease.holder),
            expires_at: lease.expires_at,
        });
    }
    if lock.free(conn, force)? {
        return Ok(Released::Freed {
            table: lock.name().to_owned(),
            lease,
        });
    }
    // Between the read and the write, the holder released or renewed the
    // lock, or another run took it over.
    match lock.lease(conn)? {
        None => Ok(Released::Free),
        Some(_) => Err(refuse(
            format!(
                "the lock in `{}` changed hands while it was being released",
                lock.name()
            ),
            "run `lock status` to see who holds it now",
        )),
    }
}
