//! Runs a chain one planned step at a time, for the stairway: the checks a
//! run makes before its first step (read-only, the tables, a foreign
//! tool's history, dirty state, drift) are made once, then each step is
//! planned and applied by the same machinery as [`Migrator::upgrade`] and
//! [`Migrator::downgrade`] ([`plan`](super::plan), [`apply`](super::apply)),
//! from the state as the steps left it.

use super::Migrator;
use super::lock::Held;
use super::state::required_state;
use crate::backend::MigrationConnection;
use crate::bookkeeping::Bookkeeping;
use crate::error::{Direction, Error};
use crate::{LockStrategy, Target};

/// A migrator whose per-run checks were made once; it steps without a lock.
pub(crate) struct Stepper<'m, 'r> {
    migrator: &'m Migrator<'r>,
    bk: Bookkeeping,
    /// Where the database is, as the steps left it; `None` after a failed
    /// step, and read again before the next one.
    current: Option<Option<usize>>,
}

impl<'r> Migrator<'r> {
    /// A [`Stepper`], after the checks a run makes before its first step;
    /// `None` when this migrator takes a lock or runs in one transaction,
    /// which only whole runs do.
    pub(crate) fn stepper<C: MigrationConnection>(
        &self,
        conn: &mut C,
    ) -> Result<Option<Stepper<'_, 'r>>, Error> {
        if self.lock.strategy != LockStrategy::None || self.is_single_transaction() {
            return Ok(None);
        }
        let dialect = conn.dialect();
        self.refuse_ddl_options(dialect, false)?;
        let bk = self.bookkeeping(dialect)?;
        self.refuse_read_only(conn, "upgrade")?;
        let mut state = self.prepare_tables(conn, &bk, "upgrade")?;
        self.adopt_foreign(conn, &bk, &mut state)?;
        let mut stepper = Stepper {
            migrator: self,
            bk,
            current: None,
        };
        stepper.current(conn, state)?;
        Ok(Some(stepper))
    }
}

impl Stepper<'_, '_> {
    /// Upgrades (`direction` up) or downgrades to `target`, as
    /// [`Migrator::upgrade`] or [`Migrator::downgrade`] would, with the same
    /// errors for a revision that fails.
    pub(crate) fn step<C: MigrationConnection>(
        &mut self,
        conn: &mut C,
        direction: Direction,
        target: &str,
    ) -> Result<(), Error> {
        let target: Target = target.parse()?;
        let current = match self.current {
            Some(current) => current,
            None => {
                let state = required_state(conn, &self.bk)?;
                self.current(conn, state)?
            }
        };
        let migrator = self.migrator;
        let goal = target.resolve(migrator.revisions(), current)?;
        let plan = migrator.plan(&self.bk, direction, current, goal)?;
        // Unknown until read again, should the step fail.
        self.current = None;
        migrator.execute(conn, &self.bk, &mut Held::None, &plan, &mut |_| {})?;
        self.current = Some(goal);
        Ok(())
    }

    /// The position `state` records, refusing a dirty or drifted database
    /// as a run does.
    fn current<C: MigrationConnection>(
        &mut self,
        conn: &mut C,
        state: super::state::State,
    ) -> Result<Option<usize>, Error> {
        self.migrator.refuse_dirty(&state)?;
        let current = state.position(self.migrator.revisions())?;
        self.migrator.check_drift(conn, &self.bk, &state, current)?;
        self.current = Some(current);
        Ok(current)
    }
}
