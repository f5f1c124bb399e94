//! [`Migrator`]: upgrade, downgrade, stamp, status and verify over a diesel
//! connection.
//!
//! One file per concern: [`plan`] decides what an operation does, [`apply`]
//! runs a plan online and [`offline`] renders it as a `--sql` script;
//! [`state`] reads the version row, [`drift`] refuses a dirty or drifted
//! database, [`adopt`] takes over a diesel_migrations database,
//! [`lock`] holds the migration lock, [`guard`] refuses a read-only
//! database, [`lost`] says what a lost connection left behind, and
//! [`retry`] retries a revision that gave up waiting for a table lock.

mod adopt;
mod apply;
mod drift;
mod foreign;
mod guard;
mod lock;
mod log_columns;
mod lost;
mod offline;
mod plan;
mod retry;
mod script;
mod state;
// Only the stairway steps one revision at a time.
#[cfg(feature = "testing")]
mod stepper;
mod strict;
mod sync;

pub(crate) use adopt::diesel_version;
pub(crate) use apply::database_message;
use lock::LockOptions;
pub use lock::{
    Lease, LockHolder, LockState, LockStatus, LockStrategy, ParseLockStrategyError, Released,
};
use plan::name_at;
use retry::DdlOptions;
#[cfg(feature = "testing")]
pub(crate) use stepper::Stepper;
pub use sync::{SyncPlan, SyncRevert};

use revchain_internals::sql::Dialect;

use crate::backend::MigrationConnection;
use crate::bookkeeping::Bookkeeping;
use crate::error::{Direction, Error};
use crate::report::{Progress, Report, Status};
use crate::{Revisions, Target, VersionTable};

/// The default name of the version table. The log table is named after it,
/// with `_log` appended.
pub const DEFAULT_VERSION_TABLE: &str = "revchain_version";

/// Applies an embedded chain to a database.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use diesel::Connection;
///
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
///
/// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
/// let migrator = revchain::Migrator::new(&REVISIONS);
/// let report = migrator.upgrade(&mut conn, "head").unwrap();
/// assert_eq!(report.steps.len(), REVISIONS.len());
/// assert!(migrator.status(&mut conn).unwrap().is_at_head());
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Migrator<'r> {
    revisions: &'r Revisions,
    version_table: String,
    single_transaction: bool,
    lock: LockOptions,
    ddl: DdlOptions,
}

impl<'r> Migrator<'r> {
    /// A migrator for `revisions`, with the version table
    /// [`DEFAULT_VERSION_TABLE`].
    pub fn new(revisions: &'r Revisions) -> Self {
        Migrator {
            revisions,
            version_table: DEFAULT_VERSION_TABLE.to_owned(),
            single_transaction: false,
            lock: LockOptions::default(),
            ddl: DdlOptions::default(),
        }
    }

    /// How a run keeps other processes out (see [`LockStrategy`]; default
    /// [`LockStrategy::Auto`]).
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use diesel::Connection;
    /// use revchain::{LockStrategy, Migrator};
    ///
    /// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
    ///
    /// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
    /// let migrator = Migrator::new(&REVISIONS).lock(LockStrategy::Table);
    /// migrator.upgrade(&mut conn, "head").unwrap();
    /// assert!(migrator.is_at_head(&mut conn).unwrap());
    /// # }
    /// ```
    pub fn lock(mut self, strategy: LockStrategy) -> Self {
        self.lock.strategy = strategy;
        self
    }

    /// How long to wait for the migration lock before failing with
    /// [`Error::LockTimeout`], naming the holder; `None` (the default):
    /// as long as it takes. On SQLite it is the busy timeout.
    pub fn lock_timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.lock.timeout = timeout;
        self
    }

    /// How long a [`LockStrategy::Table`] lock lasts without being renewed
    /// (default 5 minutes). The holder renews it between statements, so
    /// it must exceed the longest single statement; after it expires,
    /// another process may take the lock over.
    pub fn lock_lease(mut self, lease: std::time::Duration) -> Self {
        self.lock.lease = lease;
        self
    }

    /// On PostgreSQL, how long each statement of a revision may wait for a
    /// table lock: every revision's transaction starts with
    /// `SET LOCAL lock_timeout = '<ms>ms'` (sent with its `BEGIN`, in the
    /// `--sql` script too). A statement that gives up rolls the revision's
    /// transaction back, so nothing of it is applied; with
    /// [`ddl_retries`](Self::ddl_retries) it runs again after a back-off,
    /// else the run fails with [`Error::DdlLockTimeout`]. This way an
    /// `ALTER TABLE` stuck behind a long transaction never queues the
    /// application's queries behind its `ACCESS EXCLUSIVE` wait for long.
    /// `None` (the default) sets nothing.
    ///
    /// It applies to revisions whose statements and bookkeeping commit
    /// together: not to one with `run_in_transaction = false`, which cannot
    /// be rolled back and so is never retried. MySQL, SQLite and
    /// single-transaction mode refuse it ([`Error::DdlOptions`]), before
    /// anything is written.
    ///
    /// ```
    /// use std::time::Duration;
    /// use revchain::{Dialect, Migrator};
    ///
    /// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
    ///
    /// let migrator = Migrator::new(&REVISIONS)
    ///     .ddl_lock_timeout(Some(Duration::from_secs(2)))
    ///     .ddl_retries(3);
    /// let script = migrator.upgrade_sql(Dialect::Postgres, None, "head").unwrap();
    /// assert!(script.contains("BEGIN;\nSET LOCAL lock_timeout = '2000ms';\n"));
    /// assert!(migrator.upgrade_sql(Dialect::Sqlite, None, "head").is_err());
    /// ```
    pub fn ddl_lock_timeout(mut self, timeout: Option<std::time::Duration>) -> Self {
        self.ddl.lock_timeout = timeout;
        self
    }

    /// On PostgreSQL, how many times a revision whose statement gave up
    /// waiting for a table lock runs again (default 0), each after a
    /// back-off of 1 s, 2 s, 4 s … at most 30 s, reported as
    /// [`Progress::Retrying`]. Once they run out, the run fails with
    /// [`Error::DdlLockTimeout`]: nothing of that revision was applied.
    /// See [`ddl_lock_timeout`](Self::ddl_lock_timeout); without it, the
    /// retries follow the server's own `lock_timeout`.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use diesel::Connection;
    /// use revchain::{Error, Migrator};
    ///
    /// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
    ///
    /// // PostgreSQL only: SQLite refuses it before writing anything.
    /// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
    /// let migrator = Migrator::new(&REVISIONS).ddl_retries(2);
    /// assert!(matches!(
    ///     migrator.upgrade(&mut conn, "head"),
    ///     Err(Error::DdlOptions { .. })
    /// ));
    /// # }
    /// ```
    pub fn ddl_retries(mut self, retries: u32) -> Self {
        self.ddl.retries = retries;
        self
    }

    /// Uses another version table (and `<name>_log` as the log table, and
    /// `<name>_lock` for the `table` lock). The name is quoted as an
    /// identifier, whatever it holds; one the database would cut, empty or
    /// dotted is refused by every operation, before anything is created,
    /// with [`Error::VersionTableName`] (see [`VersionTable`]).
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use diesel::Connection;
    /// use revchain::{Error, Migrator};
    ///
    /// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
    ///
    /// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
    /// let migrator = Migrator::new(&REVISIONS).version_table("public.versions");
    /// assert!(matches!(
    ///     migrator.upgrade(&mut conn, "head"),
    ///     Err(Error::VersionTableName { .. })
    /// ));
    /// # }
    /// ```
    pub fn version_table(mut self, name: impl Into<String>) -> Self {
        self.version_table = name.into();
        self
    }

    /// Runs a whole `upgrade` or `downgrade` in one transaction: all of it
    /// applies, or none of it. Only PostgreSQL and SQLite can roll back DDL,
    /// so MySQL refuses it, as does a revision with `run_in_transaction = false`.
    pub fn single_transaction(mut self, on: bool) -> Self {
        self.single_transaction = on;
        self
    }

    /// The chain this migrator applies.
    pub fn revisions(&self) -> &'r Revisions {
        self.revisions
    }

    /// The version table's name.
    pub fn version_table_name(&self) -> &str {
        &self.version_table
    }

    /// The bookkeeping tables' SQL for `dialect`, once the version table's
    /// name is checked ([`VersionTable::new`]): every operation starts here,
    /// so a name the database would cut is refused before anything is read
    /// or created.
    pub(crate) fn bookkeeping(&self, dialect: Dialect) -> Result<Bookkeeping, Error> {
        Ok(Bookkeeping::new(
            dialect,
            &VersionTable::new(self.version_table.as_str())?,
        ))
    }

    /// The revision the database is at, `None` at base. It is reported even
    /// when the embedded chain does not contain it.
    pub fn current<C: MigrationConnection>(&self, conn: &mut C) -> Result<Option<String>, Error> {
        let bk = self.bookkeeping(conn.dialect())?;
        Ok(self.read_state(conn, &bk)?.and_then(|state| state.revision))
    }

    /// Whether the database is at the embedded head, clean, with the applied
    /// chain unchanged: one lookup of one row, whatever the chain's length.
    pub fn is_at_head<C: MigrationConnection>(&self, conn: &mut C) -> Result<bool, Error> {
        let bk = self.bookkeeping(conn.dialect())?;
        let state = self.read_state(conn, &bk)?.unwrap_or_default();
        Ok(state.dirty.is_none()
            && match self.revisions.head() {
                None => state.revision.is_none(),
                Some(head) => {
                    state.revision.as_deref() == Some(head.id()) && state.digest_matches(head)
                }
            })
    }

    /// Fails with [`Error::NotAtHead`] unless [`is_at_head`](Self::is_at_head):
    /// the check an application runs at startup when something else migrates.
    pub fn ensure_at_head<C: MigrationConnection>(&self, conn: &mut C) -> Result<(), Error> {
        if self.is_at_head(conn)? {
            Ok(())
        } else {
            Err(Error::NotAtHead(Box::new(self.status(conn)?)))
        }
    }

    /// The current revision, the pending ones, and whether the database is
    /// at head.
    pub fn status<C: MigrationConnection>(&self, conn: &mut C) -> Result<Status, Error> {
        let bk = self.bookkeeping(conn.dialect())?;
        let state = self.read_state(conn, &bk)?.unwrap_or_default();
        let position = state
            .revision
            .as_deref()
            .map(|id| self.revisions.position(id));
        let known = !matches!(position, Some(None));
        let current = position.flatten();
        let pending = if known {
            let first = current.map_or(0, |p| p + 1);
            self.revisions.as_slice()[first..]
                .iter()
                .map(|revision| revision.id().to_owned())
                .collect()
        } else {
            Vec::new()
        };
        Ok(Status {
            digest_matches: match current {
                Some(p) => state.digest_matches(&self.revisions.as_slice()[p]),
                None => true,
            },
            current: state.revision,
            head: self.revisions.head().map(|head| head.id().to_owned()),
            pending,
            known,
            dirty: state.dirty.map(|(id, _)| id),
        })
    }

    /// Checks that the database is clean, at a revision of the chain, and
    /// that every applied revision still has the content it was applied with.
    /// Costs one lookup; the log is read only to name what differs.
    pub fn verify<C: MigrationConnection>(&self, conn: &mut C) -> Result<(), Error> {
        let bk = self.bookkeeping(conn.dialect())?;
        let Some(state) = self.read_state(conn, &bk)? else {
            return Ok(());
        };
        self.refuse_dirty(&state)?;
        let current = state.position(self.revisions)?;
        self.check_drift(conn, &bk, &state, current)
    }

    /// Applies the revisions up to `target` (see [`Target`]), each in its own
    /// transaction unless configured otherwise, and returns what ran.
    pub fn upgrade<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: &str,
    ) -> Result<Report, Error> {
        self.upgrade_with_progress(conn, target, &mut |_| {})
    }

    /// [`upgrade`](Self::upgrade), calling `progress` before and after each
    /// revision it runs.
    pub fn upgrade_with_progress<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: &str,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report, Error> {
        let target: Target = target.parse()?;
        self.run(conn, &target, Direction::Up, progress)
    }

    /// Reverts the revisions above `target`, newest first. Fails before
    /// changing anything if one of them has no `down.sql`.
    pub fn downgrade<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: &str,
    ) -> Result<Report, Error> {
        self.downgrade_with_progress(conn, target, &mut |_| {})
    }

    /// [`downgrade`](Self::downgrade), calling `progress` before and after
    /// each revision it reverts.
    pub fn downgrade_with_progress<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: &str,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report, Error> {
        let target: Target = target.parse()?;
        self.run(conn, &target, Direction::Down, progress)
    }

    /// Records the database as being at `target` without running any SQL, as
    /// Alembic's `stamp` does; this also clears a dirty state. With `purge`,
    /// the version table is emptied first, whatever it held.
    pub fn stamp<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: &str,
        purge: bool,
    ) -> Result<Report, Error> {
        self.stamp_with_progress(conn, target, purge, &mut |_| {})
    }

    /// [`stamp`](Self::stamp), telling `progress` while it waits for the
    /// migration lock.
    pub fn stamp_with_progress<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: &str,
        purge: bool,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report, Error> {
        self.run_stamp(conn, &target.parse()?, purge, progress)
    }

    /// Which lock strategy applies on this connection (`auto` resolved as a
    /// run resolves it) and who holds the lock. Only reads: a lock table
    /// that does not exist yet was never taken, and is free.
    pub fn lock_status<C: MigrationConnection>(&self, conn: &mut C) -> Result<LockStatus, Error> {
        lock::status(conn, &self.bookkeeping(conn.dialect())?, self.lock)
    }

    /// Frees a [`LockStrategy::Table`] lock whose lease has expired (its
    /// holder is gone). A live lease is refused with
    /// [`Error::LockLive`], naming its holder, unless `force`: then it is
    /// freed anyway, and if its holder still runs, another process may
    /// migrate at the same time. The `advisory` lock is refused with
    /// [`Error::LockRelease`]: it ends with its holder's connection. A free
    /// lock is [`Released::Free`].
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use diesel::Connection;
    /// use revchain::{LockStrategy, Migrator, Released};
    ///
    /// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
    ///
    /// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
    /// let migrator = Migrator::new(&REVISIONS).lock(LockStrategy::Table);
    /// migrator.upgrade(&mut conn, "head").unwrap();
    /// // The upgrade released its lock.
    /// assert_eq!(migrator.release_lock(&mut conn, false).unwrap(), Released::Free);
    /// # }
    /// ```
    pub fn release_lock<C: MigrationConnection>(
        &self,
        conn: &mut C,
        force: bool,
    ) -> Result<Released, Error> {
        lock::release_lock(conn, &self.bookkeeping(conn.dialect())?, self.lock, force)
    }

    /// Whether single-transaction mode is on.
    pub(crate) fn is_single_transaction(&self) -> bool {
        self.single_transaction
    }
}
