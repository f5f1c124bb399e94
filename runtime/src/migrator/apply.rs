//! Running a plan online: each step with its bookkeeping, under the
//! migration lock, exactly once even when several processes run together.

use std::time::{Duration, Instant};

use revchain_internals::sql::Statement;

use super::guard::read_only_refusal;
use super::lock::{Held, has_session_lock, with_lock};
use super::lost;
use super::plan::{Boundaries, Mark, Plan, PlannedStep, StampPlan};
use super::retry;
use super::state::{ensure_tables, execute, required_state};
use super::{Migrator, name_at};
use crate::backend::{Begin, MigrationConnection};
use crate::bookkeeping::Bookkeeping;
use crate::classify::{is_connection_lost, is_lock_timeout};
use crate::error::{Context, Direction, Error, RevisionFailed};
use crate::report::{Progress, Report, Step};
use crate::{Revision, Target};

/// What recording a step is called in an error.
const RECORDING: &str = "recording the revision (updating the version table and writing the log)";

impl<'r> Migrator<'r> {
    /// `upgrade` or `downgrade` to `target`, online.
    pub(super) fn run<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: &Target,
        direction: Direction,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report, Error> {
        let dialect = conn.dialect();
        let operation = match direction {
            Direction::Up => "upgrade",
            Direction::Down => "downgrade",
        };
        let _span = crate::trace::operation(operation, target, dialect);
        let progress = &mut traced(progress);
        if self.is_single_transaction() {
            // A backend that cannot run it is refused before anything is
            // written, even when there is nothing to run.
            self.refuse_single_transaction(dialect, &[])?;
        }
        self.refuse_ddl_options(dialect, self.is_single_transaction())?;
        let bk = self.bookkeeping(dialect)?;
        if let Err(refusal) = self.refuse_read_only(conn, operation) {
            return self.nothing_to_do(conn, &bk, target, refusal);
        }
        let locked = with_lock(conn, &bk, self.lock, progress, |conn, held, progress| {
            let mut state = self.prepare_tables(conn, &bk, operation)?;
            let adopted = if direction == Direction::Up {
                self.adopt_foreign(conn, &bk, &mut state)?
            } else {
                Vec::new()
            };
            self.refuse_dirty(&state)?;
            let current = state.position(self.revisions())?;
            self.check_drift(conn, &bk, &state, current)?;
            let goal = target.resolve(self.revisions(), current)?;
            let plan = self.plan(&bk, direction, current, goal)?;
            let steps = self.execute(conn, &bk, held, &plan, progress)?;
            let to = required_state(conn, &bk)?.revision;
            Ok(Report {
                from: state.revision,
                to,
                steps,
                adopted,
            })
        });
        // A SQLite file opened read-only refuses the lock table's first write.
        match read_only_refusal(locked, dialect, operation) {
            Err(refusal @ Error::ReadOnly { .. }) => self.nothing_to_do(conn, &bk, target, refusal),
            other => other,
        }
    }

    /// On a database that refused to be written (`refusal`): an empty
    /// report when the database is clean, undrifted and already at
    /// `target`, since nothing needs writing (`upgrade head` at head on a
    /// replica succeeds); else `refusal`, unless reading the state found a
    /// truer error (an unknown revision, drift, corrupt bookkeeping).
    fn nothing_to_do<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
        target: &Target,
        refusal: Error,
    ) -> Result<Report, Error> {
        if !matches!(refusal, Error::ReadOnly { .. }) {
            return Err(refusal);
        }
        let state = self.read_state(conn, bk)?.unwrap_or_default();
        if state.dirty.is_some() {
            return Err(refusal);
        }
        let current = state.position(self.revisions())?;
        self.check_drift(conn, bk, &state, current)?;
        if target.resolve(self.revisions(), current)? != current {
            return Err(refusal);
        }
        Ok(Report {
            from: state.revision.clone(),
            to: state.revision,
            steps: Vec::new(),
            adopted: Vec::new(),
        })
    }

    /// `stamp` to `target`, online.
    pub(super) fn run_stamp<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: &Target,
        purge: bool,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report, Error> {
        let bk = self.bookkeeping(conn.dialect())?;
        let _span = crate::trace::operation("stamp", target, bk.dialect());
        let progress = &mut traced(progress);
        self.refuse_read_only(conn, "stamp")?;
        let locked = with_lock(conn, &bk, self.lock, progress, |conn, _, _| {
            read_only_refusal(ensure_tables(conn, &bk), bk.dialect(), "stamp")?;
            if purge {
                execute(conn, &bk.purge(), "emptying the version table")?;
                ensure_tables(conn, &bk)?;
            }
            let state = required_state(conn, &bk)?;
            let current = if target.is_relative_to_current() {
                state.position(self.revisions())?
            } else {
                state
                    .revision
                    .as_deref()
                    .and_then(|id| self.revisions().position(id))
            };
            let goal = target.resolve(self.revisions(), current)?;
            let plan = StampPlan {
                purge,
                to: goal.map(|p| &self.revisions().as_slice()[p]),
            };
            conn.write_transaction(|conn| {
                let what = ["stamping the version table", "writing the log"];
                for (sql, what) in plan.record(&bk).iter().zip(what) {
                    execute(conn, sql, what)?;
                }
                Ok(())
            })?;
            Ok(Report {
                from: state.revision,
                to: plan.to.map(|r| r.id().to_owned()),
                steps: Vec::new(),
                adopted: Vec::new(),
            })
        });
        read_only_refusal(locked, bk.dialect(), "stamp")
    }

    /// Runs every step of `plan`, and returns those this process ran.
    pub(super) fn execute<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
        held: &mut Held,
        plan: &Plan,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Vec<Step>, Error> {
        if plan.single {
            let Some(first) = plan.steps.first() else {
                return Ok(Vec::new());
            };
            return conn
                .write_transaction(|conn| {
                    if !self.claim(conn, bk, first)? {
                        return Ok(Vec::new());
                    }
                    held.fence(conn, &mut Begin::sent())?;
                    plan.steps
                        .iter()
                        .map(|planned| self.execute_in_run(conn, bk, planned, progress))
                        .collect()
                })
                .map_err(|error| self.explain_lost_run(error, plan));
        }
        let mut steps = Vec::with_capacity(plan.steps.len());
        for planned in &plan.steps {
            if let Some(step) = self
                .with_ddl_retries(planned, progress, |progress, retry| {
                    if retry {
                        // The back-off may have outlasted part of the lease.
                        held.keep(conn)?;
                    }
                    let mut starting = || progress(starting(planned));
                    self.execute_step(conn, bk, held, planned, &mut starting)
                })
                .map_err(|error| self.explain_lost(error, planned))?
            {
                progress(Progress::Finished(step.clone()));
                steps.push(step);
            }
        }
        Ok(steps)
    }

    /// Runs one step, unless another process already did.
    fn execute_step<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
        held: &mut Held,
        planned: &PlannedStep,
        starting: &mut dyn FnMut(),
    ) -> Result<Option<Step>, Error> {
        let (mark, in_transaction) = match &planned.boundaries {
            Boundaries::Apart {
                mark,
                in_transaction,
            } => (mark, *in_transaction),
            Boundaries::Together => {
                return conn.write_transaction_then(RECORDING, |conn, begin| {
                    if !self.claim(conn, bk, planned)? {
                        return Ok((None, None));
                    }
                    if let Some(setting) = &planned.setting {
                        // With the `BEGIN`: no round trip of its own.
                        begin
                            .setting(conn, setting)
                            .context(|| "setting `lock_timeout`".to_owned())?;
                    }
                    held.fence(conn, begin)?;
                    starting();
                    let started = Instant::now();
                    run_statements(conn, &planned.statements, begin, |_| Ok(()))
                        .map_err(|stop| stop.into_error(planned, self.nothing_remains(planned)))?;
                    let duration = started.elapsed();
                    Ok((
                        Some(step(planned, duration)),
                        Some(bk.batch(&planned.record(bk, micros(duration)))),
                    ))
                });
            }
        };

        // The statements cannot be rolled back: the lock is renewed between
        // them, and before the mark.
        held.keep(conn)?;
        match mark {
            Mark::Carried => {}
            // Nothing to claim under a session lock (see `claim`): the mark
            // alone, in one round trip.
            Mark::Own(sql) if has_session_lock(bk.dialect()) => {
                conn.write_transaction_then("marking the database dirty", |_, _| {
                    Ok(((), Some(sql.clone())))
                })?;
            }
            Mark::Own(sql) => {
                let claimed = conn.write_transaction(|conn| {
                    if !self.claim(conn, bk, planned)? {
                        return Ok(false);
                    }
                    execute(conn, sql, "marking the database dirty")?;
                    Ok(true)
                })?;
                if !claimed {
                    return Ok(None);
                }
            }
        }
        starting();
        let started = Instant::now();
        let mut first_failed = false;
        let mut fail = |stop: Stop| {
            first_failed = matches!(&stop, Stop::Failed(failure) if failure.index == 0);
            stop.into_error(planned, String::new())
        };
        let mut keep = |conn: &mut C| held.keep(conn);
        let outcome = if in_transaction {
            conn.write_transaction_then(RECORDING, |conn, begin| {
                run_statements(conn, &planned.statements, begin, &mut keep).map_err(&mut fail)?;
                let duration = started.elapsed();
                Ok((
                    duration,
                    Some(bk.batch(&planned.record(bk, micros(duration)))),
                ))
            })
        } else {
            match run_statements(conn, &planned.statements, &mut Begin::sent(), &mut keep) {
                Err(stop) => Err(fail(stop)),
                Ok(()) => {
                    let duration = started.elapsed();
                    let sql = bk.batch(&planned.record(bk, micros(duration)));
                    conn.write_transaction_then(RECORDING, |_, _| Ok((duration, Some(sql))))
                }
            }
        };
        match outcome {
            Ok(duration) => Ok(Some(step(planned, duration))),
            Err(Error::RevisionFailed(mut failed)) => {
                failed.help = if first_failed {
                    // Nothing ran: put the version back as it was, clean.
                    let before = planned.before().map(|p| &self.revisions().as_slice()[p]);
                    execute(
                        conn,
                        &bk.set_version(
                            before.map(Revision::id),
                            before.map(Revision::chain_digest).as_ref(),
                        ),
                        "clearing the dirty state",
                    )?;
                    self.nothing_remains(planned)
                } else {
                    let name = |p| name_at(self.revisions(), p);
                    format!(
                        "the database is marked dirty, because part of `{}` may be applied and {}: repair the schema by hand, then run `stamp {}` if all of it is applied, or `stamp {}` if none of it is",
                        failed.file,
                        if in_transaction {
                            "MySQL commits DDL at once"
                        } else {
                            "it runs outside a transaction (`run_in_transaction = false`)"
                        },
                        name(planned.after()),
                        name(planned.before()),
                    )
                };
                Err(Error::RevisionFailed(failed))
            }
            Err(other) => Err(other),
        }
    }

    /// Runs one step inside the transaction around the whole run
    /// (single-transaction mode).
    fn execute_in_run<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
        planned: &PlannedStep,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Step, Error> {
        let revision = planned.revision;
        progress(starting(planned));
        let started = Instant::now();
        run_statements(conn, &planned.statements, &mut Begin::sent(), |_| Ok(())).map_err(|stop| {
            stop.into_error(
                planned,
                format!(
                    "the whole run was rolled back, so the database is still where it started: fix `{}` and run the command again",
                    revision.file(planned.direction.file())
                ),
            )
        })?;
        let duration = started.elapsed();
        execute(
            conn,
            &bk.batch(&planned.record(bk, micros(duration))),
            RECORDING,
        )?;
        let done = step(planned, duration);
        progress(Progress::Finished(done.clone()));
        Ok(done)
    }

    /// What to do after a step that left nothing behind.
    fn nothing_remains(&self, planned: &PlannedStep) -> String {
        format!(
            "nothing of it was applied and the database is still at `{}`: fix `{}` and run the command again",
            name_at(self.revisions(), planned.before()),
            planned.revision.file(planned.direction.file())
        )
    }

    /// Re-reads the state under the write lock; `false` if another process
    /// already ran this step.
    ///
    /// Where the migration lock is a session lock held for the whole run
    /// (PostgreSQL, MySQL), no other revchain process can have moved the
    /// version since the run read it, right after taking that lock: the
    /// re-read, one more round trip per revision, is skipped. On SQLite each
    /// step takes the write lock anew (`BEGIN IMMEDIATE`), and this re-read
    /// is what makes concurrent runs apply each revision exactly once.
    fn claim<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
        planned: &PlannedStep,
    ) -> Result<bool, Error> {
        if has_session_lock(bk.dialect()) {
            return Ok(true);
        }
        let state = required_state(conn, bk)?;
        self.refuse_dirty(&state)?;
        let current = state.position(self.revisions())?;
        let position = Some(planned.position);
        let done = match planned.direction {
            Direction::Up => current >= position,
            Direction::Down => current < position,
        };
        if done {
            return Ok(false);
        }
        // The same id at the same place of another history (a `sync` that
        // another process ran meanwhile) is told by its chain digest.
        let elsewhere =
            current.is_some_and(|p| !state.digest_matches(&self.revisions().as_slice()[p]));
        if current != planned.before() || elsewhere {
            return Err(super::strict::version_rows(
                bk,
                format!(
                    "it moved to `{}` while revchain was migrating",
                    state.revision.as_deref().unwrap_or("base")
                ),
            ));
        }
        Ok(true)
    }
}

/// `progress`, with each report also told to `tracing` (feature `tracing`).
pub(super) fn traced(progress: &mut dyn FnMut(Progress)) -> impl FnMut(Progress) + '_ {
    move |event| {
        crate::trace::progress(&event);
        progress(event);
    }
}

/// A duration in whole microseconds, as the log stores it; a run of more
/// than half a million years is recorded as the largest value.
fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// The progress event of a step that is about to run.
fn starting(planned: &PlannedStep<'_>) -> Progress {
    Progress::Starting {
        id: planned.revision.id().to_owned(),
        direction: planned.direction,
        parent: planned.revision.parent().map(str::to_owned),
        message: planned.revision.message().to_owned(),
    }
}

fn step(planned: &PlannedStep, duration: Duration) -> Step {
    Step {
        id: planned.revision.id().to_owned(),
        message: planned.revision.message().to_owned(),
        direction: planned.direction,
        duration,
        statements: planned.statements.len(),
    }
}

/// A statement that failed, before it is turned into an [`Error`].
#[derive(Debug)]
struct Failure {
    index: usize,
    line: usize,
    statement: String,
    message: String,
    /// Whether the connection was lost: the statement is not at fault.
    lost: bool,
    /// Whether it gave up waiting for a lock (PostgreSQL's `lock_timeout`).
    lock_timeout: bool,
}

/// Why a revision's statements stopped: one failed, or what had to happen
/// between two of them (renewing the lock) did.
#[derive(Debug)]
enum Stop {
    Failed(Failure),
    Between(Error),
}

impl Stop {
    fn into_error(self, planned: &PlannedStep, help: String) -> Error {
        match self {
            Stop::Failed(failure) if failure.lost => {
                lost::in_statement(planned, failure.line, failure.message)
            }
            Stop::Failed(failure) if failure.lock_timeout && planned.retried => {
                retry::gave_up(planned, failure.line, failure.statement, failure.message)
            }
            Stop::Failed(failure) => Error::RevisionFailed(Box::new(RevisionFailed {
                id: planned.revision.id().to_owned(),
                file: planned.revision.file(planned.direction.file()),
                line: failure.line,
                statement: failure.statement,
                message: failure.message,
                help,
            })),
            Stop::Between(error) => error,
        }
    }
}

/// Sends each statement on its own, so that an error names its line; the
/// first goes with the transaction's `BEGIN` when `begin` still holds it.
/// `between` runs before every statement but the first.
fn run_statements<C: MigrationConnection>(
    conn: &mut C,
    statements: &[Statement<'_>],
    begin: &mut Begin,
    mut between: impl FnMut(&mut C) -> Result<(), Error>,
) -> Result<(), Stop> {
    for (index, statement) in statements.iter().enumerate() {
        if index > 0 {
            between(conn).map_err(Stop::Between)?;
        }
        begin.execute(conn, statement.text).map_err(|error| {
            Stop::Failed(Failure {
                index,
                line: statement.line,
                statement: shorten(statement.text),
                message: database_message(&error),
                lost: is_connection_lost(&error),
                lock_timeout: is_lock_timeout(&error),
            })
        })?;
    }
    Ok(())
}

/// The database's own message.
pub(crate) fn database_message(error: &diesel::result::Error) -> String {
    match error {
        diesel::result::Error::DatabaseError(_, info) => info.message().trim_end().to_owned(),
        other => other.to_string(),
    }
}

/// The first line of a statement, cut at 160 characters.
fn shorten(statement: &str) -> String {
    let first = statement.lines().next().unwrap_or("");
    let mut short: String = first.chars().take(160).collect();
    if short.len() < statement.trim_end().len() {
        short.push_str(" …");
    }
    short
}
