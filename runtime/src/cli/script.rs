//! `upgrade --sql`, `downgrade --sql` and `stamp --sql`: the script, printed
//! instead of run.

use serde_json::json;

use super::Session;
use super::error::CliError;
use super::url::DatabaseUrl;
use crate::{Dialect, Migrator};

/// The dialect of the script: `--dialect`, else the database URL's scheme.
fn dialect(session: &Session<'_>) -> Result<Dialect, CliError> {
    if let Some(dialect) = session.global.dialect {
        return Ok(dialect.into());
    }
    let url = session
        .settings
        .database_url(session.default_url.as_deref())
        .map_err(|_| {
            CliError::message(
                "`--sql` needs a dialect",
                "pass `--dialect sqlite`, `--dialect postgres` or `--dialect mysql`, or a database URL whose scheme names one",
            )
        })?;
    let parsed = DatabaseUrl::parse(&url.value)?;
    session.output.hide(&parsed.secrets);
    Ok(parsed.backend.dialect())
}

fn print(session: &Session<'_>, dialect: Dialect, script: &str) {
    if session.output.json() {
        session
            .output
            .print_json(&json!({ "dialect": dialect.as_str(), "sql": script }));
    } else {
        session.output.print(script.trim_end_matches('\n'));
    }
}

/// Prints the script `build` writes with the session's migrator, in the
/// dialect of `--dialect` or of the database URL.
fn write(
    session: &mut Session<'_>,
    build: impl FnOnce(Migrator<'static>, Dialect) -> Result<String, crate::Error>,
) -> Result<(), CliError> {
    let revisions = session.revisions()?;
    let dialect = dialect(session)?;
    let script = build(session.migrator(revisions), dialect)?;
    print(session, dialect, &script);
    Ok(())
}

/// A target `[FROM:]TO` of an offline script: FROM is base when missing,
/// TO head.
fn range(target: &str) -> (Option<&str>, &str) {
    match target.split_once(':') {
        Some((from, to)) => (
            Some(from).filter(|f| !f.is_empty()),
            if to.is_empty() { "head" } else { to },
        ),
        None => (None, target),
    }
}

/// `upgrade [FROM:]TO --sql`: from base unless a range gives the start.
pub(crate) fn upgrade_sql(
    session: &mut Session<'_>,
    target: &str,
    single_transaction: bool,
) -> Result<(), CliError> {
    let (from, to) = range(target);
    write(session, |migrator, dialect| {
        migrator
            .single_transaction(single_transaction)
            .upgrade_sql(dialect, from, to)
    })
}

/// `downgrade FROM:TO --sql`: both ends are required, as in Alembic.
pub(crate) fn downgrade_sql(
    session: &mut Session<'_>,
    target: &str,
    single_transaction: bool,
) -> Result<(), CliError> {
    let Some((from, to)) = target
        .split_once(':')
        .filter(|(f, t)| !f.is_empty() && !t.is_empty())
    else {
        return Err(CliError::message(
            format!("`downgrade --sql` needs a range `FROM:TO`, not `{target}`"),
            "offline, the database's revision is unknown: name where the script starts, such as `head:base` or `head:-1`",
        ));
    };
    write(session, |migrator, dialect| {
        migrator
            .single_transaction(single_transaction)
            .downgrade_sql(dialect, from, to)
    })
}

/// `stamp [FROM:]TO --sql [--purge]`: FROM only sets where a relative TO
/// counts from.
pub(crate) fn stamp_sql(
    session: &mut Session<'_>,
    target: &str,
    purge: bool,
) -> Result<(), CliError> {
    let (from, to) = range(target);
    write(session, |migrator, dialect| {
        migrator.stamp_sql(dialect, from, to, purge)
    })
}
