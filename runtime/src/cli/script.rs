//! `upgrade --sql`, `downgrade --sql` and `stamp --sql`: the script, printed
//! instead of run.

use serde_json::json;

use super::Session;
use super::error::CliError;
use crate::{Dialect, Direction, Migrator};

/// The dialect of the script: `--dialect`, else the database URL's scheme.
fn dialect(session: &Session<'_>) -> Result<Dialect, CliError> {
    session.dialect()?.ok_or_else(|| {
        CliError::message(
            "`--sql` needs a dialect",
            "pass `--dialect sqlite`, `--dialect postgres` or `--dialect mysql`, or a database URL whose scheme names one",
        )
    })
}

/// Prints the script `build` writes with the session's migrator, in the
/// dialect of `--dialect` or of the database URL.
fn write(
    session: &mut Session<'_>,
    build: impl FnOnce(Migrator<'_>, Dialect) -> Result<String, crate::Error>,
) -> Result<(), CliError> {
    let revisions = &session.revisions()?;
    let dialect = dialect(session)?;
    let script = build(session.migrator(revisions)?, dialect)?;
    if session.output.json() {
        session
            .output
            .print_json(&json!({ "dialect": dialect.as_str(), "sql": script }))
    } else {
        session.output.print(script.trim_end_matches('\n'))
    }
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

/// What a migration script goes through.
enum Span<'t> {
    /// `upgrade [FROM:]TO`: from base unless a range gives the start.
    Up { from: Option<&'t str>, to: &'t str },
    /// `downgrade FROM:TO`: both ends are required, as in Alembic.
    Down { from: &'t str, to: &'t str },
}

/// `upgrade [FROM:]TO --sql` and `downgrade FROM:TO --sql`.
pub(crate) fn migrate_sql(
    session: &mut Session<'_>,
    direction: Direction,
    target: &str,
    single_transaction: bool,
) -> Result<(), CliError> {
    let span = match direction {
        Direction::Up => {
            let (from, to) = range(target);
            Span::Up { from, to }
        }
        Direction::Down => match target
            .split_once(':')
            .filter(|(f, t)| !f.is_empty() && !t.is_empty())
        {
            Some((from, to)) => Span::Down { from, to },
            None => {
                return Err(CliError::message(
                    format!("`downgrade --sql` needs a range `FROM:TO`, not `{target}`"),
                    "offline, the database's revision is unknown: name where the script starts, such as `head:base` or `head:-1`",
                ));
            }
        },
    };
    write(session, |migrator, dialect| {
        let migrator = migrator.single_transaction(single_transaction);
        match span {
            Span::Up { from, to } => migrator.upgrade_sql(dialect, from, to),
            Span::Down { from, to } => migrator.downgrade_sql(dialect, from, to),
        }
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
