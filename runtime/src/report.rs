//! What `upgrade`, `downgrade` and `status` report.

use std::fmt;
use std::time::Duration;

use crate::error::Direction;

/// One revision run by `upgrade` or `downgrade`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The revision id.
    pub id: String,
    /// Its message.
    pub message: String,
    /// Which file ran.
    pub direction: Direction,
    /// How long its SQL and bookkeeping took.
    pub duration: Duration,
    /// How many statements of its SQL file ran (0 for a placeholder).
    pub statements: usize,
}

/// What a migration is doing, for progress output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// A revision is about to run (after the state was re-read under the
    /// lock, so it really runs).
    Starting {
        /// The revision id.
        id: String,
        /// Which way.
        direction: Direction,
        /// Its parent's id (`None` for the root).
        parent: Option<String>,
        /// Its message.
        message: String,
    },
    /// A revision finished, bookkeeping included.
    Finished(Step),
    /// Another process holds the migration lock: sent after about a second
    /// of waiting, and every 30 seconds after that.
    Waiting {
        /// Who holds it, where the database can tell.
        holder: Option<crate::LockHolder>,
        /// How long this process has waited.
        waited: Duration,
    },
    /// A revision's transaction gave up waiting for a table lock and rolled
    /// back (see [`Migrator::ddl_lock_timeout`](crate::Migrator::ddl_lock_timeout)):
    /// it runs again after `wait`.
    Retrying {
        /// The revision id.
        id: String,
        /// Which retry this is, from 1.
        attempt: u32,
        /// How many retries there may be.
        of: u32,
        /// The database's message.
        reason: String,
        /// How long revchain waits before the retry.
        wait: Duration,
    },
}

/// What an `upgrade`, `downgrade` or `stamp` did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// The revision the database was at before (`None`: base).
    pub from: Option<String>,
    /// The revision it is at now.
    pub to: Option<String>,
    /// The revisions run by this call, in order. Revisions another process
    /// applied meanwhile are not listed.
    pub steps: Vec<Step>,
    /// Revisions recorded as applied because diesel_migrations had applied
    /// them (`__diesel_schema_migrations`).
    pub adopted: Vec<String>,
}

impl Report {
    /// The total time of the steps.
    pub fn duration(&self) -> Duration {
        self.steps.iter().map(|step| step.duration).sum()
    }
}

/// Where a database stands against the embedded chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The database's revision (`None`: base, or never migrated).
    pub current: Option<String>,
    /// The embedded head.
    pub head: Option<String>,
    /// The revisions an `upgrade head` would apply, oldest first.
    pub pending: Vec<String>,
    /// Whether `current` is a revision of the embedded chain.
    pub known: bool,
    /// The revision that failed partway, if the database is dirty.
    pub dirty: Option<String>,
    /// Whether the applied chain's digest equals the embedded one.
    pub digest_matches: bool,
}

impl Status {
    /// Whether the database is at the embedded head, clean and unchanged.
    pub fn is_at_head(&self) -> bool {
        self.known && self.pending.is_empty() && self.dirty.is_none() && self.digest_matches
    }
}

fn shown(revision: Option<&str>) -> String {
    revision.map_or_else(|| "base".to_owned(), |id| format!("`{id}`"))
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = shown(self.current.as_deref());
        let head = shown(self.head.as_deref());
        if let Some(dirty) = &self.dirty {
            return write!(
                f,
                "the database is dirty: revision `{dirty}` failed partway\n  = help: repair the schema, then `stamp` the revision it is at"
            );
        }
        if !self.known {
            return write!(
                f,
                "the database is at {current}, which this binary does not know (its head is {head}): a newer build migrated it\n  = help: deploy that build, or downgrade with it first"
            );
        }
        if !self.digest_matches {
            return write!(
                f,
                "the database is at {current}, but the revisions it applied differ from the embedded ones\n  = help: run `verify` to see which"
            );
        }
        if self.pending.is_empty() {
            return write!(f, "the database is at head {head}");
        }
        let pending: Vec<String> = self.pending.iter().map(|id| format!("`{id}`")).collect();
        write!(
            f,
            "the database is at {current}, not at head {head}: {} revision{} pending: {}\n  = help: run `upgrade head`",
            pending.len(),
            if pending.len() == 1 { " is" } else { "s are" },
            pending.join(", ")
        )
    }
}

/// A duration as whole seconds, or milliseconds under one second.
pub(crate) fn seconds(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{} s", duration.as_secs())
    }
}
