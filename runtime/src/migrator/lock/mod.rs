//! The migration lock: held around every operation that writes, so that
//! replicas starting together apply each revision once.
//!
//! Two strategies (see [`LockStrategy`]): a session lock of the database
//! (`advisory`, in [`advisory`]), or a lock row with a lease in a table of
//! revchain's own (`table`, in [`table`]), which needs no session state and
//! so works on Galera clusters and behind transaction poolers. Both wait the
//! same way: polling, telling the caller who holds the lock within about a
//! second and every 30 seconds after, until the lock timeout if there is one.

mod advisory;
mod status;
mod table;

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use revchain_internals::sql::Dialect;

use crate::backend::{Begin, HolderRow, MigrationConnection};
use crate::bookkeeping::Bookkeeping;
use crate::error::{Context, Error};
use crate::report::Progress;

pub use status::{Lease, LockState, LockStatus, Released};
pub(crate) use status::{release as release_lock, status};
pub(crate) use table::TableLock;

/// How a run keeps other processes out while it migrates: set with
/// [`Migrator::lock`](crate::Migrator::lock), the CLI's `--lock` or the
/// config key `lock`.
///
/// ```
/// use revchain::LockStrategy;
///
/// assert_eq!("table".parse::<LockStrategy>(), Ok(LockStrategy::Table));
/// assert_eq!(LockStrategy::default(), LockStrategy::Auto);
/// assert_eq!(LockStrategy::Advisory.to_string(), "advisory");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LockStrategy {
    /// `table` on a MariaDB Galera node (`wsrep_on`), `advisory` elsewhere.
    #[default]
    Auto,
    /// The database's session lock: `pg_advisory_lock`, MySQL's `GET_LOCK`;
    /// on SQLite, the write lock of each step with a busy timeout.
    Advisory,
    /// A lock row with a lease in the table `<version table>_lock`, taken
    /// with a write the database serializes and renewed while the run
    /// lasts; once the lease has expired (its holder is gone), another
    /// process takes it over. Needs no session state: for Galera clusters
    /// and transaction-pooling proxies such as PgBouncer.
    Table,
    /// No lock: for a single writer only. Two processes migrating at once
    /// can then apply a revision twice.
    None,
}

impl LockStrategy {
    /// The name used by the CLI and config files.
    pub fn as_str(self) -> &'static str {
        match self {
            LockStrategy::Auto => "auto",
            LockStrategy::Advisory => "advisory",
            LockStrategy::Table => "table",
            LockStrategy::None => "none",
        }
    }
}

impl fmt::Display for LockStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lock strategy name that is none of `auto`, `advisory`, `table`, `none`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown lock strategy `{0}`: expected `auto`, `advisory`, `table` or `none`")]
pub struct ParseLockStrategyError(String);

impl FromStr for LockStrategy {
    type Err = ParseLockStrategyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            LockStrategy::Auto,
            LockStrategy::Advisory,
            LockStrategy::Table,
            LockStrategy::None,
        ]
        .into_iter()
        .find(|strategy| strategy.as_str() == s)
        .ok_or_else(|| ParseLockStrategyError(s.to_owned()))
    }
}

/// Who holds the migration lock, as far as the database can tell.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockHolder {
    /// The host it connected from, or runs on.
    pub host: Option<String>,
    /// Its process id (`table`), or its server connection id (`advisory`).
    pub pid: Option<String>,
    /// Its application name (`table`, PostgreSQL) or database user (MySQL).
    pub application: Option<String>,
    /// Since when: the lock was taken (`table`), the session started
    /// (PostgreSQL), or for how many seconds its statement has run (MySQL).
    pub since: Option<String>,
}

impl From<HolderRow> for LockHolder {
    fn from(row: HolderRow) -> Self {
        LockHolder {
            host: row.host,
            pid: row.pid,
            application: row.application,
            since: row.since,
        }
    }
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(pid) = &self.pid {
            parts.push(format!("pid {pid}"));
        }
        if let Some(host) = &self.host {
            parts.push(format!("on `{host}`"));
        }
        if let Some(application) = &self.application {
            parts.push(format!("(`{application}`)"));
        }
        if let Some(since) = &self.since {
            parts.push(format!("since {since}"));
        }
        if parts.is_empty() {
            f.write_str("another process")
        } else {
            f.write_str(&parts.join(" "))
        }
    }
}

/// The lock options of a migrator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LockOptions {
    pub(crate) strategy: LockStrategy,
    /// How long to wait for the lock; `None`: as long as it takes.
    pub(crate) timeout: Option<Duration>,
    /// How long a `table` lock lasts without being renewed.
    pub(crate) lease: Duration,
}

impl Default for LockOptions {
    fn default() -> Self {
        LockOptions {
            strategy: LockStrategy::Auto,
            timeout: None,
            lease: Duration::from_secs(300),
        }
    }
}

/// Whether the migration lock of `dialect` is a session-level lock held for
/// the whole run (PostgreSQL's advisory lock, MySQL's `GET_LOCK`, or a
/// `table` lock): then no other revchain process can move the version while
/// this one migrates, and the state read right after taking the lock stays
/// true between steps. SQLite's advisory strategy has no such lock: each
/// step takes the write lock with `BEGIN IMMEDIATE` and must re-read the
/// state under it.
pub(crate) fn has_session_lock(dialect: Dialect) -> bool {
    dialect != Dialect::Sqlite
}

/// The lock a run holds.
pub(crate) enum Held {
    /// A session lock, released with this statement.
    Advisory { release: Option<String> },
    /// A lock row with a lease.
    Table(TableLock),
    /// No lock.
    None,
}

impl Held {
    /// Renews a `table` lock's lease if a third of it has passed, and fails
    /// if another process took the lock over (its lease had expired): the
    /// run must stop before writing anything more. Called between
    /// statements.
    pub(crate) fn keep<C: MigrationConnection>(&mut self, conn: &mut C) -> Result<(), Error> {
        match self {
            Held::Table(lock) => lock.keep(conn),
            Held::Advisory { .. } | Held::None => Ok(()),
        }
    }

    /// Renews a `table` lock's lease as the first statement of a step's
    /// transaction: the row stays locked until the step commits, so no
    /// other process can take the lock over while the step runs.
    pub(crate) fn fence<C: MigrationConnection>(
        &mut self,
        conn: &mut C,
        begin: &mut Begin,
    ) -> Result<(), Error> {
        match self {
            Held::Table(lock) => lock.fence(conn, begin),
            Held::Advisory { .. } | Held::None => Ok(()),
        }
    }
}

/// Runs `f` holding the migration lock, releasing it afterwards even when
/// `f` fails. While it waits for the lock, `progress` hears who holds it.
pub(crate) fn with_lock<C: MigrationConnection, T>(
    conn: &mut C,
    bk: &Bookkeeping,
    options: LockOptions,
    progress: &mut dyn FnMut(Progress),
    f: impl FnOnce(&mut C, &mut Held, &mut dyn FnMut(Progress)) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut held = acquire(conn, bk, options, progress)?;
    let result = f(conn, &mut held, progress);
    let released = release(conn, held);
    let value = result?;
    released?;
    Ok(value)
}

/// The strategy `auto` stands for on this connection.
fn resolve<C: MigrationConnection>(
    conn: &mut C,
    strategy: LockStrategy,
) -> Result<LockStrategy, Error> {
    if strategy != LockStrategy::Auto {
        return Ok(strategy);
    }
    if conn.dialect() == Dialect::Mysql && is_galera(conn)? {
        Ok(LockStrategy::Table)
    } else {
        Ok(LockStrategy::Advisory)
    }
}

/// Whether a MySQL connection is to a Galera node with replication on.
fn is_galera<C: MigrationConnection>(conn: &mut C) -> Result<bool, Error> {
    match conn.load_values("SELECT CAST(@@global.wsrep_on AS SIGNED) AS value") {
        Ok(rows) => Ok(rows.first().and_then(|row| row.value) == Some(1)),
        // A server built without Galera has no such variable; diesel gives
        // no error number, so the message tells that case from others.
        Err(diesel::result::Error::DatabaseError(_, info))
            if info.message().contains("wsrep_on") =>
        {
            Ok(false)
        }
        Err(error) => Err(error).context(|| "asking whether this is a Galera node".to_owned()),
    }
}

fn acquire<C: MigrationConnection>(
    conn: &mut C,
    bk: &Bookkeeping,
    options: LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Held, Error> {
    match resolve(conn, options.strategy)? {
        LockStrategy::None => Ok(Held::None),
        LockStrategy::Table => {
            let mut lock = TableLock::new(bk, options);
            lock.prepare(conn)?;
            wait(conn, options.timeout, progress, &mut lock)?;
            lock.after_taken(conn)?;
            Ok(Held::Table(lock))
        }
        LockStrategy::Advisory | LockStrategy::Auto => {
            let lock = advisory::Advisory::new(bk.dialect(), bk.version_table());
            if let Some(sql) = lock.session_setup(options.timeout) {
                conn.execute_sql(&sql)
                    .context(|| "setting SQLite's busy timeout".to_owned())?;
                return Ok(Held::Advisory { release: None });
            }
            let mut lock = lock;
            wait(conn, options.timeout, progress, &mut lock)?;
            Ok(Held::Advisory {
                release: lock.release(),
            })
        }
    }
}

fn release<C: MigrationConnection>(conn: &mut C, held: Held) -> Result<(), Error> {
    match held {
        Held::Table(lock) => lock.release(conn),
        Held::Advisory { release: Some(sql) } => conn
            .load_values(&sql)
            .map(drop)
            .context(|| "releasing the migration lock".to_owned()),
        Held::Advisory { release: None } | Held::None => Ok(()),
    }
}

/// When a waiting process first says so, and how often after that.
const FIRST_REPORT: Duration = Duration::from_secs(1);
const REPORT_EVERY: Duration = Duration::from_secs(30);

/// A lock that is taken by polling.
trait Polled {
    /// Takes the lock if it is free.
    fn try_take<C: MigrationConnection>(&mut self, conn: &mut C) -> Result<bool, Error>;
    /// Who holds it, where the database can tell.
    fn holder<C: MigrationConnection>(&self, conn: &mut C) -> Result<Option<LockHolder>, Error>;
}

impl Polled for TableLock {
    fn try_take<C: MigrationConnection>(&mut self, conn: &mut C) -> Result<bool, Error> {
        TableLock::try_take(self, conn)
    }

    fn holder<C: MigrationConnection>(&self, conn: &mut C) -> Result<Option<LockHolder>, Error> {
        TableLock::holder(self, conn)
    }
}

impl Polled for advisory::Advisory {
    fn try_take<C: MigrationConnection>(&mut self, conn: &mut C) -> Result<bool, Error> {
        advisory::Advisory::try_take(self, conn)
    }

    fn holder<C: MigrationConnection>(&self, conn: &mut C) -> Result<Option<LockHolder>, Error> {
        advisory::Advisory::holder(self, conn)
    }
}

/// Tries to take `lock` until it is taken or `timeout` passes, telling
/// `progress` who holds it after [`FIRST_REPORT`] and every
/// [`REPORT_EVERY`]. Polls with a back-off from 50 ms to 500 ms.
fn wait<C: MigrationConnection>(
    conn: &mut C,
    timeout: Option<Duration>,
    progress: &mut dyn FnMut(Progress),
    lock: &mut impl Polled,
) -> Result<(), Error> {
    let started = Instant::now();
    let mut next_report = FIRST_REPORT;
    let mut delay = Duration::from_millis(50);
    let mut first = true;
    loop {
        if lock.try_take(conn)? {
            if !first {
                crate::trace::lock_taken(started.elapsed());
            }
            return Ok(());
        }
        first = false;
        let waited = started.elapsed();
        if timeout.is_some_and(|timeout| waited >= timeout) {
            return Err(Error::LockTimeout {
                waited,
                holder: lock.holder(conn)?,
            });
        }
        if waited >= next_report {
            progress(Progress::Waiting {
                holder: lock.holder(conn)?,
                waited,
            });
            next_report = waited + REPORT_EVERY;
        }
        let left = timeout.map_or(delay, |timeout| timeout.saturating_sub(waited));
        std::thread::sleep(delay.min(left).max(Duration::from_millis(1)));
        delay = (delay * 2).min(Duration::from_millis(500));
    }
}
