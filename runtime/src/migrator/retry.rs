//! Table-lock timeouts of the DDL itself (PostgreSQL, opt-in): each
//! revision's transaction starts with `SET LOCAL lock_timeout`, so that a
//! statement waiting for a table lock (an `ALTER TABLE` behind a long
//! transaction) gives up instead of queueing the application's queries
//! behind its `ACCESS EXCLUSIVE` wait; the transaction rolls back, and the
//! revision runs again after a back-off.
//!
//! Only steps whose statements and bookkeeping commit together
//! ([`Boundaries::Together`]) are retried: a step that cannot be rolled back
//! (`run_in_transaction = false`) may have applied part of itself, so it is
//! never run again, and gets no `SET LOCAL` (outside a transaction it would
//! do nothing). MySQL and SQLite refuse the options, and so does
//! single-transaction mode, whose one transaction is the whole run.

use std::time::Duration;

use revchain_internals::sql::Dialect;

use super::Migrator;
use super::plan::{Boundaries, PlannedStep};
use crate::classify::is_lock_timeout;
use crate::error::{DdlLockTimeout, Direction, Error};
use crate::report::Progress;

/// The longest back-off between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What [`Migrator::ddl_lock_timeout`] and [`Migrator::ddl_retries`] set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DdlOptions {
    /// The `lock_timeout` of each revision's transaction.
    pub(crate) lock_timeout: Option<Duration>,
    /// How many times a revision that gave up waiting runs again.
    pub(crate) retries: u32,
}

impl DdlOptions {
    /// Whether either option is set.
    pub(crate) fn is_set(self) -> bool {
        self.lock_timeout.is_some() || self.retries > 0
    }

    /// The statement a retried step's transaction starts with, if a timeout
    /// is set: `SET LOCAL` ends with the transaction.
    pub(crate) fn setting(self) -> Option<String> {
        self.lock_timeout
            .map(|timeout| format!("SET LOCAL lock_timeout = '{}ms'", timeout.as_millis()))
    }
}

/// The wait before retry `retry` (from 1): 1 s, 2 s, 4 s … at most 30 s.
/// Deterministic: no jitter.
pub(crate) fn backoff(retry: u32) -> Duration {
    let exponent = retry.saturating_sub(1).min(5);
    Duration::from_secs(1 << exponent).min(MAX_BACKOFF)
}

impl<'r> Migrator<'r> {
    /// Refuses the DDL lock options where they cannot work, before anything
    /// is written: on MySQL and SQLite, in single-transaction mode, and
    /// with a timeout PostgreSQL cannot take.
    pub(super) fn refuse_ddl_options(&self, dialect: Dialect, single: bool) -> Result<(), Error> {
        let ddl = self.ddl;
        if !ddl.is_set() {
            return Ok(());
        }
        let remove = "run without `--ddl-lock-timeout` and `--ddl-retries` (the config keys `ddl_lock_timeout` and `ddl_retries`) on this database";
        let refuse = |reason: &str, help: &str| {
            Err(Error::DdlOptions {
                reason: reason.to_owned(),
                help: help.to_owned(),
            })
        };
        match dialect {
            Dialect::Postgres => {}
            Dialect::Mysql => {
                return refuse(
                    "they are for PostgreSQL only: MySQL and MariaDB commit DDL at once, so a revision that gave up waiting cannot be rolled back and run again",
                    remove,
                );
            }
            Dialect::Sqlite => {
                return refuse(
                    "they are for PostgreSQL only: SQLite has no table locks to wait for (`--lock-timeout` sets its busy timeout)",
                    remove,
                );
            }
        }
        if single {
            return refuse(
                "in single-transaction mode the whole run is one transaction, so one revision cannot be rolled back and run again alone",
                "run without single-transaction mode, or without `--ddl-lock-timeout` and `--ddl-retries`",
            );
        }
        if let Some(timeout) = ddl.lock_timeout {
            let max = Duration::from_millis(i32::MAX.unsigned_abs().into());
            if timeout < Duration::from_millis(1) || timeout > max {
                return refuse(
                    &format!(
                        "PostgreSQL's `lock_timeout` takes 1 ms to 24 days, not {} ms (0 turns it off)",
                        timeout.as_millis()
                    ),
                    "set `--ddl-lock-timeout` to a duration such as `2s`",
                );
            }
        }
        Ok(())
    }

    /// Whether a step of a plan with these options gives up waiting for a
    /// table lock and is retried: a step that commits with its bookkeeping,
    /// where the options are set (the plan refused them elsewhere).
    pub(super) fn retries_step(&self, boundaries: &Boundaries) -> bool {
        self.ddl.is_set() && *boundaries == Boundaries::Together
    }

    /// Runs `attempt` until it does not give up waiting for a table lock,
    /// at most `1 + retries` times, telling `progress` of each retry and
    /// waiting [`backoff`] before it. `attempt` is told whether it is a
    /// retry. Steps that are not retried run once.
    pub(super) fn with_ddl_retries<T>(
        &self,
        planned: &PlannedStep,
        progress: &mut dyn FnMut(Progress),
        mut attempt: impl FnMut(&mut dyn FnMut(Progress), bool) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut retry = 0;
        loop {
            let error = match attempt(progress, retry > 0) {
                Err(error) if planned.retried => error,
                other => return other,
            };
            let reason = match &error {
                Error::DdlLockTimeout(timeout) => timeout.message.clone(),
                Error::Database { source, .. } if is_lock_timeout(source) => {
                    super::apply::database_message(source)
                }
                _ => return Err(error),
            };
            if retry >= self.ddl.retries {
                return Err(self.exhausted(planned, error, reason, retry + 1));
            }
            retry += 1;
            let wait = backoff(retry);
            progress(Progress::Retrying {
                id: planned.revision.id().to_owned(),
                attempt: retry,
                of: self.ddl.retries,
                reason,
                wait,
            });
            std::thread::sleep(wait);
        }
    }

    /// The error once every attempt gave up waiting.
    fn exhausted(
        &self,
        planned: &PlannedStep,
        error: Error,
        message: String,
        attempts: u32,
    ) -> Error {
        let statement = match error {
            Error::DdlLockTimeout(timeout) => timeout.statement,
            // revchain's bookkeeping waited, not one of the revision's
            // statements.
            _ => None,
        };
        Error::DdlLockTimeout(Box::new(DdlLockTimeout {
            id: planned.revision.id().to_owned(),
            file: planned.revision.file(planned.direction.file()),
            statement,
            message,
            timeout: self.ddl.lock_timeout,
            attempts,
            at: still_at(planned),
        }))
    }
}

/// The error of one attempt whose statement `statement` (its line and
/// first line) gave up waiting for a table lock; [`Migrator::with_ddl_retries`]
/// retries it, or completes it once the retries run out.
pub(super) fn gave_up(
    planned: &PlannedStep,
    line: usize,
    statement: String,
    message: String,
) -> Error {
    Error::DdlLockTimeout(Box::new(DdlLockTimeout {
        id: planned.revision.id().to_owned(),
        file: planned.revision.file(planned.direction.file()),
        statement: Some((line, statement)),
        message,
        timeout: None,
        attempts: 1,
        at: still_at(planned),
    }))
}

/// Where the database is while nothing of `planned` ran.
fn still_at(planned: &PlannedStep) -> String {
    match planned.direction {
        Direction::Up => planned.revision.parent().unwrap_or("base").to_owned(),
        Direction::Down => planned.revision.id().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_thirty_seconds() {
        let waits: Vec<u64> = (1..=8).map(|retry| backoff(retry).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn the_setting_is_in_milliseconds() {
        let ddl = DdlOptions {
            lock_timeout: Some(Duration::from_millis(1500)),
            retries: 2,
        };
        assert_eq!(
            ddl.setting().as_deref(),
            Some("SET LOCAL lock_timeout = '1500ms'")
        );
        assert_eq!(DdlOptions::default().setting(), None);
        assert!(!DdlOptions::default().is_set());
    }
}
