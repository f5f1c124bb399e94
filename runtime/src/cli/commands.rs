//! The commands that work on an embedded chain as well as on a directory.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::Session;
use super::args::{
    CurrentArgs, DbCommand, DowngradeArgs, HistoryArgs, ShowArgs, StampArgs, StepsArgs, UpgradeArgs,
};
use super::connection::with_connection;
use super::early::check_target;
use super::error::CliError;
use super::output::{Output, Style, report_json};
use crate::{Direction, Error, Progress, Revision, Revisions, Status, Target};

/// Runs one command.
pub(crate) fn run(session: &mut Session<'_>, command: &DbCommand) -> Result<(), CliError> {
    match command {
        DbCommand::Upgrade(args) => upgrade(session, args),
        DbCommand::Downgrade(args) => downgrade(session, args),
        DbCommand::Stamp(args) => stamp(session, args),
        DbCommand::Current(args) => current(session, args),
        DbCommand::History(args) => history(session, args),
        DbCommand::Heads => heads(session),
        DbCommand::Show(args) => show(session, args),
        DbCommand::Check(args) => super::check::check(session, args),
        DbCommand::Verify => verify(session),
        DbCommand::Sync(args) => super::sync::sync(session, args),
        DbCommand::Lock(command) => super::lock::run(session, command),
        DbCommand::Test(args) => super::test_command::test(session, args),
    }
}

/// `upgrade` or `downgrade`.
fn verb(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    }
}

/// `<base>` or the id, as Alembic writes a revision in `A -> B`.
fn alembic_name(id: Option<&str>) -> &str {
    id.unwrap_or("<base>")
}

/// `base` or the id in backticks, for sentences.
pub(crate) fn sentence_name(id: Option<&str>) -> String {
    id.map_or_else(|| "base".to_owned(), |id| format!("`{id}`"))
}

/// The first line of a message, for one-line listings.
fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or("").trim_end()
}

/// Alembic's duration, such as `1.2 ms`.
fn duration(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 10_000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// `+N` or `-N` with nothing before it: relative to the other end of a
/// range, or to the current revision.
fn bare_delta(text: &str) -> Option<i64> {
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'+') => (1, &text[1..]),
        Some(b'-') => (-1, &text[1..]),
        _ => return None,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok().map(|n| sign * n)
}

/// The database's position in the chain, refusing a revision it lacks.
fn current_position(
    session: &mut Session<'_>,
    revisions: &Revisions,
) -> Result<Option<usize>, CliError> {
    let migrator = session.migrator(revisions)?;
    let (connection, _) = session.reading_connection()?;
    let current = with_connection!(connection, |conn| migrator.current(conn))?;
    match current {
        None => Ok(None),
        Some(id) => revisions.position(&id).map(Some).ok_or_else(|| {
            CliError::Runtime(Error::UnknownRevision {
                id,
                head: revisions.head().map(|r| r.id().to_owned()),
            })
        }),
    }
}

/// Resolves a revision name; `current` and `±N` ask the database, unless
/// `relative_to` gives the position a bare `±N` counts from.
fn resolve(
    session: &mut Session<'_>,
    revisions: &Revisions,
    text: &str,
    relative_to: Option<Option<usize>>,
) -> Result<Option<usize>, CliError> {
    if let (Some(from), Some(delta)) = (relative_to, bare_delta(text.trim())) {
        return Ok(Target::relative(delta).resolve(revisions, from)?);
    }
    let target: Target = text.parse()?;
    let from = if target.is_relative_to_current() {
        current_position(session, revisions)?
    } else {
        None
    };
    Ok(target.resolve(revisions, from)?)
}

// ---------------------------------------------------------------- listings

/// One revision as `history` lists it.
struct Listed<'r> {
    revision: &'r Revision,
    head: bool,
    current: bool,
}

impl Listed<'_> {
    fn marks(&self, output: &Output) -> String {
        let mut marks = String::new();
        if self.head {
            marks.push(' ');
            marks.push_str(&output.paint("(head)", Style::Head));
        }
        if self.current {
            marks.push(' ');
            marks.push_str(&output.paint("(current)", Style::Current));
        }
        marks
    }

    /// `<parent> -> <id> (head) (current), <message>`.
    fn line(&self, output: &Output) -> String {
        format!(
            "{} -> {}{}, {}",
            alembic_name(self.revision.parent()),
            self.revision.id(),
            self.marks(output),
            first_line(self.revision.message())
        )
    }

    /// `Rev:`, `Parent:`, `Path:`, then the indented message.
    fn verbose(&self, output: &Output) -> String {
        let mut text = format!(
            "Rev: {}{}\nParent: {}\nPath: {}\n",
            self.revision.id(),
            self.marks(output),
            alembic_name(self.revision.parent()),
            self.revision.file("up.sql"),
        );
        for line in self.revision.message().lines() {
            text.push('\n');
            if !line.trim().is_empty() {
                text.push_str("    ");
                text.push_str(line.trim_end());
            }
        }
        text.push('\n');
        text
    }

    fn json(&self) -> Map<String, Value> {
        Map::from_iter([
            ("id".to_owned(), json!(self.revision.id())),
            ("parent".to_owned(), json!(self.revision.parent())),
            ("message".to_owned(), json!(self.revision.message())),
            ("path".to_owned(), json!(self.revision.file("up.sql"))),
            ("head".to_owned(), json!(self.head)),
            ("current".to_owned(), json!(self.current)),
        ])
    }
}

fn history(session: &mut Session<'_>, args: &HistoryArgs) -> Result<(), CliError> {
    let revisions = &session.revisions()?;
    let range = match &args.rev_range {
        None => revisions.as_slice(),
        Some(range) => history_range(session, revisions, range)?,
    };
    let current = if args.indicate_current {
        let migrator = session.migrator(revisions)?;
        let (connection, _) = session.reading_connection()?;
        let current = with_connection!(connection, |conn| migrator.current(conn))?;
        if let Some(id) = &current
            && revisions.position(id).is_none()
        {
            session.output.warn(&format!(
                "the database is at `{id}`, which is not in this chain (its head is {}): a newer build migrated it",
                sentence_name(revisions.head().map(Revision::id))
            ));
        }
        current
    } else {
        None
    };
    let head = revisions.head().map(Revision::id);
    let listed: Vec<Listed<'_>> = range
        .iter()
        .rev()
        .map(|revision| Listed {
            revision,
            head: Some(revision.id()) == head,
            current: current.as_deref() == Some(revision.id()),
        })
        .collect();
    if session.output.json() {
        session.output.print_json(&json!({
            "revisions": listed.iter().map(Listed::json).collect::<Vec<_>>(),
        }))
    } else if args.verbose {
        let blocks: Vec<String> = listed.iter().map(|l| l.verbose(session.output)).collect();
        if blocks.is_empty() {
            return Ok(());
        }
        session
            .output
            .print(blocks.join("\n").trim_end_matches('\n'))
    } else {
        listed
            .iter()
            .try_for_each(|listed| session.output.print(&listed.line(session.output)))
    }
}

/// Resolves `START:END` to the revisions from START to END, both included
/// (none for base), Alembic's way: `-N` at the start counts down from the
/// end, `+N` at the end counts up from the start.
fn history_range<'r>(
    session: &mut Session<'_>,
    revisions: &'r Revisions,
    range: &str,
) -> Result<&'r [Revision], CliError> {
    let Some((start, end)) = range.trim().split_once(':') else {
        return Err(CliError::message(
            format!("invalid history range `{range}`"),
            "write `START:END`, `START:` or `:END`, such as `base:head`, `-3:` or `:+2`",
        ));
    };
    let start = if start.is_empty() { "base" } else { start };
    let end = if end.is_empty() { "head" } else { end };
    let (start_position, end_position) = match (bare_delta(start), bare_delta(end)) {
        (Some(_), Some(_)) => {
            return Err(CliError::message(
                format!("invalid history range `{range}`: both ends are relative"),
                "anchor one end, such as `-3:head` or `base:+2`",
            ));
        }
        (Some(_), None) => {
            let end_position = resolve(session, revisions, end, None)?;
            (
                resolve(session, revisions, start, Some(end_position))?,
                end_position,
            )
        }
        (None, _) => {
            let start_position = resolve(session, revisions, start, None)?;
            (
                start_position,
                resolve(session, revisions, end, Some(start_position))?,
            )
        }
    };
    if let (Some(first), Some(last)) = (start_position, end_position)
        && first > last
    {
        return Err(CliError::message(
            format!(
                "invalid history range `{range}`: `{}` comes after `{}`",
                revisions.as_slice()[first].id(),
                revisions.as_slice()[last].id()
            ),
            "write the older revision first: `START:END`",
        ));
    }
    let all = revisions.as_slice();
    match (start_position, end_position) {
        (Some(_), None) => Err(CliError::message(
            format!("invalid history range `{range}`: it ends at base, before its start"),
            "write the older revision first: `START:END`",
        )),
        (None, None) => Ok(&[]),
        (None, Some(last)) => Ok(&all[..=last]),
        (Some(first), Some(last)) => Ok(&all[first..=last]),
    }
}

fn heads(session: &mut Session<'_>) -> Result<(), CliError> {
    let revisions = &session.revisions()?;
    let head = revisions.head();
    if session.output.json() {
        session.output.print_json(&json!({
            "heads": head.into_iter().map(|h| json!({"id": h.id(), "message": h.message()})).collect::<Vec<_>>(),
        }))
    } else if let Some(head) = head {
        session.output.print(&format!(
            "{} {}",
            head.id(),
            session.output.paint("(head)", Style::Head)
        ))
    } else {
        Ok(())
    }
}

fn show(session: &mut Session<'_>, args: &ShowArgs) -> Result<(), CliError> {
    let revisions = &session.revisions()?;
    let Some(position) = resolve(session, revisions, &args.rev, None)? else {
        return Err(CliError::message(
            format!(
                "`{}` is base, the empty schema before the first revision, not a revision",
                args.rev
            ),
            "name a revision: `head`, an id or a prefix of one, `head-N`",
        ));
    };
    let revision = &revisions.as_slice()[position];
    let listed = Listed {
        revision,
        head: position + 1 == revisions.len(),
        current: false,
    };
    if session.output.json() {
        let mut value = listed.json();
        value.insert("reversible".into(), revision.down_sql().is_some().into());
        value.insert(
            "run_in_transaction".into(),
            revision.run_in_transaction().into(),
        );
        value.insert("checksum".into(), revision.checksum().to_string().into());
        value.insert(
            "chain_digest".into(),
            revision.chain_digest().to_string().into(),
        );
        session.output.print_json(&json!({ "revision": value }))
    } else {
        session
            .output
            .print(listed.verbose(session.output).trim_end_matches('\n'))
    }
}

// ---------------------------------------------------------------- database

fn status_json(status: &Status, url: &str) -> Value {
    json!({
        "database_url": url,
        "current": status.current,
        "head": status.head,
        "at_head": status.is_at_head(),
        "known": status.known,
        "dirty": status.dirty,
        "digest_matches": status.digest_matches,
        "pending": status.pending,
    })
}

fn current(session: &mut Session<'_>, args: &CurrentArgs) -> Result<(), CliError> {
    let revisions = &session.revisions()?;
    let migrator = session.migrator(revisions)?;
    let (connection, url) = session.reading_connection()?;
    let status = with_connection!(connection, |conn| migrator.status(conn))?;
    let url = url.shown.clone();
    if session.output.json() {
        return session.output.print_json(&status_json(&status, &url));
    }
    if args.verbose {
        session
            .output
            .print(&format!("Current revision(s) for {url}:"))?;
    }
    if let Some(id) = &status.current {
        let mut marks = String::new();
        let mut mark = |text: &str, style: Style| {
            marks.push(' ');
            marks.push_str(&session.output.paint(text, style));
        };
        if !status.known {
            mark("(unknown)", Style::Warning);
        } else if status.head.as_ref() == Some(id) {
            mark("(head)", Style::Head);
        }
        if status.dirty.is_some() {
            mark("(dirty)", Style::Error);
        }
        if !status.digest_matches {
            mark("(drifted)", Style::Error);
        }
        match revisions.get(id).filter(|_| args.verbose) {
            Some(revision) => {
                let block = Listed {
                    revision,
                    head: false,
                    current: false,
                }
                .verbose(session.output);
                // The marks of `current`, not of `history`.
                let block =
                    block.replacen(&format!("Rev: {id}\n"), &format!("Rev: {id}{marks}\n"), 1);
                session.output.print(block.trim_end_matches('\n'))?;
            }
            None => session.output.print(&format!("{id}{marks}"))?,
        }
    }
    if status.dirty.is_some() || !status.known || !status.digest_matches {
        session.output.warn(&status.to_string());
    }
    Ok(())
}

fn verify(session: &mut Session<'_>) -> Result<(), CliError> {
    let revisions = &session.revisions()?;
    let migrator = session.migrator(revisions)?;
    let (connection, _) = session.reading_connection()?;
    with_connection!(connection, |conn| migrator.verify(conn))?;
    let current = with_connection!(connection, |conn| migrator.current(conn))?;
    if session.output.json() {
        session
            .output
            .print_json(&json!({ "ok": true, "current": current }))
    } else {
        session.output.print(&format!(
            "{} the database is clean at {}, and every applied revision matches the chain",
            session.output.paint("ok:", Style::Ok),
            sentence_name(current.as_deref())
        ))
    }
}

/// Prints `Running upgrade A -> B, message` when a revision starts, and its
/// duration when it ends; while the migration lock is held elsewhere, who
/// holds it; and each retry of a revision that gave up waiting for a table
/// lock (`--ddl-lock-timeout`).
pub(super) fn progress(output: &Output) -> impl FnMut(Progress) {
    move |event| {
        match event {
        Progress::Starting {
            id,
            direction,
            parent,
            message,
        } => {
            let parent = alembic_name(parent.as_deref());
            let (from, to) = match direction {
                Direction::Up => (parent, id.as_str()),
                Direction::Down => (id.as_str(), parent),
            };
            output.start_line(&format!(
                "Running {} {from} -> {to}, {}",
                verb(direction),
                first_line(&message)
            ));
        }
        Progress::Finished(step) => {
            output.finish_line(&format!(" ({})", duration(step.duration)));
        }
        Progress::Waiting { holder, waited } => output.log(&format!(
            "Waiting for the migration lock, held by {} ({} so far)",
            holder.map_or_else(|| "another process".to_owned(), |holder| holder.to_string()),
            duration(waited)
        )),
        Progress::Retrying {
            id,
            attempt,
            of,
            reason,
            wait,
        } => output.log(&format!(
            "Retrying {id} in {} (retry {attempt} of {of}): it gave up waiting for a table lock: {}",
            duration(wait),
            first_line(&reason)
        )),
    }
    }
}

/// `upgrade` and `downgrade`: the script with `--sql`, else against the
/// database.
fn migrate(
    session: &mut Session<'_>,
    direction: Direction,
    target: &str,
    steps: &StepsArgs,
) -> Result<(), CliError> {
    if steps.sql {
        return super::script::migrate_sql(session, direction, target, steps.single_transaction);
    }
    let revisions = &session.revisions()?;
    check_target(target, verb(direction), revisions)?;
    let migrator = session
        .migrator(revisions)?
        .single_transaction(steps.single_transaction);
    let output = session.output;
    let (connection, _) = session.connection()?;
    let mut progress = progress(output);
    let report = with_connection!(connection, |conn| match direction {
        Direction::Up => migrator.upgrade_with_progress(conn, target, &mut progress),
        Direction::Down => migrator.downgrade_with_progress(conn, target, &mut progress),
    })?;
    if output.json() {
        return output.print_json(&report_json(&report));
    }
    if let Some(last) = report.adopted.last() {
        output.log(&format!(
            "Adopted {} revision{} that diesel_migrations, sqlx or refinery applied, up to `{last}`",
            report.adopted.len(),
            if report.adopted.len() == 1 { "" } else { "s" }
        ));
    }
    if report.steps.is_empty() {
        output.log(&format!(
            "Nothing to {}: the database is at {}",
            verb(direction),
            sentence_name(report.to.as_deref())
        ));
    }
    Ok(())
}

fn upgrade(session: &mut Session<'_>, args: &UpgradeArgs) -> Result<(), CliError> {
    let target = match (args.steps.delta, &args.target) {
        (Some(delta), _) => format!("+{delta}"),
        (None, Some(target)) => target.clone(),
        (None, None) => "head".to_owned(),
    };
    migrate(session, Direction::Up, &target, &args.steps)
}

fn downgrade(session: &mut Session<'_>, args: &DowngradeArgs) -> Result<(), CliError> {
    let target = match (args.steps.delta, &args.target) {
        (Some(delta), _) => format!("-{delta}"),
        (None, Some(target)) => target.clone(),
        (None, None) => {
            return Err(CliError::message(
                "`downgrade` needs a target",
                "name one, such as `-1` or `base`, or pass `--delta N`",
            ));
        }
    };
    migrate(session, Direction::Down, &target, &args.steps)
}

fn stamp(session: &mut Session<'_>, args: &StampArgs) -> Result<(), CliError> {
    if args.sql {
        return super::script::stamp_sql(session, &args.target, args.purge);
    }
    let revisions = &session.revisions()?;
    check_target(&args.target, "stamp", revisions)?;
    let migrator = session.migrator(revisions)?;
    let output = session.output;
    let (connection, _) = session.connection()?;
    let mut progress = progress(output);
    let report = with_connection!(connection, |conn| migrator.stamp_with_progress(
        conn,
        &args.target,
        args.purge,
        &mut progress
    ))?;
    if session.output.json() {
        return session.output.print_json(&json!({
            "from": report.from,
            "to": report.to,
            "purged": args.purge,
        }));
    } else {
        session.output.log(&format!(
            "Running stamp_revision {} -> {}",
            alembic_name(report.from.as_deref()),
            alembic_name(report.to.as_deref())
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_deltas_have_only_a_sign_and_digits() {
        assert_eq!(bare_delta("-3"), Some(-3));
        assert_eq!(bare_delta("+2"), Some(2));
        assert_eq!(bare_delta("head-1"), None);
        assert_eq!(bare_delta("-"), None);
        assert_eq!(bare_delta("2026-01-05"), None);
    }

    #[test]
    fn durations_read_like_alembic_logs() {
        assert_eq!(duration(Duration::from_micros(1234)), "1.2 ms");
        assert_eq!(duration(Duration::from_secs(12)), "12.00 s");
    }
}
