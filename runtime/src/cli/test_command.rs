//! `test`: the stairway of [`crate::testing`] on a scratch database, never
//! the database the URL names: created on the URL's server, or a temporary
//! SQLite file, and removed afterwards, on failure too.

use serde_json::{Value, json};

use super::Session;
use super::args::TestArgs;
use super::autogenerate::{ignored_tables, read_models};
use super::check::chain_summary;
use super::connection::with_connection;
use super::error::CliError;
use super::output::Style;
use super::scratch::Scratch;
use crate::report::seconds;
use crate::testing::{RevisionOutcome, Stairway, StairwayReport};

/// Runs `test`: exit 0 when every check passed, 1 otherwise.
pub(crate) fn test(session: &mut Session<'_>, args: &TestArgs) -> Result<(), CliError> {
    // 1. The chain is linear: a directory that is not fails here, with the
    // compiler's messages.
    let revisions = session.chain().map_err(CliError::Defects)?;
    let mut stairway = Stairway::with_migrator(
        // The scratch database is this process's own: nothing else holds
        // its tables, and SQLite refuses the DDL lock options.
        // No migration lock either: three migrations per revision, on a
        // database no other process knows.
        session
            .migrator(&revisions)?
            .ddl_lock_timeout(None)
            .ddl_retries(0)
            .lock(crate::LockStrategy::None),
    );
    if let Some(from) = &args.from {
        stairway = stairway.from(from.clone());
    }
    // 4. The models, with `--schema` or `schema` in a config file.
    if args.schema.is_some() || session.settings.schema.is_some() {
        let explicit = args.schema.as_ref().and_then(Option::as_deref);
        let (models, shown) = read_models(session, explicit)?;
        stairway = stairway.models(models, shown, ignored_tables(session, &args.ignore_tables));
    }
    let url = session.find_database_url()?;
    let output = session.output;
    let init_sql = session.init_sql();
    let scratch = Scratch::create(output, url.as_ref(), &init_sql)?;
    let mut conn = scratch.connect(&init_sql)?;
    let mut progress = |outcome: &RevisionOutcome| output.log(&progress_line(outcome));
    // 2, 3 and 5: base to head by the stairway, then head to base.
    let report = with_connection!(&mut conn, |c| stairway.run_with_progress(c, &mut progress))
        .map_err(|error| {
            CliError::context(
                "cannot run the stairway on the scratch database",
                None,
                error,
            )
        });
    drop(conn);
    scratch.remove()?;
    let report = report?;
    if output.json() {
        output.print_json(&report_json(&report))?;
        return if report.is_ok() {
            Ok(())
        } else {
            Err(CliError::Reported)
        };
    }
    // 1. The chain is linear.
    let ok = output.paint("ok:", Style::Ok);
    output.print(&format!("{ok} {}", chain_summary(&revisions)))?;
    let text = report.to_string();
    let mut lines: Vec<&str> = text.lines().collect();
    let summary = lines.pop().unwrap_or_default();
    for line in lines {
        output.print(line)?;
    }
    if report.is_ok() {
        return output.print(&format!("{ok} {summary}"));
    }
    output.print(summary)?;
    Err(CliError::message(
        format!(
            "the migrations failed the test: {} failure{}{}",
            report.failures.len(),
            if report.failures.len() == 1 { "" } else { "s" },
            if report.stopped.is_some() {
                ", and the stairway stopped early"
            } else {
                ""
            }
        ),
        "fix the files named above, then run `test` again",
    ))
}

/// `stairway 3/10 `id`: ok (12.3 ms)`, on stderr.
fn progress_line(outcome: &RevisionOutcome) -> String {
    let verdict = match (outcome.failures, outcome.skipped) {
        (0, false) => "ok".to_owned(),
        (0, true) => "ok, down step skipped: no `down.sql`".to_owned(),
        (n, _) => format!("{n} failure{}", if n == 1 { "" } else { "s" }),
    };
    format!(
        "stairway {}/{} `{}`: {verdict} ({})",
        outcome.position,
        outcome.total,
        outcome.revision,
        seconds(outcome.duration)
    )
}

/// The report as `--format json` prints it.
fn report_json(report: &StairwayReport) -> Value {
    json!({
        "ok": report.is_ok(),
        "revisions": report.revisions,
        "tested": report.tested,
        "skipped": report.skipped.iter().map(|s| json!({
            "revision": s.revision,
            "file": s.file,
        })).collect::<Vec<_>>(),
        "failures": report.failures.iter().map(|f| json!({
            "check": f.check.as_str(),
            "revision": f.revision,
            "file": f.file,
            "line": f.line,
            "statement": f.statement,
            "message": f.message,
            "differences": f.differences,
        })).collect::<Vec<_>>(),
        "stopped": report.stopped,
        "downgraded_to_base": report.downgraded_to_base,
        "models_compared": report.models_compared,
    })
}
