//! What the stairway reports: every failure, the revisions it could not
//! revert, and why it stopped early, if it did.

use std::fmt;
use std::time::Duration;

/// Which check of the stairway failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// Upgrading to the revision (its `up.sql`, the first time).
    Upgrade,
    /// Reverting the revision (its `down.sql`).
    Downgrade,
    /// The schema after the downgrade against the schema before the upgrade.
    Schema,
    /// Upgrading to the revision again, after its downgrade.
    Reupgrade,
    /// The models (`schema.rs`) against the database at head.
    Models,
    /// Downgrading from head to base.
    DowngradeToBase,
}

impl Check {
    /// The check's name, as `--format json` writes it: `upgrade`,
    /// `downgrade`, `schema`, `reupgrade`, `models`, `downgrade_to_base`.
    ///
    /// ```
    /// assert_eq!(revchain::testing::Check::Schema.as_str(), "schema");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Upgrade => "upgrade",
            Check::Downgrade => "downgrade",
            Check::Schema => "schema",
            Check::Reupgrade => "reupgrade",
            Check::Models => "models",
            Check::DowngradeToBase => "downgrade_to_base",
        }
    }
}

/// One failure: the revision, the file, and the database's message with the
/// failing statement, or the schema differences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What failed.
    pub check: Check,
    /// The revision (`None` for a failure of the whole chain, such as the
    /// models against head).
    pub revision: Option<String>,
    /// The file: `migrations/…/down.sql`, or the models' `schema.rs`.
    pub file: Option<String>,
    /// The line of `file` where the failing statement starts.
    pub line: Option<usize>,
    /// The failing statement, shortened to its first line.
    pub statement: Option<String>,
    /// The database's own message, or what the schema comparison found.
    pub message: String,
    /// The schema differences, one per line (`left behind: column
    /// `users`.`email``, `removed: table `tags``); empty for a failed
    /// statement.
    pub differences: Vec<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(id) = &self.revision {
            write!(f, "revision `{id}`: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(file) = &self.file {
            match self.line {
                Some(line) => write!(f, "\n  file: `{file}` line {line}")?,
                None => write!(f, "\n  file: `{file}`")?,
            }
        }
        if let Some(statement) = &self.statement {
            write!(f, "\n  statement: {statement}")?;
        }
        for difference in &self.differences {
            write!(f, "\n  - {difference}")?;
        }
        Ok(())
    }
}

/// A revision the stairway did not revert: it has no `down.sql`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The revision id.
    pub revision: String,
    /// The `down.sql` it lacks, such as `migrations/…/down.sql`.
    pub file: String,
}

/// What happened to one revision, for progress output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevisionOutcome {
    /// The revision id.
    pub revision: String,
    /// Its position in the chain, from 1.
    pub position: usize,
    /// The chain's length.
    pub total: usize,
    /// Its failures (none: it passed, or was skipped).
    pub failures: usize,
    /// Whether its down step was skipped (no `down.sql`).
    pub skipped: bool,
    /// How long its steps and comparisons took.
    pub duration: Duration,
}

/// Where a stairway's time went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StairwayTime {
    /// Upgrading (each revision twice, and up to `--from`).
    pub upgrading: Duration,
    /// Downgrading (each revision once, and from head to base).
    pub downgrading: Duration,
    /// Reading the schema (twice per revision).
    pub introspecting: Duration,
    /// Comparing schemas.
    pub comparing: Duration,
}

/// What [`stairway`](crate::testing::stairway) and `revchain test` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StairwayReport {
    /// How many revisions the chain has.
    pub revisions: usize,
    /// The revisions that went up, down and up again (or only up, when
    /// skipped), oldest first.
    pub tested: Vec<String>,
    /// The revisions whose down step was skipped: they have no `down.sql`.
    pub skipped: Vec<Skipped>,
    /// Every failure, in the order found.
    pub failures: Vec<Failure>,
    /// Why the stairway stopped before the head, when it did: the
    /// database's state did not allow it to go on.
    pub stopped: Option<String>,
    /// Whether the chain was downgraded from head to base (not when a
    /// revision has no `down.sql`, nor after a stop).
    pub downgraded_to_base: bool,
    /// Whether the models were compared with the database at head.
    pub models_compared: bool,
    /// Where the time went.
    pub time: StairwayTime,
}

impl StairwayReport {
    /// Whether nothing failed and nothing stopped the run.
    pub fn is_ok(&self) -> bool {
        self.failures.is_empty() && self.stopped.is_none()
    }
}

impl fmt::Display for StairwayReport {
    /// The report as `revchain test` prints it: the failures, the skipped
    /// revisions, why it stopped, and a summary line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for failure in &self.failures {
            writeln!(f, "failed: {failure}")?;
        }
        if !self.skipped.is_empty() {
            let ids: Vec<String> = self
                .skipped
                .iter()
                .map(|s| format!("`{}`", s.revision))
                .collect();
            writeln!(
                f,
                "skipped the down step of {} revision{} without `down.sql`: {}",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" },
                ids.join(", ")
            )?;
        }
        if let Some(reason) = &self.stopped {
            writeln!(f, "stopped: {reason}")?;
        } else if !self.downgraded_to_base {
            writeln!(
                f,
                "not downgraded from head to base: {}",
                if self.skipped.is_empty() {
                    "a `down.sql` failed in the stairway"
                } else {
                    "a revision has no `down.sql`"
                }
            )?;
        }
        write!(
            f,
            "{} of {} revision{} tested",
            self.tested.len(),
            self.revisions,
            if self.revisions == 1 { "" } else { "s" },
        )?;
        if self.models_compared && !self.failures.iter().any(|f| f.check == Check::Models) {
            f.write_str(", the models match head")?;
        }
        if self.downgraded_to_base {
            f.write_str(", downgraded from head to base")?;
        }
        write!(
            f,
            ", {} failure{}",
            self.failures.len(),
            if self.failures.len() == 1 { "" } else { "s" }
        )
    }
}
