//! [`Migrator`]: upgrade, downgrade, stamp, status and verify over a diesel
//! connection.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use revchain_internals::Checksum;
use revchain_internals::sql::{self, Dialect, Statement};

use crate::backend::{Begin, MigrationConnection, has_session_lock};
use crate::bookkeeping::{Bookkeeping, LogKind};
use crate::error::{Context, Direction, DriftReason, Drifted, Error, RevisionFailed};
use crate::report::{Progress, Report, Status, Step};
use crate::{Revision, Revisions, Target};

/// The default name of the version table. The log table is named after it,
/// with `_log` appended.
pub const DEFAULT_VERSION_TABLE: &str = "revchain_version";

/// What recording a step is called in an error.
const RECORDING: &str = "recording the revision (updating the version table and writing the log)";

/// The name of diesel_migrations' table, read when adopting a database.
const DIESEL_TABLE: &str = "__diesel_schema_migrations";

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
}

/// The state recorded in the version table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct State {
    revision: Option<String>,
    digest: Option<String>,
    dirty: Option<(String, Direction)>,
}

impl<'r> Migrator<'r> {
    /// A migrator for `revisions`, with the version table
    /// [`DEFAULT_VERSION_TABLE`].
    pub fn new(revisions: &'r Revisions) -> Self {
        Migrator {
            revisions,
            version_table: DEFAULT_VERSION_TABLE.to_owned(),
            single_transaction: false,
        }
    }

    /// Uses another version table (and `<name>_log` as the log table). The
    /// name is quoted as an identifier, whatever it holds.
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

    pub(crate) fn bookkeeping(&self, dialect: Dialect) -> Bookkeeping {
        Bookkeeping::new(dialect, &self.version_table)
    }

    /// The revision the database is at, `None` at base. It is reported even
    /// when the embedded chain does not contain it.
    pub fn current<C: MigrationConnection>(&self, conn: &mut C) -> Result<Option<String>, Error> {
        let bk = self.bookkeeping(conn.dialect());
        Ok(read_state(conn, &bk)?.and_then(|state| state.revision))
    }

    /// Whether the database is at the embedded head, clean, with the applied
    /// chain unchanged: one lookup of one row, whatever the chain's length.
    pub fn is_at_head<C: MigrationConnection>(&self, conn: &mut C) -> Result<bool, Error> {
        let bk = self.bookkeeping(conn.dialect());
        let state = read_state(conn, &bk)?.unwrap_or_default();
        Ok(state.dirty.is_none()
            && match self.revisions.head() {
                None => state.revision.is_none(),
                Some(head) => {
                    state.revision.as_deref() == Some(head.id())
                        && state.digest.as_deref().and_then(Checksum::from_hex)
                            == Some(head.chain_digest())
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
        let bk = self.bookkeeping(conn.dialect());
        let state = read_state(conn, &bk)?.unwrap_or_default();
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
                .map(Revision::id)
                .collect()
        } else {
            Vec::new()
        };
        Ok(Status {
            digest_matches: match current {
                Some(p) => digest_matches(&state, &self.revisions.as_slice()[p]),
                None => true,
            },
            current: state.revision,
            head: self.revisions.head().map(Revision::id),
            pending,
            known,
            dirty: state.dirty.map(|(id, _)| id),
        })
    }

    /// Checks that the database is clean, at a revision of the chain, and
    /// that every applied revision still has the content it was applied with.
    /// Costs one lookup; the log is read only to name what differs.
    pub fn verify<C: MigrationConnection>(&self, conn: &mut C) -> Result<(), Error> {
        let bk = self.bookkeeping(conn.dialect());
        let Some(state) = read_state(conn, &bk)? else {
            return Ok(());
        };
        self.refuse_dirty(&state)?;
        let current = self.position(&state)?;
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
        let target: Target = target.parse()?;
        let bk = self.bookkeeping(conn.dialect());
        with_lock(conn, &bk, |conn| {
            ensure_tables(conn, &bk)?;
            if purge {
                execute(conn, &bk.purge(), "emptying the version table")?;
                ensure_tables(conn, &bk)?;
            }
            let state = required_state(conn, &bk)?;
            let current = if target.is_relative_to_current() {
                self.position(&state)?
            } else {
                state
                    .revision
                    .as_deref()
                    .and_then(|id| self.revisions.position(id))
            };
            let goal = target.resolve(self.revisions, current)?;
            let revision = goal.map(|p| &self.revisions.as_slice()[p]);
            conn.write_transaction(|conn| {
                execute(
                    conn,
                    &bk.set_version(
                        revision.map(Revision::id),
                        revision.map(Revision::chain_digest).as_ref(),
                    ),
                    "stamping the version table",
                )?;
                if let Some(revision) = revision {
                    execute(
                        conn,
                        &bk.log(
                            revision.id(),
                            LogKind::Stamp,
                            &revision.checksum(),
                            Some(&revision.chain_digest()),
                            0,
                        ),
                        "writing the log",
                    )?;
                }
                Ok(())
            })?;
            Ok(Report {
                from: state.revision,
                to: revision.map(|r| r.id().to_owned()),
                steps: Vec::new(),
                adopted: Vec::new(),
            })
        })
    }

    fn run<C: MigrationConnection>(
        &self,
        conn: &mut C,
        target: &Target,
        direction: Direction,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report, Error> {
        let dialect = conn.dialect();
        if self.single_transaction {
            // A backend that cannot run it is refused before anything is
            // written, even when there is nothing to run.
            self.refuse_single_transaction(dialect, &[])?;
        }
        let bk = self.bookkeeping(dialect);
        with_lock(conn, &bk, |conn| {
            ensure_tables(conn, &bk)?;
            let mut state = required_state(conn, &bk)?;
            let adopted = if direction == Direction::Up {
                self.adopt_diesel(conn, &bk, &mut state)?
            } else {
                Vec::new()
            };
            self.refuse_dirty(&state)?;
            let current = self.position(&state)?;
            self.check_drift(conn, &bk, &state, current)?;
            let goal = target.resolve(self.revisions, current)?;
            let positions = self.plan(direction, current, goal)?;
            let steps = if self.single_transaction && !positions.is_empty() {
                self.run_single_transaction(conn, &bk, &positions, direction, progress)?
            } else {
                let mut steps = Vec::new();
                let mut marked = false;
                for (i, &position) in positions.iter().enumerate() {
                    let mark_next = positions
                        .get(i + 1)
                        .and_then(|&next| self.mark_ahead(&bk, next, direction));
                    let handover = Handover {
                        marked,
                        mark_next: mark_next.as_deref(),
                    };
                    let done = self.step(conn, &bk, position, direction, handover, progress)?;
                    marked = mark_next.is_some() && done.is_some();
                    steps.extend(done);
                }
                steps
            };
            let to = required_state(conn, &bk)?.revision;
            Ok(Report {
                from: state.revision,
                to,
                steps,
                adopted,
            })
        })
    }

    /// The positions a run from `current` to `goal` goes through, in the
    /// order it runs them. Refuses a target on the other side of `current`
    /// and, before anything runs, a downgrade through a revision without
    /// `down.sql`. Shared by the online commands and the offline script.
    pub(crate) fn plan(
        &self,
        direction: Direction,
        current: Option<usize>,
        goal: Option<usize>,
    ) -> Result<Vec<usize>, Error> {
        let positions: Vec<usize> = match direction {
            Direction::Up if goal < current => {
                return Err(self.wrong_direction("upgrade", goal, current));
            }
            Direction::Down if goal > current => {
                return Err(self.wrong_direction("downgrade", goal, current));
            }
            Direction::Up => (current.map_or(0, |p| p + 1)..goal.map_or(0, |p| p + 1)).collect(),
            Direction::Down => (goal.map_or(0, |p| p + 1)..current.map_or(0, |p| p + 1))
                .rev()
                .collect(),
        };
        if direction == Direction::Down
            && let Some(irreversible) = positions
                .iter()
                .map(|&p| &self.revisions.as_slice()[p])
                .find(|r| r.down_sql().is_none())
        {
            return Err(Error::Irreversible {
                id: irreversible.id().to_owned(),
                file: irreversible.file("down.sql"),
            });
        }
        Ok(positions)
    }

    /// Whether single-transaction mode is on.
    pub(crate) fn is_single_transaction(&self) -> bool {
        self.single_transaction
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
            .map(|&p| &self.revisions.as_slice()[p])
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
        let name = |p: Option<usize>| {
            p.map_or_else(
                || "base".to_owned(),
                |p| self.revisions.as_slice()[p].id().to_owned(),
            )
        };
        Error::WrongDirection {
            operation,
            target: name(goal),
            current: name(current),
        }
    }

    /// The position the database is at, refusing a revision the chain lacks.
    fn position(&self, state: &State) -> Result<Option<usize>, Error> {
        match &state.revision {
            None => Ok(None),
            Some(id) => match self.revisions.position(id) {
                Some(position) => Ok(Some(position)),
                None => Err(Error::UnknownRevision {
                    id: id.clone(),
                    head: self.revisions.head().map(|r| r.id().to_owned()),
                }),
            },
        }
    }

    fn refuse_dirty(&self, state: &State) -> Result<(), Error> {
        let Some((id, direction)) = &state.dirty else {
            return Ok(());
        };
        let position = self.revisions.position(id);
        let file = position.map_or_else(
            || format!("{id}/{}", direction.file()),
            |p| self.revisions.as_slice()[p].file(direction.file()),
        );
        // Where the database is if all of the file ran, and if none did.
        let parent = position.map_or_else(|| "base".to_owned(), |p| parent_name(self.revisions, p));
        let (if_complete, if_none) = match direction {
            Direction::Up => (id.clone(), parent),
            Direction::Down => (parent, id.clone()),
        };
        Err(Error::Dirty {
            id: id.clone(),
            file,
            direction: *direction,
            if_complete,
            if_none,
        })
    }

    fn check_drift<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
        state: &State,
        current: Option<usize>,
    ) -> Result<(), Error> {
        let Some(current) = current else {
            return Ok(());
        };
        if digest_matches(state, &self.revisions.as_slice()[current]) {
            return Ok(());
        }
        let log = conn
            .load_log(&bk.select_log())
            .context(|| "reading the log".to_owned())?;
        Err(Error::Drift {
            current: self.revisions.as_slice()[current].id().to_owned(),
            drifted: drift_culprits(&self.revisions.as_slice()[..=current], &log),
        })
    }

    /// Runs one revision one way, unless another process already did.
    /// The statement that marks the revision at `next` dirty, if the step
    /// before it may write it with its own bookkeeping: where the migration
    /// lock is held for the whole run (see [`has_session_lock`]) and the
    /// revision is one that is marked dirty before it runs. `None` also when
    /// its file cannot be split: that error is reported when it runs, before
    /// anything is marked.
    pub(crate) fn mark_ahead(
        &self,
        bk: &Bookkeeping,
        next: usize,
        direction: Direction,
    ) -> Option<String> {
        if !has_session_lock(bk.dialect()) {
            return None;
        }
        let revision = &self.revisions.as_slice()[next];
        let statements = statements(revision, direction, bk.dialect()).ok()?;
        (!runs_atomically(revision, bk.dialect(), &statements))
            .then(|| bk.mark_dirty(revision.id(), direction.as_str()))
    }

    fn step<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
        position: usize,
        direction: Direction,
        handover: Handover<'_>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Option<Step>, Error> {
        let result = self.step_quietly(conn, bk, position, direction, handover, &mut |id| {
            progress(Progress::Starting { id, direction })
        });
        if let Ok(Some(step)) = &result {
            progress(Progress::Finished(step.clone()));
        }
        result
    }

    fn step_quietly<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
        position: usize,
        direction: Direction,
        handover: Handover<'_>,
        starting: &mut dyn FnMut(&'static str),
    ) -> Result<Option<Step>, Error> {
        let revision = &self.revisions.as_slice()[position];
        let statements = statements(revision, direction, bk.dialect())?;
        if runs_atomically(revision, bk.dialect(), &statements) {
            return conn.write_transaction_then(RECORDING, |conn, begin| {
                if !self.claim(conn, bk, position, direction)? {
                    return Ok((None, None));
                }
                starting(revision.id());
                let started = Instant::now();
                run_statements(conn, &statements, begin).map_err(|failure| {
                    failure.into_error(
                        revision,
                        direction,
                        self.nothing_remains(position, direction),
                    )
                })?;
                let duration = started.elapsed();
                Ok((
                    Some(step(revision, direction, duration)),
                    Some(self.record_sql(bk, position, direction, duration, handover.mark_next)),
                ))
            });
        }

        // The revision's SQL cannot be rolled back: mark the database dirty
        // first, so that a failure halfway is never mistaken for success.
        let mark_dirty = bk.mark_dirty(revision.id(), direction.as_str());
        if handover.marked {
            // The step before committed the mark with its bookkeeping.
        } else if has_session_lock(bk.dialect()) {
            // Nothing to claim (see `claim`): one statement, committed alone.
            execute(conn, &mark_dirty, "marking the database dirty")?;
        } else {
            let claimed = conn.write_transaction(|conn| {
                if !self.claim(conn, bk, position, direction)? {
                    return Ok(false);
                }
                execute(conn, &mark_dirty, "marking the database dirty")?;
                Ok(true)
            })?;
            if !claimed {
                return Ok(None);
            }
        }
        starting(revision.id());
        let started = Instant::now();
        let mut first_failed = false;
        let mut fail = |failure: Failure| {
            first_failed = failure.index == 0;
            failure.into_error(revision, direction, String::new())
        };
        let outcome = if revision.run_in_transaction() {
            conn.write_transaction_then(RECORDING, |conn, begin| {
                run_statements(conn, &statements, begin).map_err(&mut fail)?;
                let duration = started.elapsed();
                Ok((
                    duration,
                    Some(self.record_sql(bk, position, direction, duration, handover.mark_next)),
                ))
            })
        } else {
            match run_statements(conn, &statements, &mut Begin::sent()) {
                Err(failure) => Err(fail(failure)),
                Ok(()) => {
                    let duration = started.elapsed();
                    let sql =
                        self.record_sql(bk, position, direction, duration, handover.mark_next);
                    conn.write_transaction_then(RECORDING, |_, _| Ok((duration, Some(sql))))
                }
            }
        };
        match outcome {
            Ok(duration) => Ok(Some(step(revision, direction, duration))),
            Err(Error::RevisionFailed(mut failed)) => {
                let help = if first_failed {
                    // Nothing ran: put the version back as it was, clean.
                    let (at, digest) = self.position_state(match direction {
                        Direction::Up => position.checked_sub(1),
                        Direction::Down => Some(position),
                    });
                    execute(
                        conn,
                        &bk.set_version(at, digest.as_ref()),
                        "clearing the dirty state",
                    )?;
                    self.nothing_remains(position, direction)
                } else {
                    let (all, none) = match direction {
                        Direction::Up => (
                            revision.id().to_owned(),
                            parent_name(self.revisions, position),
                        ),
                        Direction::Down => (
                            parent_name(self.revisions, position),
                            revision.id().to_owned(),
                        ),
                    };
                    format!(
                        "the database is marked dirty, because part of `{}` may be applied and {}: repair the schema by hand, then run `stamp {all}` if all of it is applied, or `stamp {none}` if none of it is",
                        failed.file,
                        if revision.run_in_transaction() {
                            "MySQL commits DDL at once"
                        } else {
                            "it runs outside a transaction (`run_in_transaction = false`)"
                        },
                    )
                };
                failed.help = help;
                Err(Error::RevisionFailed(failed))
            }
            Err(other) => Err(other),
        }
    }

    fn nothing_remains(&self, position: usize, direction: Direction) -> String {
        let revision = &self.revisions.as_slice()[position];
        let at = match direction {
            Direction::Up => parent_name(self.revisions, position),
            Direction::Down => revision.id().to_owned(),
        };
        format!(
            "nothing of it was applied and the database is still at `{at}`: fix `{}` and run the command again",
            revision.file(direction.file())
        )
    }

    /// The id and digest of the chain at a position (`None`: base).
    fn position_state(&self, position: Option<usize>) -> (Option<&'static str>, Option<Checksum>) {
        match position {
            Some(p) => {
                let revision = &self.revisions.as_slice()[p];
                (Some(revision.id()), Some(revision.chain_digest()))
            }
            None => (None, None),
        }
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
        position: usize,
        direction: Direction,
    ) -> Result<bool, Error> {
        if has_session_lock(bk.dialect()) {
            return Ok(true);
        }
        let state = required_state(conn, bk)?;
        self.refuse_dirty(&state)?;
        let current = self.position(&state)?;
        let (done, expected) = match direction {
            Direction::Up => (current >= Some(position), position.checked_sub(1)),
            Direction::Down => (current < Some(position), Some(position)),
        };
        if done {
            return Ok(false);
        }
        if current != expected {
            return Err(Error::Corrupt {
                table: bk.version_table().to_owned(),
                reason: format!(
                    "it moved to `{}` while revchain was migrating",
                    state.revision.as_deref().unwrap_or("base")
                ),
            });
        }
        Ok(true)
    }

    /// The SQL that records a finished step: the new version and a log
    /// line, as one batch (one round trip instead of two; on PostgreSQL it
    /// also carries the `COMMIT`, see `write_transaction_then`), and with
    /// `mark_next` the dirty mark of the step that follows (see
    /// [`Handover`]). Every statement is revchain's own, built from quoted
    /// literals, so an error in one needs no line number.
    fn record_sql(
        &self,
        bk: &Bookkeeping,
        position: usize,
        direction: Direction,
        duration: Duration,
        mark_next: Option<&str>,
    ) -> String {
        let revision = &self.revisions.as_slice()[position];
        let (id, digest) = self.position_state(match direction {
            Direction::Up => Some(position),
            Direction::Down => position.checked_sub(1),
        });
        let kind = match direction {
            Direction::Up => LogKind::Up,
            Direction::Down => LogKind::Down,
        };
        let mut statements = vec![
            bk.set_version(id, digest.as_ref()),
            bk.log(
                revision.id(),
                kind,
                &revision.checksum(),
                Some(&revision.chain_digest()),
                duration.as_micros().try_into().unwrap_or(u64::MAX),
            ),
        ];
        statements.extend(mark_next.map(str::to_owned));
        bk.batch(&statements)
    }

    fn run_single_transaction<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
        positions: &[usize],
        direction: Direction,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Vec<Step>, Error> {
        self.refuse_single_transaction(bk.dialect(), positions)?;
        let prepared: Vec<(usize, Vec<Statement<'static>>)> = positions
            .iter()
            .map(|&p| {
                statements(&self.revisions.as_slice()[p], direction, bk.dialect()).map(|s| (p, s))
            })
            .collect::<Result<_, _>>()?;
        let first = positions[0];
        conn.write_transaction(|conn| {
            if !self.claim(conn, bk, first, direction)? {
                return Ok(Vec::new());
            }
            let mut steps = Vec::with_capacity(prepared.len());
            for (position, statements) in &prepared {
                let revision = &self.revisions.as_slice()[*position];
                progress(Progress::Starting {
                    id: revision.id(),
                    direction,
                });
                let started = Instant::now();
                run_statements(conn, statements, &mut Begin::sent()).map_err(|failure| {
                    failure.into_error(
                        revision,
                        direction,
                        format!(
                            "the whole run was rolled back, so the database is still where it started: fix `{}` and run the command again",
                            revision.file(direction.file())
                        ),
                    )
                })?;
                let duration = started.elapsed();
                execute(
                    conn,
                    &self.record_sql(bk, *position, direction, duration, None),
                    RECORDING,
                )?;
                let done = step(revision, direction, duration);
                progress(Progress::Finished(done.clone()));
                steps.push(done);
            }
            Ok(steps)
        })
    }

    /// Counts the revisions diesel_migrations recorded as applied, the first
    /// time revchain sees a database.
    fn adopt_diesel<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
        state: &mut State,
    ) -> Result<Vec<&'static str>, Error> {
        if state.revision.is_some() || state.dirty.is_some() {
            return Ok(Vec::new());
        }
        let tables = conn
            .load_names(&bk.existing_tables(&[DIESEL_TABLE]))
            .context(|| format!("looking for `{DIESEL_TABLE}`"))?;
        if tables.is_empty() {
            return Ok(Vec::new());
        }
        let log = conn
            .load_log(&bk.select_log())
            .context(|| "reading the log".to_owned())?;
        if !log.is_empty() {
            // revchain managed this database before and took it back to base.
            return Ok(Vec::new());
        }
        let versions = conn
            .load_names(&bk.select_diesel_versions())
            .context(|| format!("reading `{DIESEL_TABLE}`"))?;
        let applied: std::collections::HashSet<String> =
            versions.into_iter().map(|row| row.name).collect();
        if applied.is_empty() {
            return Ok(Vec::new());
        }
        let chain = self.revisions.as_slice();
        let is_applied = |revision: &Revision| applied.contains(&diesel_version(revision.id()));
        let prefix = chain.iter().take_while(|r| is_applied(r)).count();
        if let Some(gap) = chain[prefix..].iter().find(|r| is_applied(r)) {
            return Err(Error::Adoption {
                reason: format!(
                    "diesel applied `{}` but not `{}`, which comes before it in the chain",
                    gap.id(),
                    chain[prefix].id()
                ),
                help: format!(
                    "apply `{}` by hand and record it in `{DIESEL_TABLE}`, or `stamp` the revision the schema matches",
                    chain[prefix].file("up.sql")
                ),
            });
        }
        let known: std::collections::HashSet<String> =
            chain.iter().map(|r| diesel_version(r.id())).collect();
        let mut unknown: Vec<&String> = applied.iter().filter(|v| !known.contains(*v)).collect();
        if !unknown.is_empty() {
            unknown.sort();
            return Err(Error::Adoption {
                reason: format!(
                    "diesel applied {}, which the chain does not contain",
                    unknown.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
                ),
                help: "add those migrations to the chain as revisions (with the same id), or `stamp` the revision the schema matches".to_owned(),
            });
        }
        let adopted: Vec<&'static Revision> = chain[..prefix].iter().collect();
        let recorded = conn.write_transaction(|conn| {
            // Another process may have adopted it meanwhile (SQLite has no
            // lock across the whole run).
            if required_state(conn, bk)?.revision.is_some() {
                return Ok(false);
            }
            for revision in &adopted {
                execute(
                    conn,
                    &bk.log(
                        revision.id(),
                        LogKind::Adopt,
                        &revision.checksum(),
                        Some(&revision.chain_digest()),
                        0,
                    ),
                    "writing the log",
                )?;
            }
            if let Some(last) = adopted.last() {
                execute(
                    conn,
                    &bk.set_version(Some(last.id()), Some(&last.chain_digest())),
                    "recording the adopted revisions",
                )?;
            }
            Ok(true)
        })?;
        *state = required_state(conn, bk)?;
        Ok(if recorded {
            adopted.iter().map(|r| r.id()).collect()
        } else {
            Vec::new()
        })
    }
}

/// Whether a revision's SQL and its bookkeeping share one transaction that
/// undoes both on failure. MySQL commits DDL at once, and
/// `run_in_transaction = false` opts out; a revision with no statement
/// (a placeholder) has nothing to undo, so it never needs the dirty marker.
pub(crate) fn runs_atomically<T>(revision: &Revision, dialect: Dialect, statements: &[T]) -> bool {
    statements.is_empty() || (revision.run_in_transaction() && dialect != Dialect::Mysql)
}

/// The version diesel_migrations records for a revision: its id without `-`.
pub(crate) fn diesel_version(id: &str) -> String {
    id.replace('-', "")
}

fn parent_name(revisions: &Revisions, position: usize) -> String {
    position.checked_sub(1).map_or_else(
        || "base".to_owned(),
        |p| revisions.as_slice()[p].id().to_owned(),
    )
}

fn step(revision: &'static Revision, direction: Direction, duration: Duration) -> Step {
    Step {
        id: revision.id(),
        message: revision.message(),
        direction,
        duration,
    }
}

fn digest_matches(state: &State, revision: &Revision) -> bool {
    state.digest.as_deref().and_then(Checksum::from_hex) == Some(revision.chain_digest())
}

/// Names the applied revisions that differ from `chain` (the chain up to the
/// current revision), using the log.
fn drift_culprits(chain: &[Revision], log: &[crate::backend::LogRow]) -> Vec<Drifted> {
    // The latest record of each revision still applied.
    let mut latest: HashMap<&str, &crate::backend::LogRow> = HashMap::new();
    for row in log {
        match row.direction.as_str() {
            "down" => {
                latest.remove(row.revision.as_str());
            }
            _ => {
                latest.insert(row.revision.as_str(), row);
            }
        }
    }
    // The highest revision whose recorded chain digest still matches vouches
    // for everything below it.
    let trusted = chain
        .iter()
        .rposition(|revision| {
            latest
                .get(revision.id())
                .and_then(|row| row.chain_digest.as_deref())
                .and_then(Checksum::from_hex)
                == Some(revision.chain_digest())
        })
        .map_or(0, |p| p + 1);
    let mut drifted: Vec<Drifted> = chain[trusted..]
        .iter()
        .filter_map(|revision| {
            let file = revision.file("up.sql");
            match latest.get(revision.id()) {
                None => Some(Drifted {
                    id: revision.id().to_owned(),
                    file,
                    reason: DriftReason::NeverApplied,
                }),
                Some(row) if Checksum::from_hex(&row.checksum) != Some(revision.checksum()) => {
                    Some(Drifted {
                        id: revision.id().to_owned(),
                        file,
                        reason: DriftReason::Edited {
                            applied: row.checksum.clone(),
                            embedded: revision.checksum().to_string(),
                        },
                    })
                }
                Some(_) => None,
            }
        })
        .collect();
    if drifted.is_empty()
        && let Some(revision) = chain.get(trusted).or(chain.last())
    {
        drifted.push(Drifted {
            id: revision.id().to_owned(),
            file: revision.file("metadata.toml"),
            reason: DriftReason::Reordered,
        });
    }
    drifted
}

/// What one step of a run hands to the next. A revision whose SQL cannot be
/// rolled back (any revision on MySQL, `run_in_transaction = false`
/// elsewhere) is marked dirty, and committed so, before it runs. When the
/// step before it is part of the same run under a session lock, that mark
/// goes into the step's own bookkeeping, in the same commit: one commit per
/// revision fewer. The state it leaves (at the previous revision, dirty
/// with the next) is the same the separate mark leaves a moment later.
#[derive(Clone, Copy, Debug, Default)]
struct Handover<'a> {
    /// The step before marked this one dirty.
    marked: bool,
    /// The mark of the step after this one, to commit with this step's
    /// bookkeeping.
    mark_next: Option<&'a str>,
}

/// A statement that failed, before it is turned into an [`Error`].
#[derive(Debug)]
struct Failure {
    index: usize,
    line: usize,
    statement: String,
    message: String,
}

impl Failure {
    fn into_error(self, revision: &Revision, direction: Direction, help: String) -> Error {
        Error::RevisionFailed(Box::new(RevisionFailed {
            id: revision.id().to_owned(),
            file: revision.file(direction.file()),
            line: self.line,
            statement: self.statement,
            message: self.message,
            help,
        }))
    }
}

/// The statements of one direction of a revision, as the splitter finds
/// them; shared by the online commands and the offline script.
pub(crate) fn statements(
    revision: &Revision,
    direction: Direction,
    dialect: Dialect,
) -> Result<Vec<Statement<'static>>, Error> {
    let sql = match direction {
        Direction::Up => revision.up_sql(),
        Direction::Down => revision.down_sql().unwrap_or(""),
    };
    sql::split(sql, dialect).map_err(|error| Error::Unsplittable {
        id: revision.id().to_owned(),
        file: revision.file(direction.file()),
        message: error.to_string(),
    })
}

/// Sends each statement on its own, so that an error names its line; the
/// first goes with the transaction's `BEGIN` when `begin` still holds it.
fn run_statements<C: MigrationConnection>(
    conn: &mut C,
    statements: &[Statement<'_>],
    begin: &mut Begin,
) -> Result<(), Failure> {
    for (index, statement) in statements.iter().enumerate() {
        begin
            .execute(conn, statement.text)
            .map_err(|error| Failure {
                index,
                line: statement.line,
                statement: shorten(statement.text),
                message: database_message(&error),
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

fn execute<C: MigrationConnection>(conn: &mut C, sql: &str, what: &str) -> Result<(), Error> {
    conn.execute_sql(sql).context(|| what.to_owned())
}

/// Creates the version and log tables if they are missing: in one
/// transaction where DDL is transactional (one commit on a fresh SQLite file
/// instead of three, each with its `fsync`s); MySQL commits each `CREATE`
/// by itself.
fn ensure_tables<C: MigrationConnection>(conn: &mut C, bk: &Bookkeeping) -> Result<(), Error> {
    let create = |conn: &mut C| {
        for sql in bk.create() {
            execute(conn, &sql, "creating the version table")?;
        }
        Ok(())
    };
    match bk.dialect() {
        Dialect::Mysql => create(conn),
        Dialect::Sqlite | Dialect::Postgres => conn.write_transaction(create),
    }
}

/// Reads the version row, or `None` when the table or row does not exist.
fn read_state<C: MigrationConnection>(
    conn: &mut C,
    bk: &Bookkeeping,
) -> Result<Option<State>, Error> {
    match conn.load_state(&bk.select_state()) {
        Ok(rows) => rows
            .into_iter()
            .next()
            .map(|row| parse_state(bk, row))
            .transpose(),
        Err(error) => {
            let exists = conn
                .load_names(&bk.existing_tables(&[bk.version_table()]))
                .context(|| "looking for the version table".to_owned())?;
            if exists.is_empty() {
                Ok(None)
            } else {
                Err(Error::Database {
                    context: format!("reading the version table `{}`", bk.version_table()),
                    source: error,
                })
            }
        }
    }
}

fn required_state<C: MigrationConnection>(conn: &mut C, bk: &Bookkeeping) -> Result<State, Error> {
    read_state(conn, bk)?.ok_or_else(|| Error::Corrupt {
        table: bk.version_table().to_owned(),
        reason: "its row is missing".to_owned(),
    })
}

fn parse_state(bk: &Bookkeeping, row: crate::backend::StateRow) -> Result<State, Error> {
    let corrupt = |reason: String| Error::Corrupt {
        table: bk.version_table().to_owned(),
        reason,
    };
    let dirty = match row.state.as_str() {
        "clean" => None,
        "dirty" => {
            let id = row
                .dirty_revision
                .ok_or_else(|| corrupt("it is dirty without a revision".to_owned()))?;
            let direction = match row.dirty_direction.as_deref() {
                Some("down") => Direction::Down,
                _ => Direction::Up,
            };
            Some((id, direction))
        }
        other => {
            return Err(corrupt(format!(
                "its state is `{other}`, not `clean` or `dirty`"
            )));
        }
    };
    Ok(State {
        revision: row.revision,
        digest: row.chain_digest.map(|d| d.trim().to_owned()),
        dirty,
    })
}

/// Runs `f` holding the migration lock, releasing it afterwards even when
/// `f` fails.
fn with_lock<C: MigrationConnection, T>(
    conn: &mut C,
    bk: &Bookkeeping,
    f: impl FnOnce(&mut C) -> Result<T, Error>,
) -> Result<T, Error> {
    conn.lock(bk.version_table())?;
    let result = f(conn);
    let released = conn.unlock(bk.version_table());
    let value = result?;
    released?;
    Ok(value)
}
