//! `sync [--dry-run]`: for a development database whose applied history
//! diverged from the chain (another branch's revisions, or a rebase),
//! prints the plan (the revisions reverted, newest first, down to the last
//! one both share, then those applied), then runs it through
//! [`Migrator::sync`](crate::Migrator::sync). Refusals change nothing.

use serde_json::json;

use super::Session;
use super::args::SyncArgs;
use super::commands::{progress, sentence_name};
use super::connection::with_connection;
use super::error::CliError;
use super::output::report_json;
use crate::SyncPlan;

pub(crate) fn sync(session: &mut Session<'_>, args: &SyncArgs) -> Result<(), CliError> {
    let revisions = &session.revisions()?;
    let migrator = session.migrator(revisions)?;
    let output = session.output;
    let (connection, _) = session.connection()?;
    let plan = with_connection!(connection, |conn| migrator.sync_plan(conn))?;
    if args.dry_run || plan.is_empty() {
        if output.json() {
            return output.print_json(&json!({
                "dry_run": args.dry_run,
                "plan": plan_json(&plan),
            }));
        }
        if plan.is_empty() {
            output.log(&format!(
                "Nothing to sync: the database is at {}, the head",
                sentence_name(plan.from.as_deref())
            ));
            return Ok(());
        }
        print_plan(session, &plan)?;
        return session.output.print("dry run: nothing was changed");
    }
    if !output.json() {
        print_plan(session, &plan)?;
    }
    let (connection, _) = session.connection()?;
    let mut progress = progress(output);
    let report = with_connection!(connection, |conn| migrator
        .sync_with_progress(conn, &mut progress))?;
    if output.json() {
        return output.print_json(&json!({
            "dry_run": false,
            "plan": plan_json(&plan),
            "report": report_json(&report),
        }));
    }
    Ok(())
}

fn plan_json(plan: &SyncPlan) -> serde_json::Value {
    json!({
        "from": plan.from,
        "common": plan.common,
        "revert": plan.revert.iter().map(|r| json!({
            "id": r.id,
            "down_sql": if r.stored { "stored" } else { "chain" },
        })).collect::<Vec<_>>(),
        "upgrade": plan.upgrade,
    })
}

/// The plan, one line per revision, on stdout.
fn print_plan(session: &Session<'_>, plan: &SyncPlan) -> Result<(), CliError> {
    let output = session.output;
    output.print(&format!(
        "Sync plan: the database is at {}; the last revision it shares with the chain is {}",
        sentence_name(plan.from.as_deref()),
        sentence_name(plan.common.as_deref())
    ))?;
    for revert in &plan.revert {
        output.print(&format!(
            "  revert {} (with {})",
            revert.id,
            if revert.stored {
                "the down SQL stored in the log: the chain lacks it"
            } else {
                "the chain's `down.sql`"
            }
        ))?;
    }
    for id in &plan.upgrade {
        output.print(&format!("  upgrade {id}"))?;
    }
    Ok(())
}
