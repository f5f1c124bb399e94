//! What revchain tells `tracing` (feature `tracing`): a span per operation,
//! an event per revision, and events for lock waits and retries. Without
//! the feature every function here is empty, and the library emits nothing;
//! it never prints on its own either way.
//!
//! | what | level | name | fields |
//! | --- | --- | --- | --- |
//! | span per `upgrade`, `downgrade`, `stamp` | `INFO` | the operation | `target`, `backend` |
//! | a revision starts | `DEBUG` | | `id`, `direction` |
//! | a revision finished | `INFO` | | `id`, `direction`, `duration_ms`, `statements` |
//! | waiting for the migration lock | `INFO` | | `holder`, `waited_ms` |
//! | the lock taken after waiting | `INFO` | | `waited_ms` |
//! | a revision retried after a table-lock timeout | `WARN` | | `id`, `attempt`, `of`, `reason`, `wait_ms` |
//! | bookkeeping sent again after a Galera certification conflict | `WARN` | | `what`, `attempt`, `wait_ms` |
//!
//! Every span and event has the target `revchain`.

use std::time::Duration;

use revchain_internals::sql::Dialect;

use crate::report::Progress;

/// The span of one operation, entered until it is dropped.
#[cfg(feature = "tracing")]
pub(crate) type Operation = tracing::span::EnteredSpan;
/// Nothing: the feature `tracing` is off.
#[cfg(not(feature = "tracing"))]
pub(crate) struct Operation;

/// Enters the span of `operation` (`upgrade`, `downgrade`, `stamp` or `sync`) towards
/// `target` on `backend`.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn operation(
    operation: &'static str,
    target: &dyn std::fmt::Display,
    backend: Dialect,
) -> Operation {
    #[cfg(feature = "tracing")]
    {
        let span = match operation {
            "upgrade" => {
                tracing::info_span!(target: "revchain", "upgrade", target = %target, backend = %backend)
            }
            "downgrade" => {
                tracing::info_span!(target: "revchain", "downgrade", target = %target, backend = %backend)
            }
            "sync" => {
                tracing::info_span!(target: "revchain", "sync", target = %target, backend = %backend)
            }
            _ => {
                tracing::info_span!(target: "revchain", "stamp", target = %target, backend = %backend)
            }
        };
        span.entered()
    }
    #[cfg(not(feature = "tracing"))]
    Operation
}

/// The event of a [`Progress`] report.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn progress(event: &Progress) {
    #[cfg(feature = "tracing")]
    match event {
        Progress::Starting { id, direction, .. } => {
            tracing::debug!(target: "revchain", id = %id, direction = %direction, "revision starting");
        }
        Progress::Finished(step) => tracing::info!(
            target: "revchain",
            id = %step.id,
            direction = %step.direction,
            duration_ms = millis(step.duration),
            statements = step.statements,
            "revision applied"
        ),
        Progress::Waiting { holder, waited } => tracing::info!(
            target: "revchain",
            holder = %holder.as_ref().map_or_else(|| "unknown".to_owned(), ToString::to_string),
            waited_ms = millis(*waited),
            "waiting for the migration lock"
        ),
        Progress::Retrying {
            id,
            attempt,
            of,
            reason,
            wait,
        } => tracing::warn!(
            target: "revchain",
            id = %id,
            attempt,
            of,
            reason = %reason,
            wait_ms = millis(*wait),
            "revision gave up waiting for a table lock; retrying"
        ),
    }
}

/// The migration lock was taken after waiting `waited` for it.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn lock_taken(waited: Duration) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: "revchain",
        waited_ms = millis(waited),
        "migration lock taken after waiting"
    );
}

/// A Galera certification conflict rolled back revchain's bookkeeping
/// (`what`), which is sent again after `wait`.
#[cfg(feature = "mysql_backend")]
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn certification_retry(what: &str, attempt: u32, wait: Duration) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "revchain",
        what = %what,
        attempt,
        wait_ms = millis(wait),
        "certification conflict; sending the bookkeeping again"
    );
}

/// Milliseconds, with their fraction, as a tracing field.
#[cfg(feature = "tracing")]
fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
