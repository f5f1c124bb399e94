//! Errors of the runtime. Each one names the revision and its file where there
//! is one, and says what to do.

use std::fmt;

use revchain_internals::excerpt;

/// A target that cannot be parsed or resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// Not of any target form.
    #[error(
        "invalid target `{}`: expected `head`, `base`, a revision id or a prefix of one, `+N`, `-N`, `<id>+N` or `head-N`",
        excerpt(target)
    )]
    Invalid {
        /// The text given.
        target: String,
    },
    /// No revision has this id or prefix.
    #[error("no such revision `{}`{}", excerpt(target), if *short { "; a prefix needs at least four characters" } else { "" })]
    NoSuchRevision {
        /// The text given.
        target: String,
        /// Whether the prefix was shorter than four characters.
        short: bool,
    },
    /// Several revisions start with this prefix.
    #[error(
        "multiple revisions start with `{prefix}`: {}; give more characters",
        list(candidates)
    )]
    Ambiguous {
        /// The prefix given.
        prefix: String,
        /// The ids it matches.
        candidates: Vec<String>,
    },
    /// A relative target goes past the root or the head.
    #[error("relative revision `{}` goes past the {}: only {available} revision{} {} that way", excerpt(target), if *delta < 0 { "root" } else { "head" }, if *available == 1 { "" } else { "s" }, if *available == 1 { "lies" } else { "lie" })]
    OutOfRange {
        /// The target as given.
        target: String,
        /// Its step count.
        delta: i64,
        /// How many steps there are.
        available: i64,
    },
}

/// The sentence of [`Error::Corrupt`]: the column and its value where one
/// is to blame, else the table.
fn corrupt_what(table: &str, column: Option<&str>, value: Option<&str>, reason: &str) -> String {
    match (column, value) {
        (Some(column), Some(value)) => {
            format!(
                "the column `{column}` of `{table}` holds {value}, which revchain never writes: {reason}"
            )
        }
        (Some(column), None) => format!("the column `{column}` of `{table}`: {reason}"),
        _ => format!("`{table}`: {reason}"),
    }
}

fn list(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which way a revision was run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `up.sql`.
    Up,
    /// `down.sql`.
    Down,
}

impl Direction {
    /// `up` or `down`, as stored in the log table.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }

    /// The file this direction runs.
    pub fn file(self) -> &'static str {
        match self {
            Direction::Up => "up.sql",
            Direction::Down => "down.sql",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One revision whose applied content differs from the embedded one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drifted {
    /// The revision id.
    pub id: String,
    /// Its `up.sql`, as shown in messages.
    pub file: String,
    /// What differs.
    pub reason: DriftReason,
}

/// How an applied revision differs from the embedded chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DriftReason {
    /// `up.sql` was edited after it was applied.
    Edited {
        /// The checksum recorded when it was applied.
        applied: String,
        /// The checksum of the embedded file.
        embedded: String,
    },
    /// The revision sits below the current one in the chain but was never
    /// applied: it was inserted into the history after the database moved on.
    NeverApplied,
    /// Every revision's content matches, but the chain's order or parents
    /// changed below the current revision.
    Reordered,
}

impl fmt::Display for Drifted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            DriftReason::Edited { applied, embedded } => write!(
                f,
                "`{}` was edited after it was applied: `{}` has checksum {}, the database applied {}",
                self.id,
                self.file,
                &embedded[..12.min(embedded.len())],
                &applied[..12.min(applied.len())]
            ),
            DriftReason::Reordered => write!(
                f,
                "the revisions up to `{}` were reordered or re-parented after they were applied (see `{}`)",
                self.id, self.file
            ),
            DriftReason::NeverApplied => write!(
                f,
                "`{}` ({}) is below the current revision in the chain but was never applied",
                self.id, self.file
            ),
        }
    }
}

/// A statement of a revision that failed: which, where, the database's own
/// message, and what to do, which depends on what remains of the revision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "revision `{id}` failed at `{file}` line {line}: {message}\n  statement: {statement}\n  = help: {help}"
)]
#[non_exhaustive]
pub struct RevisionFailed {
    /// The revision id.
    pub id: String,
    /// The file that failed, such as `migrations/…/up.sql`.
    pub file: String,
    /// The line of the file where the failing statement starts.
    pub line: usize,
    /// The failing statement, shortened to its first line.
    pub statement: String,
    /// The database's own message.
    pub message: String,
    /// What to do.
    pub help: String,
}

/// An error of the migration runtime.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A target could not be parsed or resolved.
    #[error(transparent)]
    Target(#[from] TargetError),

    /// A statement of a revision failed.
    #[error(transparent)]
    RevisionFailed(Box<RevisionFailed>),

    /// A revision's SQL cannot be split into statements.
    #[error(
        "revision `{id}`: cannot read `{file}`: {message}\n  = help: rewrite that line as plain SQL"
    )]
    Unsplittable {
        /// The revision id.
        id: String,
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },

    /// Applied revisions differ from the embedded chain.
    #[error(
        "the applied history differs from the embedded chain up to `{current}`:\n{}\n  = help: restore the original files, or, if the database really has the new content, record it with `stamp {current}`{}",
        drifted.iter().map(|d| format!("  - {d}")).collect::<Vec<_>>().join("\n"),
        if drifted.iter().all(|d| matches!(d.reason, DriftReason::Edited { .. })) { String::new() } else { format!("; {SYNC_HINT}") }
    )]
    Drift {
        /// The database's current revision.
        current: String,
        /// The revisions that differ, oldest first.
        drifted: Vec<Drifted>,
    },

    /// The database is at a revision this binary does not know.
    #[error(
        "the database is at revision `{id}`, which is not in the embedded chain (head `{}`): it was migrated by a newer build, or by another branch\n  = help: deploy the build that contains `{id}`, or downgrade with that build first; {SYNC_HINT}",
        head.as_deref().unwrap_or("none")
    )]
    UnknownRevision {
        /// The revision recorded in the database.
        id: String,
        /// The embedded head.
        head: Option<String>,
    },

    /// A previous run failed partway through a revision that could not be
    /// rolled back.
    #[error(
        "the database is dirty: `{direction}` of revision `{id}` ({file}) failed partway, so part of it may be applied\n  = help: repair the schema by hand, then record the result: `stamp {if_complete}` if all of `{file}` is applied, `stamp {if_none}` if none of it is"
    )]
    Dirty {
        /// The revision that failed.
        id: String,
        /// Its file.
        file: String,
        /// Which way it ran.
        direction: Direction,
        /// The revision to stamp when all of the file is applied.
        if_complete: String,
        /// The revision to stamp when none of it is applied.
        if_none: String,
    },

    /// A downgrade would pass a revision without `down.sql`.
    #[error(
        "cannot downgrade through `{id}`: it has no `{file}`, so it cannot be reverted; nothing was changed\n  = help: add `{file}`, or downgrade to `{id}` or later"
    )]
    Irreversible {
        /// The revision id.
        id: String,
        /// The missing file.
        file: String,
    },

    /// The target lies on the other side of the current revision.
    #[error(
        "cannot {operation} to `{target}`: the database is at `{current}`{}",
        hint(operation)
    )]
    WrongDirection {
        /// `upgrade` or `downgrade`.
        operation: &'static str,
        /// The resolved target.
        target: String,
        /// The current revision.
        current: String,
    },

    /// Single-transaction mode was asked for where it cannot work.
    #[error("single-transaction mode is not possible here: {reason}\n  = help: {help}")]
    SingleTransaction {
        /// Why.
        reason: String,
        /// What to do.
        help: String,
    },

    /// The database was migrated by diesel_migrations in a way the chain
    /// cannot adopt.
    #[error("cannot adopt `{table}`: {reason}\n  = help: {help}")]
    Adoption {
        /// The other tool's table: `__diesel_schema_migrations`,
        /// `_sqlx_migrations` or `refinery_schema_history`.
        table: String,
        /// Why.
        reason: String,
        /// What to do.
        help: String,
    },

    /// Corrupt bookkeeping: one of revchain's own tables (the version table,
    /// its `_log` or its `_lock`) holds what revchain never writes, such as
    /// an unknown direction, a checksum that is not one, a dirty flag with
    /// an odd value, several version rows, or a row missing. Told as such,
    /// never as drift or an unknown revision.
    #[error(
        "corrupt bookkeeping: {}\n  = help: {help}",
        corrupt_what(table, column.as_deref(), value.as_deref(), reason)
    )]
    Corrupt {
        /// The table.
        table: String,
        /// The column holding the bad value, if one does.
        column: Option<String>,
        /// The bad value as shown: `` `text` `` (cut if long) or `NULL`.
        value: Option<String>,
        /// What is wrong.
        reason: String,
        /// What to do.
        help: String,
    },

    /// The version table's name cannot be used (see
    /// [`VersionTable`](crate::VersionTable)): refused before anything is
    /// created.
    #[error(
        "the version table name `{name}` cannot be used: {reason}\n  = help: choose another name (`Migrator::version_table`, `--version-table` or `version_table` in a config file): at most 58 bytes, without `.`, whitespace at either end or control characters"
    )]
    VersionTableName {
        /// The name given, cut if long.
        name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Another process held the migration lock for too long.
    #[error(
        "timed out after {} waiting for the migration lock, held by {}\n  = help: another process is migrating this database: wait for it, or, if it hangs, stop it (with the `table` lock, `revchain lock release` frees a lock whose holder is gone)",
        crate::report::seconds(*waited),
        holder.as_ref().map_or_else(|| "another process".to_owned(), ToString::to_string)
    )]
    LockTimeout {
        /// How long revchain waited.
        waited: std::time::Duration,
        /// Who holds the lock, where the database can tell.
        holder: Option<crate::LockHolder>,
    },

    /// Another process took the `table` lock over after this run's lease
    /// expired: the run stopped before writing anything more.
    #[error(
        "lost the migration lock in `{table}`: its lease of {} expired and another process took it over\n  = help: run the command again once the other process is done; if single statements run longer than the lease, set a longer one (`Migrator::lock_lease`)",
        crate::report::seconds(*lease)
    )]
    LockLost {
        /// The lock table.
        table: String,
        /// The lease.
        lease: std::time::Duration,
    },

    /// `release_lock` refused to free a `table` lock whose lease is live.
    #[error(
        "the migration lock in `{table}` is held by {holder}, and its lease runs until {}\n  = help: wait for its holder to finish; if it is gone, the next run takes the lock over once the lease has expired. `--force` frees it now anyway (`release_lock(conn, true)`), but if its holder still runs, another process may then migrate at the same time and apply a revision twice",
        expires_at.as_deref().unwrap_or("an unknown time")
    )]
    LockLive {
        /// The lock table.
        table: String,
        /// Who holds the lock.
        holder: Box<crate::LockHolder>,
        /// When the lease ends, in the database's clock.
        expires_at: Option<String>,
    },

    /// `release_lock` cannot free this lock: why, and what to do.
    #[error("cannot release the migration lock: {reason}\n  = help: {help}")]
    LockRelease {
        /// Why.
        reason: String,
        /// What to do.
        help: String,
    },

    /// The database is not at the embedded head.
    #[error("{0}")]
    NotAtHead(Box<crate::Status>),

    /// A database error outside of a revision's SQL.
    #[error("database error while {context}")]
    Database {
        /// What revchain was doing.
        context: String,
        /// diesel's error.
        #[source]
        source: diesel::result::Error,
    },

    /// The server, the session or the file accepts no writes: a command that
    /// writes refuses before it writes anything.
    #[error("cannot `{operation}`: {what} ({reason}); nothing was written\n  = help: {help}")]
    ReadOnly {
        /// `upgrade`, `downgrade` or `stamp`.
        operation: &'static str,
        /// What is read-only: the server (a replica), the session, the SQLite
        /// file.
        what: String,
        /// How revchain knows.
        reason: String,
        /// What to do.
        help: String,
    },

    /// The connection to the database was lost: the SQL is not at fault.
    #[error(transparent)]
    ConnectionLost(Box<ConnectionLost>),

    /// A revision's transaction gave up waiting for a table lock
    /// (PostgreSQL's `lock_timeout`, set with
    /// [`Migrator::ddl_lock_timeout`](crate::Migrator::ddl_lock_timeout)) on
    /// every attempt: it rolled back each time, so nothing of it was applied.
    #[error(transparent)]
    DdlLockTimeout(Box<DdlLockTimeout>),

    /// [`Migrator::ddl_lock_timeout`](crate::Migrator::ddl_lock_timeout) or
    /// [`Migrator::ddl_retries`](crate::Migrator::ddl_retries) was set where
    /// it cannot work: refused before anything is written.
    #[error(
        "cannot retry the table locks of the DDL (`--ddl-lock-timeout`, `--ddl-retries`): {reason}\n  = help: {help}"
    )]
    DdlOptions {
        /// Why.
        reason: String,
        /// What to do.
        help: String,
    },

    /// The version table has no row, while the log records revisions: the
    /// revision the database is at is unknown, and is never guessed.
    #[error(
        "the version table `{table}` has no row, but its log records {}: revchain does not guess where the database is, and applies nothing\n  = help: check the schema, then record where it is: `stamp {stamp}` if it is where the log says, else `stamp` the revision it is at",
        describe_last(last, *reverted, stamp)
    )]
    VersionRowMissing {
        /// The version table.
        table: String,
        /// The revision of the log's last line.
        last: String,
        /// Whether that line reverted it.
        reverted: bool,
        /// Where the log says the database is: the revision to stamp.
        stamp: String,
    },

    /// `sync` refused: nothing was changed.
    #[error("cannot sync: {reason}; nothing was changed\n  = help: {help}")]
    Sync {
        /// Why.
        reason: String,
        /// What to do.
        help: String,
    },
}

/// What `upgrade`'s divergence errors add: the way forward on a
/// development database.
const SYNC_HINT: &str = "on a development database (after a rebase or a branch switch), `revchain sync` reverts to the last revision the database and the chain share and upgrades to head";

fn describe_last(last: &str, reverted: bool, stamp: &str) -> String {
    if reverted {
        format!("`{last}` as reverted last, which leaves the database at `{stamp}`")
    } else {
        format!("`{last}` as applied last")
    }
}

/// A revision that could not get its table lock within the DDL lock
/// timeout, on its first attempt and on every retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "revision `{id}` could not get its table lock within {} after {attempts} attempt{}{}: {message}\n  = note: each attempt rolled back, so nothing of `{file}` was applied and the database is still at `{at}`\n  = help: run the command again later, raise `--ddl-lock-timeout` (`Migrator::ddl_lock_timeout`) or `--ddl-retries`, or find the session that holds the lock in `pg_stat_activity` (often one `idle in transaction`) and end it",
    timeout.map_or_else(|| "the server's `lock_timeout`".to_owned(), crate::report::seconds),
    if *attempts == 1 { "" } else { "s" },
    statement.as_ref().map_or_else(String::new, |(line, text)| format!(" (line {line} of `{file}`: `{text}`)"))
)]
#[non_exhaustive]
pub struct DdlLockTimeout {
    /// The revision id.
    pub id: String,
    /// The file that ran, such as `migrations/…/up.sql`.
    pub file: String,
    /// The line and first line of the statement that waited, if it was one
    /// of the revision's (else revchain's bookkeeping waited).
    pub statement: Option<(usize, String)>,
    /// The database's own message.
    pub message: String,
    /// The timeout of each attempt (`None`: the server's own
    /// `lock_timeout`).
    pub timeout: Option<std::time::Duration>,
    /// How many times the revision was tried.
    pub attempts: u32,
    /// The revision the database is still at (`base` at the start).
    pub at: String,
}

/// The connection was lost while revchain ran something: what, and what
/// state that leaves the database in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the connection to the database was lost while {during}: {message}\n  = note: {state}\n  = help: run the command again: it resumes from where the database is"
)]
#[non_exhaustive]
pub struct ConnectionLost {
    /// What was running, naming the revision and its file where there is
    /// one.
    pub during: String,
    /// The client library's message.
    pub message: String,
    /// The state the loss leaves the database in.
    pub state: String,
    /// The revision that was running, if one was.
    pub revision: Option<String>,
}

impl ConnectionLost {
    /// A loss outside a revision: each of revchain's own steps commits whole
    /// or not at all.
    pub(crate) fn new(during: String, source: &diesel::result::Error) -> Self {
        ConnectionLost {
            during,
            message: crate::migrator::database_message(source),
            state: "whatever revchain committed before stays, and the statement in flight committed whole or not at all".to_owned(),
            revision: None,
        }
    }
}

fn hint(operation: &str) -> &'static str {
    if operation == "upgrade" {
        "; to go back, use `downgrade`"
    } else {
        "; to go forward, use `upgrade`"
    }
}

/// Adds context to diesel errors.
pub(crate) trait Context<T> {
    fn context(self, context: impl FnOnce() -> String) -> Result<T, Error>;
}

impl<T> Context<T> for Result<T, diesel::result::Error> {
    fn context(self, context: impl FnOnce() -> String) -> Result<T, Error> {
        self.map_err(|source| database_error(context(), source))
    }
}

/// A database error outside a revision's SQL: [`Error::ConnectionLost`] when
/// the connection is gone, else [`Error::Database`].
fn database_error(context: String, source: diesel::result::Error) -> Error {
    if crate::classify::is_connection_lost(&source) {
        Error::ConnectionLost(Box::new(ConnectionLost::new(context, &source)))
    } else {
        Error::Database { context, source }
    }
}

/// diesel's transaction machinery reports failures of `BEGIN`, `COMMIT` and
/// `ROLLBACK` through this conversion.
impl From<diesel::result::Error> for Error {
    fn from(source: diesel::result::Error) -> Self {
        database_error(
            "beginning, committing or rolling back a transaction".to_owned(),
            source,
        )
    }
}
