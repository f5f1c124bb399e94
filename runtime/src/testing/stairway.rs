//! The stairway: each revision upgraded, downgraded and upgraded again,
//! with the schema after the downgrade compared with the schema before the
//! upgrade; then the models against head and the downgrade to base. Every
//! failure is collected; the run goes on wherever the database's state
//! allows it.

use std::time::Instant;

use revchain_schema::{Introspect, Schema, differences};

use super::report::{Check, Failure, RevisionOutcome, Skipped, StairwayReport};
use super::snapshot::{Names, Snapshot};
use crate::error::Direction;
use crate::migrator::Stepper;
use crate::{Error, MigrationConnection, Migrator, Revision, Revisions, Target, TargetError};

/// Why a stairway could not run at all. Failures of revisions are not
/// errors: they are in the [`StairwayReport`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StairwayError {
    /// The database is not at base: the stairway needs an empty one.
    #[error(
        "the stairway needs a database at base, but this one is at `{current}`\n  = help: run it on a fresh database, such as the one `#[revchain::test(to = \"base\")]` hands a test"
    )]
    NotAtBase {
        /// The revision the database is at.
        current: String,
    },
    /// `--from` names no revision of the chain.
    #[error("cannot start the stairway at `{from}`: {source}")]
    From {
        /// The target given.
        from: String,
        /// Why it does not resolve.
        source: TargetError,
    },
    /// The migrator failed outside a revision's SQL (the connection, the
    /// lock, the version table).
    #[error(transparent)]
    Migration(#[from] Error),
    /// The database's schema could not be read.
    #[error(transparent)]
    Introspect(#[from] revchain_schema::IntrospectError),
}

/// A diesel connection the stairway can run on: one revchain migrates
/// ([`MigrationConnection`]) and whose schema it can read
/// ([`revchain_schema::Introspect`]): `SqliteConnection`, `PgConnection`,
/// `MysqlConnection`.
pub trait StairwayConnection: MigrationConnection + Introspect {}

impl<C: MigrationConnection + Introspect> StairwayConnection for C {}

/// The models to compare with the database at head.
#[derive(Clone, Debug)]
struct Models {
    schema: Schema,
    file: String,
    ignore: Vec<String>,
}

/// The stairway of a chain, configured: the migrator to run it with, where
/// to start, and the models to compare at head.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use diesel::Connection;
/// use revchain::testing::Stairway;
///
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
///
/// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
/// let mut lines = Vec::new();
/// let report = Stairway::new(&REVISIONS)
///     .run_with_progress(&mut conn, &mut |outcome| lines.push(outcome.revision.clone()))
///     .unwrap();
/// assert!(report.is_ok(), "{report}");
/// assert_eq!(lines.len(), REVISIONS.len());
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Stairway<'r> {
    migrator: Migrator<'r>,
    from: Option<String>,
    models: Option<Models>,
}

/// Runs the stairway of `revisions` on `conn`, a database at base, with a
/// default [`Migrator`]: the same report as `revchain test`.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use diesel::Connection;
///
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
///
/// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
/// let report = revchain::testing::stairway(&REVISIONS, &mut conn).unwrap();
/// assert!(report.is_ok(), "{report}");
/// assert_eq!(report.tested.len(), REVISIONS.len());
/// assert!(report.downgraded_to_base);
/// # }
/// ```
pub fn stairway<C: StairwayConnection>(
    revisions: &Revisions,
    conn: &mut C,
) -> Result<StairwayReport, StairwayError> {
    Stairway::new(revisions).run(conn)
}

impl<'r> Stairway<'r> {
    /// The stairway of `revisions`, from the root, with a default
    /// [`Migrator`] that takes no migration lock
    /// ([`LockStrategy::None`](crate::LockStrategy::None)): the stairway's
    /// database is its own, and it runs three migrations per revision.
    pub fn new(revisions: &'r Revisions) -> Self {
        Self::with_migrator(Migrator::new(revisions).lock(crate::LockStrategy::None))
    }

    /// The stairway run by `migrator` (its version table, lock strategy…).
    pub fn with_migrator(migrator: Migrator<'r>) -> Self {
        Stairway {
            migrator,
            from: None,
            models: None,
        }
    }

    /// Starts the stairway at `target` (an id, a prefix, `head-10`…): the
    /// revisions below it are only upgraded.
    pub fn from(mut self, target: impl Into<String>) -> Self {
        self.from = Some(target.into());
        self
    }

    /// Compares `models` (diesel's `schema.rs`, read with
    /// [`parse_file`](crate::testing::parse_file)) with the database at head, leaving
    /// out the tables in `ignore`. `file` names them in a failure.
    pub fn models(mut self, models: Schema, file: impl Into<String>, ignore: Vec<String>) -> Self {
        self.models = Some(Models {
            schema: models,
            file: file.into(),
            ignore,
        });
        self
    }

    /// Runs the stairway on `conn`, a database at base.
    pub fn run<C: StairwayConnection>(
        &self,
        conn: &mut C,
    ) -> Result<StairwayReport, StairwayError> {
        self.run_with_progress(conn, &mut |_| {})
    }

    /// [`run`](Self::run), calling `progress` after each revision.
    pub fn run_with_progress<C: StairwayConnection>(
        &self,
        conn: &mut C,
        progress: &mut dyn FnMut(&RevisionOutcome),
    ) -> Result<StairwayReport, StairwayError> {
        let revisions = self.migrator.revisions();
        if let Some(current) = self.migrator.current(conn)? {
            return Err(StairwayError::NotAtBase { current });
        }
        let start = self.start(revisions)?;
        // The checks a run makes before its first step, made once.
        let stepper = match revisions.is_empty() {
            true => None,
            false => self.migrator.stepper(conn)?,
        };
        let mut run = Run {
            migrator: &self.migrator,
            stepper,
            report: StairwayReport {
                revisions: revisions.len(),
                ..StairwayReport::default()
            },
        };
        let base = run.introspect(conn)?;
        if start > 0 {
            let below = &revisions.as_slice()[start - 1];
            if !run.step(conn, Check::Upgrade, below.id())? {
                run.report.stopped = Some(format!(
                    "the revisions below `--from` could not be applied, so `{}` and the revisions above it were not tested",
                    revisions.as_slice()[start].id()
                ));
                return Ok(run.report);
            }
        }
        for (position, revision) in revisions.as_slice().iter().enumerate().skip(start) {
            let started = Instant::now();
            let failures = run.report.failures.len();
            let go_on = run.revision(conn, revision)?;
            progress(&RevisionOutcome {
                revision: revision.id().to_owned(),
                position: position + 1,
                total: revisions.len(),
                failures: run.report.failures.len() - failures,
                skipped: revision.down_sql().is_none(),
                duration: started.elapsed(),
            });
            if !go_on {
                return Ok(run.report);
            }
        }
        if let Some(models) = &self.models {
            let head = run.introspect(conn)?;
            run.models(models, &head);
        }
        run.down_to_base(conn, &base)?;
        Ok(run.report)
    }

    /// The position the stairway starts at.
    fn start(&self, revisions: &Revisions) -> Result<usize, StairwayError> {
        let Some(from) = &self.from else {
            return Ok(0);
        };
        let resolved = from
            .parse::<Target>()
            .and_then(|target| target.resolve(revisions, None));
        match resolved {
            Ok(position) => Ok(position.unwrap_or(0)),
            Err(source) => Err(StairwayError::From {
                from: from.clone(),
                source,
            }),
        }
    }
}

/// One run: its migrator and what it found so far.
struct Run<'m, 'r> {
    migrator: &'m Migrator<'r>,
    /// Steps one revision at a time without a whole run's checks, unless
    /// the migrator takes a lock or runs in one transaction.
    stepper: Option<Stepper<'m, 'r>>,
    report: StairwayReport,
}

impl Run<'_, '_> {
    fn introspect<C: StairwayConnection>(&mut self, conn: &mut C) -> Result<Schema, StairwayError> {
        let started = Instant::now();
        let schema = conn.introspect(self.migrator.version_table_name());
        self.report.time.introspecting += started.elapsed();
        Ok(schema?)
    }

    /// The tables `names` names, and the list of every table, timed.
    fn snapshot<C: StairwayConnection>(
        &mut self,
        conn: &mut C,
        names: &Names,
    ) -> Result<Snapshot, StairwayError> {
        let started = Instant::now();
        let snapshot = Snapshot::read(conn, self.migrator.version_table_name(), names);
        self.report.time.introspecting += started.elapsed();
        Ok(snapshot?)
    }

    /// The differences between two schemas, timed.
    fn differences(&mut self, expected: &Schema, actual: &Schema) -> Vec<String> {
        let started = Instant::now();
        let found = differences(expected, actual);
        self.report.time.comparing += started.elapsed();
        found
    }

    /// One revision: the schema it may change read, up, down, the schema
    /// compared, up again. `false` when the run cannot go on.
    fn revision<C: StairwayConnection>(
        &mut self,
        conn: &mut C,
        revision: &Revision,
    ) -> Result<bool, StairwayError> {
        let id = revision.id();
        let names = Names::of(revision);
        let before = match revision.down_sql() {
            Some(_) => Some(self.snapshot(conn, &names)?),
            None => None,
        };
        if !self.step(conn, Check::Upgrade, id)? {
            self.report.stopped = Some(format!(
                "`{id}` cannot be applied, and every later revision builds on it"
            ));
            return Ok(false);
        }
        self.report.tested.push(id.to_owned());
        let Some(before) = before else {
            self.report.skipped.push(Skipped {
                revision: id.to_owned(),
                file: revision.file("down.sql"),
            });
            return Ok(true);
        };
        if !self.step(conn, Check::Downgrade, "-1")? {
            // Rolled back with its transaction: still at the revision, and
            // clean. A half-applied `down.sql` leaves the database dirty.
            let status = self.migrator.status(conn)?;
            if let Some(dirty) = status.dirty {
                self.report.stopped = Some(format!(
                    "the failed `down.sql` of `{dirty}` left the database dirty: part of it may be applied (MySQL commits DDL at once, and a revision with `run_in_transaction = false` runs outside a transaction), so the schema the later revisions would start from is unknown"
                ));
                return Ok(false);
            }
            return Ok(true);
        }
        let after = self.snapshot(conn, &names)?;
        let started = Instant::now();
        let found = before.differences(&after);
        self.report.time.comparing += started.elapsed();
        if !found.is_empty() {
            self.report.failures.push(Failure {
                check: Check::Schema,
                revision: Some(id.to_owned()),
                file: Some(revision.file("down.sql")),
                line: None,
                statement: None,
                message: format!(
                    "the schema after `down.sql` differs from the schema before `up.sql` ({} difference{})",
                    found.len(),
                    if found.len() == 1 { "" } else { "s" }
                ),
                differences: found,
            });
        }
        if !self.step(conn, Check::Reupgrade, id)? {
            self.report.stopped = Some(format!(
                "`{id}` cannot be applied again after its `down.sql`, so the later revisions cannot be tested: make `down.sql` undo all of `up.sql`"
            ));
            return Ok(false);
        }
        Ok(true)
    }

    /// Runs one upgrade or downgrade to `target`; a failure of the
    /// revision's SQL is recorded and returns `false`.
    fn step<C: StairwayConnection>(
        &mut self,
        conn: &mut C,
        check: Check,
        target: &str,
    ) -> Result<bool, StairwayError> {
        let batched;
        let migrator =
            if check == Check::DowngradeToBase && batches(conn, self.migrator.revisions()) {
                batched = self.migrator.clone().single_transaction(true);
                &batched
            } else {
                self.migrator
            };
        let started = Instant::now();
        let result = match (check, &mut self.stepper) {
            // In batches: the plain downgrade, each in one transaction.
            (Check::DowngradeToBase, _) | (_, None) => match check {
                Check::Downgrade | Check::DowngradeToBase => migrator.downgrade(conn, target),
                _ => migrator.upgrade(conn, target),
            }
            .map(drop),
            (Check::Downgrade, Some(stepper)) => stepper.step(conn, Direction::Down, target),
            (_, Some(stepper)) => stepper.step(conn, Direction::Up, target),
        };
        match check {
            Check::Downgrade | Check::DowngradeToBase => {
                self.report.time.downgrading += started.elapsed();
            }
            _ => self.report.time.upgrading += started.elapsed(),
        }
        match result {
            Ok(_) => Ok(true),
            Err(Error::RevisionFailed(failed)) => {
                self.report.failures.push(Failure {
                    check,
                    revision: Some(failed.id),
                    file: Some(failed.file),
                    line: Some(failed.line),
                    statement: Some(failed.statement),
                    message: format!("{} failed: {}", what(check), failed.message),
                    differences: Vec::new(),
                });
                Ok(false)
            }
            Err(Error::Unsplittable { id, file, message }) => {
                self.report.failures.push(Failure {
                    check,
                    revision: Some(id),
                    file: Some(file),
                    line: None,
                    statement: None,
                    message: format!("{} failed: {message}", what(check)),
                    differences: Vec::new(),
                });
                Ok(false)
            }
            Err(other) => Err(other.into()),
        }
    }

    /// The models against the database at head.
    fn models(&mut self, models: &Models, head: &Schema) {
        let ignore: Vec<&str> = models.ignore.iter().map(String::as_str).collect();
        let diff = revchain_schema::compare(&models.schema, head, &ignore);
        if !diff.is_empty() {
            self.report.failures.push(Failure {
                check: Check::Models,
                revision: self.migrator.revisions().head().map(|h| h.id().to_owned()),
                file: Some(models.file.clone()),
                line: None,
                statement: None,
                message: format!(
                    "the models differ from the database at head: {}",
                    diff.describe()
                ),
                differences: diff.lines(),
            });
        }
        self.report.models_compared = true;
    }

    /// Downgrades from head to base and compares with the schema at base,
    /// unless a revision has no `down.sql` or one already failed to revert
    /// (the downgrade would stop there again).
    fn down_to_base<C: StairwayConnection>(
        &mut self,
        conn: &mut C,
        base: &Schema,
    ) -> Result<(), StairwayError> {
        if !self.report.skipped.is_empty()
            || self
                .report
                .failures
                .iter()
                .any(|f| f.check == Check::Downgrade)
        {
            return Ok(());
        }
        // In batches of revisions, each in one transaction where the
        // database can roll DDL back: as many transactions as a plain
        // downgrade would cost three times the stairway's own.
        let revisions = self.migrator.revisions().as_slice();
        let mut top = revisions.len();
        while top > 0 {
            let bottom = top.saturating_sub(BATCH);
            let target = match bottom {
                0 => "base",
                _ => revisions[bottom - 1].id(),
            };
            if !self.step(conn, Check::DowngradeToBase, target)? {
                return Ok(());
            }
            top = bottom;
        }
        let after = self.introspect(conn)?;
        let found = self.differences(base, &after);
        if !found.is_empty() {
            self.report.failures.push(Failure {
                check: Check::DowngradeToBase,
                revision: None,
                file: None,
                line: None,
                statement: None,
                message: format!(
                    "the schema after downgrading from head to base differs from the empty schema ({} difference{})",
                    found.len(),
                    if found.len() == 1 { "" } else { "s" }
                ),
                differences: found,
            });
        }
        self.report.downgraded_to_base = true;
        Ok(())
    }
}

/// How many revisions the downgrade from head to base reverts in one
/// transaction: PostgreSQL takes a lock per table, index and TOAST table,
/// and a default server has about 6,400 lock slots for every session.
const BATCH: usize = 100;

/// Whether the downgrade from head to base runs in batches of one
/// transaction each: not on MySQL, which commits DDL at once, nor when a
/// revision runs outside a transaction.
fn batches<C: StairwayConnection>(_conn: &C, revisions: &Revisions) -> bool {
    <C as crate::backend::private::Connection>::DIALECT != crate::Dialect::Mysql
        && revisions.iter().all(Revision::run_in_transaction)
}

/// A step's name in a failure.
fn what(check: Check) -> &'static str {
    match check {
        Check::Upgrade => "`up.sql`",
        Check::Downgrade => "`down.sql`",
        Check::Reupgrade => "`up.sql`, applied again after `down.sql`,",
        Check::DowngradeToBase => "downgrading from head to base",
        Check::Schema | Check::Models => "the comparison",
    }
}
