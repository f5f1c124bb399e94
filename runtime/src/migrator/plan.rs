//! What an operation will do, decided once: the revisions in order, each
//! with its statements, its transaction boundaries and its bookkeeping.
//!
//! The online run executes a plan ([`apply`](super::apply)); the `--sql`
//! script renders the same plan ([`offline`](super::offline)). What differs
//! between the two is only what a script cannot know: the durations in the
//! log (0 in a script), and the reads and locks of a live run.

use revchain_internals::sql::{self, Dialect, Statement};

use super::Migrator;
use super::lock::has_session_lock;
use crate::bookkeeping::{Bookkeeping, LogKind};
use crate::error::{Direction, Error};
use crate::{Revision, Revisions};

/// An `upgrade` or `downgrade` from one position of the chain to another.
#[derive(Debug)]
pub(crate) struct Plan<'r> {
    pub(crate) direction: Direction,
    /// Where the database is (`None`: base).
    pub(crate) from: Option<usize>,
    /// Where it will be.
    pub(crate) to: Option<usize>,
    /// Whether the whole run is one transaction (single-transaction mode,
    /// with something to run): then every step is [`Boundaries::Together`],
    /// and its statements and bookkeeping go into that one transaction.
    pub(crate) single: bool,
    /// The revisions in the order they run.
    pub(crate) steps: Vec<PlannedStep<'r>>,
}

/// One revision, run one way.
#[derive(Debug)]
pub(crate) struct PlannedStep<'r> {
    pub(crate) position: usize,
    pub(crate) revision: &'r Revision,
    pub(crate) direction: Direction,
    /// The revision's statements, as the splitter finds them.
    pub(crate) statements: Vec<Statement<'r>>,
    pub(crate) boundaries: Boundaries,
    /// The statement the step's transaction starts with, before its own:
    /// `SET LOCAL lock_timeout` (see [`Migrator::ddl_lock_timeout`]).
    pub(crate) setting: Option<String>,
    /// Whether the step runs again when it gives up waiting for a table
    /// lock (see [`retry`](super::retry)).
    pub(crate) retried: bool,
    /// The revision the database is at once this step is recorded.
    now: Option<&'r Revision>,
    /// The dirty mark of the next step, committed with this step's
    /// bookkeeping (see [`Mark::Carried`]).
    mark_next: Option<String>,
}

/// Where a step's transactions begin and end.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Boundaries {
    /// The statements and the bookkeeping commit together, or not at all.
    Together,
    /// The statements cannot be rolled back (MySQL commits DDL at once;
    /// `run_in_transaction = false` opts out): the database is marked dirty
    /// first, so that a failure halfway is never mistaken for success; then
    /// the statements run, in a transaction of their own when
    /// `in_transaction` (which MySQL's DDL ends anyway), or in none; then
    /// the bookkeeping commits in a transaction of its own.
    Apart { mark: Mark, in_transaction: bool },
}

/// How a step that cannot be rolled back is marked dirty before it runs.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// In a transaction of its own.
    Own(String),
    /// By the step before, with its bookkeeping, in the same commit: one
    /// commit per revision fewer. Only where the migration lock is held for
    /// the whole run (see [`has_session_lock`]); the state it leaves (at the
    /// previous revision, dirty with this one) is the same the separate mark
    /// leaves a moment later.
    Carried,
}

impl PlannedStep<'_> {
    /// The bookkeeping that records this step: the new version and a log
    /// line with the duration in microseconds, and the next step's dirty
    /// mark if it goes with them. Every statement is revchain's own, built
    /// from quoted literals.
    pub(crate) fn record(&self, bk: &Bookkeeping, duration_us: u64) -> Vec<String> {
        let kind = match self.direction {
            Direction::Up => LogKind::Up,
            Direction::Down => LogKind::Down,
        };
        let mut statements = vec![
            bk.set_version(
                self.now.map(Revision::id),
                self.now.map(Revision::chain_digest).as_ref(),
            ),
            bk.log(
                self.revision.id(),
                kind,
                &self.revision.checksum(),
                Some(&self.revision.chain_digest()),
                // What undoes an applied revision, kept for `sync`.
                self.revision.down_sql().filter(|_| kind == LogKind::Up),
                duration_us,
            ),
        ];
        statements.extend(self.mark_next.iter().cloned());
        statements
    }

    /// Where the database is if none of this step ran.
    pub(crate) fn before(&self) -> Option<usize> {
        match self.direction {
            Direction::Up => self.position.checked_sub(1),
            Direction::Down => Some(self.position),
        }
    }

    /// Where the database is once all of this step ran.
    pub(crate) fn after(&self) -> Option<usize> {
        match self.direction {
            Direction::Up => Some(self.position),
            Direction::Down => self.position.checked_sub(1),
        }
    }
}

/// A `stamp`: the version set without running any revision.
#[derive(Debug)]
pub(crate) struct StampPlan<'r> {
    /// Whether the version table is emptied first.
    pub(crate) purge: bool,
    /// The revision stamped, `None` for base.
    pub(crate) to: Option<&'r Revision>,
}

impl StampPlan<'_> {
    /// The version row, and for a revision a `stamp` line in the log, in
    /// one transaction.
    pub(crate) fn record(&self, bk: &Bookkeeping) -> Vec<String> {
        let mut statements = vec![bk.set_version(
            self.to.map(Revision::id),
            self.to.map(Revision::chain_digest).as_ref(),
        )];
        if let Some(revision) = self.to {
            statements.push(bk.log(
                revision.id(),
                LogKind::Stamp,
                &revision.checksum(),
                Some(&revision.chain_digest()),
                None,
                0,
            ));
        }
        statements
    }
}

impl<'r> Migrator<'r> {
    /// The plan of a run from `from` to `to` on `bk`'s dialect. Refuses a
    /// target on the other side of `from`, a downgrade through a revision
    /// without `down.sql`, single-transaction mode where it cannot work,
    /// and a file the splitter refuses: all before anything runs.
    pub(crate) fn plan(
        &self,
        bk: &Bookkeeping,
        direction: Direction,
        from: Option<usize>,
        to: Option<usize>,
    ) -> Result<Plan<'r>, Error> {
        let dialect = bk.dialect();
        let chain = self.revisions().as_slice();
        let positions = self.positions(direction, from, to)?;
        // The file each step runs; a downgrade through a revision without
        // `down.sql` is refused before anything else.
        let files = positions
            .iter()
            .map(|&p| {
                let revision = &chain[p];
                match direction {
                    Direction::Up => Ok((p, revision.up_sql())),
                    Direction::Down => {
                        revision
                            .down_sql()
                            .map(|sql| (p, sql))
                            .ok_or_else(|| Error::Irreversible {
                                id: revision.id().to_owned(),
                                file: revision.file("down.sql"),
                            })
                    }
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let single = self.is_single_transaction() && !positions.is_empty();
        if single {
            self.refuse_single_transaction(dialect, &positions)?;
        }
        self.refuse_ddl_options(dialect, self.is_single_transaction())?;
        let split = files
            .into_iter()
            .map(|(p, sql)| statements(&chain[p], sql, direction, dialect).map(|list| (p, list)))
            .collect::<Result<Vec<_>, _>>()?;
        let atomic: Vec<bool> = split
            .iter()
            .map(|(p, list)| runs_atomically(&chain[*p], dialect, list))
            .collect();
        // The next step's mark goes with this step's bookkeeping where the
        // lock is held for the whole run.
        let carries = |i: usize| {
            !single && has_session_lock(dialect) && atomic.get(i + 1).is_some_and(|a| !a)
        };
        let mut steps = Vec::with_capacity(split.len());
        for (i, (position, statements)) in split.into_iter().enumerate() {
            let revision = &chain[position];
            // Single-transaction mode refused every step that is not atomic.
            let boundaries = if atomic[i] {
                Boundaries::Together
            } else {
                Boundaries::Apart {
                    mark: if i > 0 && carries(i - 1) {
                        Mark::Carried
                    } else {
                        Mark::Own(bk.mark_dirty(revision.id(), direction))
                    },
                    in_transaction: revision.run_in_transaction(),
                }
            };
            let mark_next = carries(i)
                .then(|| positions.get(i + 1))
                .flatten()
                .map(|&next| bk.mark_dirty(chain[next].id(), direction));
            let retried = !single && self.retries_step(&boundaries);
            let setting = self
                .ddl
                .setting()
                .filter(|_| retried && !statements.is_empty());
            let mut step = PlannedStep {
                position,
                revision,
                direction,
                statements,
                boundaries,
                setting,
                retried,
                now: None,
                mark_next,
            };
            step.now = step.after().map(|p| &chain[p]);
            steps.push(step);
        }
        Ok(Plan {
            direction,
            from,
            to,
            single,
            steps,
        })
    }

    /// The positions a run from `current` to `goal` goes through, in the
    /// order it runs them. Refuses a target on the other side of `current`.
    fn positions(
        &self,
        direction: Direction,
        current: Option<usize>,
        goal: Option<usize>,
    ) -> Result<Vec<usize>, Error> {
        let after = |p: Option<usize>| p.map_or(0, |p| p + 1);
        Ok(match direction {
            Direction::Up if goal < current => {
                return Err(self.wrong_direction("upgrade", goal, current));
            }
            Direction::Down if goal > current => {
                return Err(self.wrong_direction("downgrade", goal, current));
            }
            Direction::Up => (after(current)..after(goal)).collect(),
            Direction::Down => (after(goal)..after(current)).rev().collect(),
        })
    }

    /// Refuses single-transaction mode where it cannot work: on MySQL, and
    /// for a run that includes a revision with `run_in_transaction = false`.
    pub(crate) fn refuse_single_transaction(
        &self,
        dialect: Dialect,
        positions: &[usize],
    ) -> Result<(), Error> {
        if dialect == Dialect::Mysql {
            return Err(Error::SingleTransaction {
                reason: "MySQL and MariaDB commit every DDL statement at once".to_owned(),
                help: "run without single-transaction mode; each revision is then marked dirty until it completes".to_owned(),
            });
        }
        if let Some(revision) = positions
            .iter()
            .map(|&p| &self.revisions().as_slice()[p])
            .find(|r| !r.run_in_transaction())
        {
            return Err(Error::SingleTransaction {
                reason: format!(
                    "revision `{}` sets `run_in_transaction = false` in `{}`",
                    revision.id(),
                    revision.file("metadata.toml")
                ),
                help: "run without single-transaction mode".to_owned(),
            });
        }
        Ok(())
    }

    fn wrong_direction(
        &self,
        operation: &'static str,
        goal: Option<usize>,
        current: Option<usize>,
    ) -> Error {
        Error::WrongDirection {
            operation,
            target: name_at(self.revisions(), goal),
            current: name_at(self.revisions(), current),
        }
    }
}

/// `base`, or the id at a position of the chain.
pub(crate) fn name_at(revisions: &Revisions, position: Option<usize>) -> String {
    position.map_or_else(
        || "base".to_owned(),
        |p| revisions.as_slice()[p].id().to_owned(),
    )
}

/// Whether a revision's SQL and its bookkeeping share one transaction that
/// undoes both on failure. MySQL commits DDL at once, and
/// `run_in_transaction = false` opts out; a revision with no statement
/// (a placeholder) has nothing to undo, so it never needs the dirty marker.
fn runs_atomically<T>(revision: &Revision, dialect: Dialect, statements: &[T]) -> bool {
    statements.is_empty() || (revision.run_in_transaction() && dialect != Dialect::Mysql)
}

/// The statements of `sql`, the file of `revision` that `direction` runs,
/// as the splitter finds them.
fn statements<'r>(
    revision: &Revision,
    sql: &'r str,
    direction: Direction,
    dialect: Dialect,
) -> Result<Vec<Statement<'r>>, Error> {
    sql::split(sql, dialect).map_err(|error| Error::Unsplittable {
        id: revision.id().to_owned(),
        file: revision.file(direction.file()),
        message: error.to_string(),
    })
}
