//! `revision -m MESSAGE`: a new revision directory on top of the head, and
//! `HEAD` pointing at it. Refuses a directory that breaks the rules, and
//! writes nothing when it fails. With `--autogenerate`, `up.sql` and
//! `down.sql` hold the difference between diesel's `schema.rs` and the
//! database at head; nothing is written when there is none.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use super::args::RevisionArgs;
use super::error::CliError;
use super::{Session, Source};

pub(crate) fn revision(session: &mut Session<'_>, args: &RevisionArgs) -> Result<(), CliError> {
    let Source::Dir { path, display, .. } = &session.source else {
        return Err(CliError::bare(
            "`revision` needs a migrations directory, not an embedded chain",
        ));
    };
    let (path, display) = (path.clone(), display.clone());
    let message = args.message.trim();
    // Trimmed, a message has a first line unless it is empty.
    let Some(title) = message.lines().next() else {
        return Err(CliError::message(
            "the message is empty",
            "say what the revision does: `revision -m \"add email to users\"`",
        ));
    };
    // A directory that cannot be read, or a dangling link, exists: reading
    // the chain says what is wrong with it.
    let exists = !revchain_internals::is_absent(&path);
    if std::fs::metadata(&path).is_ok_and(|meta| !meta.is_dir()) {
        return Err(CliError::message(
            format!("`{display}` is not a directory"),
            "pass the migrations directory with `--dir DIR`",
        ));
    }
    let (parent, id) = if exists {
        let chain = session.chain().map_err(CliError::Defects)?;
        let id = new_id(args)?;
        if let Some(clash) = chain.get(&id) {
            return Err(CliError::message(
                format!("the revision id `{id}` is taken by `{}`", clash.dir()),
                if args.rev_id.is_some() {
                    "choose another `--rev-id`"
                } else {
                    "wait a second and run the command again, or choose an id with `--rev-id`"
                },
            ));
        }
        (chain.head().map(|r| r.id().to_owned()), id)
    } else {
        (None, new_id(args)?)
    };
    let dir_name = format!("{id}_{}", revchain_internals::slugify(title));
    let shown = format!("{display}/{dir_name}");
    let mut operations = Vec::new();
    let mut warnings = Vec::new();
    let files = if args.autogenerate {
        let comparison = super::autogenerate::compare_with_head(
            session,
            args.schema.as_deref(),
            &args.ignore_tables,
        )?;
        if comparison.diff.is_empty() {
            return if session.output.json() {
                session.output.print_json(&json!({
                    "id": null,
                    "parent": parent,
                    "message": message,
                    "dir": null,
                    "operations": [],
                    "warnings": [],
                }))
            } else {
                session.output.print(&format!(
                    "no changes in schema detected: `{}` matches the database at {}; nothing written",
                    comparison.schema,
                    super::commands::sentence_name(comparison.head.as_deref())
                ))
            };
        }
        let migration = revchain_schema::render(&comparison.diff, comparison.dialect);
        operations = comparison.diff.lines();
        warnings = migration.warnings.clone();
        Some((migration.up_sql, migration.down_sql))
    } else {
        None
    };
    for line in &operations {
        session.output.log(&format!("Detected {line}"));
    }
    write(
        &path,
        &display,
        &dir_name,
        &id,
        parent.as_deref(),
        message,
        exists,
        files,
    )?;
    for warning in &warnings {
        session.output.warn(warning);
    }
    if session.output.json() {
        let mut value = Map::from_iter([
            ("id".to_owned(), json!(id)),
            ("parent".to_owned(), json!(parent)),
            ("message".to_owned(), json!(message)),
            ("dir".to_owned(), json!(shown)),
        ]);
        if args.autogenerate {
            value.insert("operations".into(), json!(operations));
            value.insert("warnings".into(), json!(warnings));
        }
        session.output.print_json(&Value::Object(value))
    } else {
        session
            .output
            .print(&format!("Generating {shown} ...  done"))?;
        session
            .output
            .print(&format!("Updating {display}/HEAD -> {id} ...  done"))
    }
}

/// `--rev-id`, checked, or the UTC time.
fn new_id(args: &RevisionArgs) -> Result<String, CliError> {
    match &args.rev_id {
        Some(id) => {
            revchain_internals::validate_id(id).map_err(|reason| {
                CliError::message(
                    format!("invalid `--rev-id`: {reason}"),
                    "an id is 1 to 50 letters, digits and `-`, such as `2026-11-24-093000`",
                )
            })?;
            Ok(id.clone())
        }
        None => match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(elapsed) => Ok(utc_timestamp(elapsed.as_secs())),
            Err(error) => Err(CliError::context(
                "cannot make an id from the time: the system clock is before 1970",
                Some("choose an id with `--rev-id`, or set the system clock".to_owned()),
                error,
            )),
        },
    }
}

/// Writes the revision and `HEAD`, then checks the result with the
/// compiler's rules; on any failure, removes what it wrote and puts `HEAD`
/// back. `files` are `up.sql` and `down.sql`, else templates.
#[allow(clippy::too_many_arguments)]
fn write(
    root: &Path,
    display: &str,
    dir_name: &str,
    id: &str,
    parent: Option<&str>,
    message: &str,
    root_existed: bool,
    files: Option<(String, String)>,
) -> Result<(), CliError> {
    let dir = root.join(dir_name);
    let head_path = root.join("HEAD");
    let old_head = if root_existed {
        match std::fs::read(&head_path) {
            Ok(bytes) => Some(bytes),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => {
                return Err(CliError::io(format!("cannot read `{display}/HEAD`"), error));
            }
        }
    } else {
        None
    };
    // Only what this command created is removed.
    let created_dir = std::cell::Cell::new(false);
    let undo = || {
        if created_dir.get() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        if root_existed {
            let _ = match &old_head {
                Some(bytes) => super::atomic::replace(&head_path, bytes),
                None => std::fs::remove_file(&head_path),
            };
        } else {
            let _ = std::fs::remove_dir_all(root);
        }
    };
    let result = (|| {
        if !root_existed {
            std::fs::create_dir_all(root)
                .map_err(|e| CliError::io(format!("cannot create `{display}`"), e))?;
        }
        std::fs::create_dir(&dir)
            .map_err(|e| CliError::io(format!("cannot create `{display}/{dir_name}`"), e))?;
        created_dir.set(true);
        let (up_sql, down_sql) = files
            .clone()
            .unwrap_or_else(|| (up_template(id, parent, message), down_template(id)));
        let files = [
            ("up.sql", up_sql),
            ("down.sql", down_sql),
            ("metadata.toml", metadata(parent, message)),
        ];
        for (name, contents) in files {
            std::fs::write(dir.join(name), contents).map_err(|e| {
                CliError::io(format!("cannot write `{display}/{dir_name}/{name}`"), e)
            })?;
        }
        // Replaced whole: a reader never sees a half-written `HEAD`.
        super::atomic::replace(&head_path, format!("{id}\n").as_bytes())
            .map_err(|e| CliError::io(format!("cannot write `{display}/HEAD`"), e))?;
        let chain = revchain_internals::load(root, display).map_err(CliError::Defects)?;
        match chain.head() {
            Some(head) if head.id == id => Ok(()),
            _ => Err(CliError::bare(format!(
                "the new revision `{id}` is not the head of `{display}` after writing it"
            ))),
        }
    })();
    if result.is_err() {
        undo();
    }
    result
}

fn up_template(id: &str, parent: Option<&str>, message: &str) -> String {
    let mut text = String::new();
    for line in message.lines() {
        text.push_str(format!("-- {line}").trim_end());
        text.push('\n');
    }
    text.push_str(&match parent {
        Some(parent) => format!("--\n-- Revision `{id}`, on top of `{parent}`.\n"),
        None => format!("--\n-- Revision `{id}`, the first of the chain.\n"),
    });
    text.push_str(
        "-- Write its SQL below. A file of comments only is a placeholder revision:\n\
         -- it is recorded when applied, and runs nothing.\n",
    );
    text
}

fn down_template(id: &str) -> String {
    format!(
        "-- Revert revision `{id}`: undo what up.sql does, in reverse order.\n\
         -- Delete this file if the revision cannot be reverted.\n"
    )
}

fn metadata(parent: Option<&str>, message: &str) -> String {
    let mut text = String::new();
    if let Some(parent) = parent {
        text.push_str(&format!("parent = {}\n", toml_string(parent)));
    }
    text.push_str(&format!("message = {}\n", toml_string(message)));
    text
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// `YYYY-MM-DD-HHMMSS` in UTC for seconds since the Unix epoch.
fn utc_timestamp(seconds: u64) -> String {
    let days = seconds / 86_400;
    let rest = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}-{:02}{:02}{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`, for days on or after the epoch, where every
/// step stays unsigned).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_dates() {
        assert_eq!(utc_timestamp(0), "1970-01-01-000000");
        assert_eq!(utc_timestamp(1_767_603_600), "2026-01-05-090000");
        assert_eq!(utc_timestamp(951_868_799), "2000-02-29-235959");
    }

    #[test]
    fn timestamps_are_valid_ids() {
        assert!(revchain_internals::validate_id(&utc_timestamp(4_102_444_800)).is_ok());
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_string("a \"b\" \\ c\nd"), "\"a \\\"b\\\" \\\\ c\\nd\"");
        assert_eq!(toml_string("\u{1}"), "\"\\u0001\"");
    }
}
