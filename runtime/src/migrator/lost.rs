//! A connection lost while a revision runs: the error says so, and what
//! state the database is in, instead of telling the user to fix the SQL.
//!
//! Where the loss happened decides the state. A statement of a revision
//! whose SQL and bookkeeping share a transaction: the server rolled it back.
//! The batch that records a step (and commits): it may or may not have
//! reached the server, and `current` tells which. A revision that runs apart
//! from its bookkeeping (MySQL, `run_in_transaction = false`): the database
//! was marked dirty before it ran, and `stamp` resolves it.

use super::plan::{Boundaries, Plan, PlannedStep};
use super::{Migrator, name_at};
use crate::error::{ConnectionLost, Error};

/// The error of a statement of `planned` whose connection was lost; the
/// state is filled in by [`Migrator::explain_lost`].
pub(super) fn in_statement(planned: &PlannedStep, line: usize, message: String) -> Error {
    let id = planned.revision.id();
    Error::ConnectionLost(Box::new(ConnectionLost {
        during: format!(
            "running `{id}` (`{}` line {line})",
            planned.revision.file(planned.direction.file())
        ),
        message,
        state: String::new(),
        revision: Some(id.to_owned()),
    }))
}

impl Migrator<'_> {
    /// `error`, if the connection was lost during `planned`'s step, saying
    /// what state that leaves the database in; any other error as it is.
    pub(super) fn explain_lost(&self, error: Error, planned: &PlannedStep) -> Error {
        let Error::ConnectionLost(mut lost) = error else {
            return error;
        };
        let id = planned.revision.id();
        let file = planned.revision.file(planned.direction.file());
        let name = |p| name_at(self.revisions(), p);
        let (before, after) = (name(planned.before()), name(planned.after()));
        // Lost while one of the revision's statements ran, or else while
        // revchain's bookkeeping around it did.
        let in_statement = lost.revision.is_some();
        lost.state = match &planned.boundaries {
            Boundaries::Together if in_statement => format!(
                "`{id}` runs in one transaction with its record, and the server rolled that transaction back: the database is still at `{before}`"
            ),
            Boundaries::Together => format!(
                "`{id}` and its record commit together, in the batch that was in flight: either all of it committed and the database is at `{after}`, or none of it did and it is still at `{before}`; `current` tells which"
            ),
            Boundaries::Apart { in_transaction, .. } => {
                let why = if *in_transaction {
                    "MySQL commits DDL at once"
                } else {
                    "it runs outside a transaction (`run_in_transaction = false`)"
                };
                if in_statement {
                    format!(
                        "the database is marked dirty, because part of `{file}` may be applied and {why}: check the schema, then run `stamp {after}` if all of it is applied, or `stamp {before}` if none of it is"
                    )
                } else if lost.during.starts_with("marking") {
                    format!(
                        "nothing of `{file}` ran; if `current` reports the database dirty, the dirty mark committed: run `stamp {before}`"
                    )
                } else {
                    format!(
                        "all of `{file}` ran; if `current` still reports `{id}` dirty, its record did not commit: run `stamp {after}`"
                    )
                }
            }
        };
        if !in_statement {
            lost.during = format!("{} for `{id}` (`{file}`)", lost.during);
            lost.revision = Some(id.to_owned());
        }
        Error::ConnectionLost(lost)
    }

    /// `error`, if the connection was lost during the one transaction of a
    /// single-transaction `plan`, saying what state that leaves.
    pub(super) fn explain_lost_run(&self, error: Error, plan: &Plan) -> Error {
        let Error::ConnectionLost(mut lost) = error else {
            return error;
        };
        let from = name_at(self.revisions(), plan.from);
        lost.state = if lost.revision.is_some() {
            format!(
                "the whole run is one transaction, and the server rolled it back: the database is still at `{from}`"
            )
        } else {
            format!(
                "the whole run is one transaction, and its commit was in flight: either all of it committed, or the database is still at `{from}`; `current` tells which"
            )
        };
        Error::ConnectionLost(lost)
    }
}
