//! `lock status` and `lock release [--force]`: who holds the migration
//! lock, and freeing a `table` lock whose holder is gone.

use serde_json::{Value, json};

use super::Session;
use super::args::{LockCommand, ReleaseArgs};
use super::connection::with_connection;
use super::error::CliError;
use crate::{Lease, LockHolder, LockState, LockStatus, Released};

/// Runs one `lock` command.
pub(crate) fn run(session: &mut Session<'_>, command: &LockCommand) -> Result<(), CliError> {
    match command {
        LockCommand::Status => status(session),
        LockCommand::Release(args) => release(session, args),
    }
}

fn status(session: &mut Session<'_>) -> Result<(), CliError> {
    let revisions = &session.revisions()?;
    let migrator = session.migrator(revisions)?;
    let (connection, _) = session.reading_connection()?;
    let status = with_connection!(connection, |conn| migrator.lock_status(conn))?;
    if session.output.json() {
        session.output.print_json(&status_json(&status))
    } else {
        session.output.print(&format!("lock: {status}"))
    }
}

fn release(session: &mut Session<'_>, args: &ReleaseArgs) -> Result<(), CliError> {
    let revisions = &session.revisions()?;
    let migrator = session.migrator(revisions)?;
    // A database that does not exist holds no lock: no file is created.
    let (connection, _) = session.reading_connection()?;
    let released = with_connection!(connection, |conn| migrator.release_lock(conn, args.force))?;
    let output = session.output;
    match released {
        Released::Free if output.json() => output.print_json(&json!({
            "released": false,
            "state": "free",
        })),
        Released::Free => output.print("lock: free, nothing to release"),
        Released::Freed { table, lease } if output.json() => {
            let mut value = lease_json(&lease);
            value["released"] = json!(true);
            value["table"] = json!(table);
            value["forced"] = json!(!lease.expired);
            output.print_json(&value)
        }
        Released::Freed { table, lease } => {
            let until = lease.expires_at.as_deref().unwrap_or("an unknown time");
            let how = if lease.expired {
                format!("whose lease expired at {until}")
            } else {
                format!("whose lease ran until {until} (forced)")
            };
            output.print(&format!(
                "released the migration lock in `{table}`, held by {}, {how}",
                lease.holder
            ))
        }
    }
}

fn holder_json(holder: &LockHolder) -> Value {
    json!({
        "host": holder.host,
        "pid": holder.pid,
        "application": holder.application,
        "since": holder.since,
    })
}

fn lease_json(lease: &Lease) -> Value {
    json!({
        "state": if lease.expired { "expired" } else { "held" },
        "holder": holder_json(&lease.holder),
        "expires_at": lease.expires_at,
        "expired": lease.expired,
    })
}

/// `{"strategy", "table", "state", "holder", "expires_at", "expired"}`;
/// `state` is `free`, `held`, `expired` (a `table` lease whose holder is
/// gone), `unknown` (SQLite's `advisory`) or `none` (no lock is taken).
fn status_json(status: &LockStatus) -> Value {
    let mut value = match &status.state {
        LockState::Leased(lease) => lease_json(lease),
        LockState::Held(holder) => json!({
            "state": "held",
            "holder": holder_json(holder),
            "expires_at": null,
            "expired": null,
        }),
        other => json!({
            "state": match other {
                LockState::Unknown => "unknown",
                LockState::NoLock => "none",
                _ => "free",
            },
            "holder": null,
            "expires_at": null,
            "expired": null,
        }),
    };
    value["strategy"] = json!(status.strategy.as_str());
    value["table"] = json!(status.table);
    value
}
