//! revchain's own rows, read strictly: a value that revchain never writes
//! is [`Error::Corrupt`], naming the table, the column and the value (cut
//! if long), never a diagnosis that fits another story (drift, an unknown
//! revision, a dirty revision "going up").
//!
//! What revchain writes, and so all it accepts:
//!
//! | table | column | values |
//! | --- | --- | --- |
//! | version | (rows) | exactly one, `id = 1` |
//! | version | `revision` | `NULL` (base) or a revision id |
//! | version | `chain_digest` | `NULL` with a `NULL` revision, else 64 hex digits |
//! | version | `state` | `clean` or `dirty` |
//! | version | `dirty_revision`, `dirty_direction` | `NULL` when clean; a revision id and `up` or `down` when dirty |
//! | `_log` | `revision` | a revision id |
//! | `_log` | `direction` | `up`, `down`, `stamp` or `adopt` |
//! | `_log` | `checksum` | 64 hex digits |
//! | `_log` | `chain_digest` | `NULL` or 64 hex digits |
//! | `_log` | `duration_us` | 0 or more |
//! | `_lock` | `pid` | `NULL` or decimal digits |
//! | `_lock` | `taken_at`, `expires_at` | set while the lock is held |

use revchain_internals::{Checksum, excerpt, validate_id};

use super::state::State;
use crate::backend::{LogRow, RecordedRow, StateRow};
use crate::bookkeeping::{Bookkeeping, LogKind};
use crate::error::{Direction, Error};

/// A value as [`Error::Corrupt`] shows it: in backticks and cut, or `NULL`.
/// The values of `CHAR(64)` columns come trimmed of PostgreSQL's padding.
fn shown(value: Option<&str>) -> String {
    match value {
        Some(value) => format!("`{}`", excerpt(value)),
        None => "NULL".to_owned(),
    }
}

/// What to do about a corrupt version table.
fn version_help() -> String {
    "inspect the table and find out what wrote it; once you know which revision the schema is really at, record it with `stamp --purge <revision>`, which rewrites the version row".to_owned()
}

/// The error for a value of the version table.
fn version_value(bk: &Bookkeeping, column: &str, value: Option<&str>, reason: &str) -> Error {
    Error::Corrupt {
        table: bk.version_table().to_owned(),
        column: Some(column.to_owned()),
        value: Some(shown(value)),
        reason: reason.to_owned(),
        help: version_help(),
    }
}

/// The error for the version table as a whole (a row missing or too many).
pub(super) fn version_rows(bk: &Bookkeeping, reason: impl Into<String>) -> Error {
    Error::Corrupt {
        table: bk.version_table().to_owned(),
        column: None,
        value: None,
        reason: reason.into(),
        help: version_help(),
    }
}

/// Whether `value` is a hex SHA-256, as revchain writes it (a `CHAR(64)`
/// may come back padded).
fn is_digest(value: &str) -> bool {
    Checksum::from_hex(value.trim()).is_some()
}

/// Whether `value` is a revision id revchain could have written.
fn is_id(value: &str) -> bool {
    validate_id(value).is_ok()
}

/// The state of the version table's rows, checked; `None` when it has none.
pub(super) fn state(bk: &Bookkeeping, rows: Vec<StateRow>) -> Result<Option<State>, Error> {
    let count = rows.len();
    let mut rows = rows.into_iter();
    let Some(row) = rows.next() else {
        return Ok(None);
    };
    if count > 1 {
        return Err(version_rows(
            bk,
            format!("it holds {count} rows, but revchain keeps exactly one (`id = 1`)"),
        ));
    }
    if row.id != 1 {
        return Err(version_value(
            bk,
            "id",
            Some(&row.id.to_string()),
            "revchain keeps its one row at `id = 1`",
        ));
    }
    if let Some(revision) = row.revision.as_deref().filter(|r| !is_id(r)) {
        return Err(version_value(
            bk,
            "revision",
            Some(revision),
            "it is not a revision id",
        ));
    }
    match (&row.revision, &row.chain_digest) {
        (Some(_), Some(digest)) if !is_digest(digest) => {
            return Err(version_value(
                bk,
                "chain_digest",
                Some(digest.trim_end()),
                "it is not a SHA-256 in hex",
            ));
        }
        (Some(_), None) => {
            return Err(version_value(
                bk,
                "chain_digest",
                None,
                "a revision is recorded without the digest of its chain",
            ));
        }
        (None, Some(digest)) => {
            return Err(version_value(
                bk,
                "chain_digest",
                Some(digest.trim_end()),
                "base (a `NULL` revision) has no chain digest",
            ));
        }
        _ => {}
    }
    let dirty = match row.state.as_str() {
        "clean" => {
            if row.dirty_revision.is_some() {
                return Err(version_value(
                    bk,
                    "dirty_revision",
                    row.dirty_revision.as_deref(),
                    "the state is `clean`, which has no dirty revision",
                ));
            }
            if row.dirty_direction.is_some() {
                return Err(version_value(
                    bk,
                    "dirty_direction",
                    row.dirty_direction.as_deref(),
                    "the state is `clean`, which has no dirty direction",
                ));
            }
            None
        }
        "dirty" => {
            let id = match row.dirty_revision {
                Some(id) if is_id(&id) => id,
                other => {
                    return Err(version_value(
                        bk,
                        "dirty_revision",
                        other.as_deref(),
                        "the state is `dirty`, which names the revision that failed partway",
                    ));
                }
            };
            let direction = match row.dirty_direction.as_deref() {
                Some("up") => Direction::Up,
                Some("down") => Direction::Down,
                other => {
                    return Err(version_value(
                        bk,
                        "dirty_direction",
                        other,
                        "the state is `dirty`, whose direction is `up` or `down`",
                    ));
                }
            };
            Some((id, direction))
        }
        other => {
            return Err(version_value(
                bk,
                "state",
                Some(other),
                "the state is `clean` or `dirty`",
            ));
        }
    };
    Ok(Some(State {
        revision: row.revision,
        digest: row.chain_digest.map(|d| d.trim().to_owned()),
        dirty,
    }))
}

/// The log's lines, checked.
pub(super) fn log(bk: &Bookkeeping, rows: Vec<LogRow>) -> Result<Vec<LogRow>, Error> {
    for row in &rows {
        let problem = if !is_id(&row.revision) {
            Some((
                "revision",
                Some(row.revision.clone()),
                "it is not a revision id",
            ))
        } else if ![LogKind::Up, LogKind::Down, LogKind::Stamp, LogKind::Adopt]
            .iter()
            .any(|kind| kind.as_str() == row.direction)
        {
            Some((
                "direction",
                Some(row.direction.clone()),
                "a log line is `up`, `down`, `stamp` or `adopt`",
            ))
        } else if !is_digest(&row.checksum) {
            Some((
                "checksum",
                Some(row.checksum.trim_end().to_owned()),
                "it is not a SHA-256 in hex",
            ))
        } else if row.chain_digest.as_deref().is_some_and(|d| !is_digest(d)) {
            Some((
                "chain_digest",
                row.chain_digest.as_deref().map(|d| d.trim_end().to_owned()),
                "it is not a SHA-256 in hex",
            ))
        } else if row.duration_us < 0 {
            Some((
                "duration_us",
                Some(row.duration_us.to_string()),
                "a duration is never negative",
            ))
        } else {
            None
        };
        if let Some((column, value, reason)) = problem {
            return Err(log_line(
                bk,
                &row.revision,
                column,
                value.as_deref(),
                reason,
            ));
        }
    }
    Ok(rows)
}

/// A value of a log line that revchain never writes.
fn log_line(
    bk: &Bookkeeping,
    revision: &str,
    column: &str,
    value: Option<&str>,
    reason: &str,
) -> Error {
    let log = bk.log_table();
    Error::Corrupt {
        column: Some(column.to_owned()),
        value: Some(shown(value)),
        reason: format!("{reason} (the line of `{}`)", excerpt(revision)),
        help: format!(
            "revchain only appends to the log: correct or delete that line of `{log}` by hand, after the forms of the other lines, then run the command again"
        ),
        table: log,
    }
}

/// The log's lines with their stored down SQL (`sync`), checked: each line
/// as [`log`] checks it, and a `down_checksum` that is a SHA-256 in hex,
/// present exactly when `down_sql` is.
pub(super) fn recorded(bk: &Bookkeeping, rows: &[RecordedRow]) -> Result<(), Error> {
    log(bk, rows.iter().map(|row| row.line.clone()).collect())?;
    for row in rows {
        let reason = match (&row.down_sql, &row.down_checksum) {
            (Some(_), Some(checksum)) if !is_digest(checksum) => "it is not a SHA-256 in hex",
            (Some(_), None) => "the line stores down SQL without its checksum",
            (None, Some(_)) => "the line stores a checksum without down SQL",
            _ => continue,
        };
        return Err(log_line(
            bk,
            &row.line.revision,
            "down_checksum",
            row.down_checksum.as_deref().map(str::trim_end),
            reason,
        ));
    }
    Ok(())
}

/// A value of the lock table that revchain never writes.
pub(super) fn lock_value(table: &str, column: &str, value: Option<&str>, reason: &str) -> Error {
    Error::Corrupt {
        table: table.to_owned(),
        column: Some(column.to_owned()),
        value: Some(shown(value)),
        reason: reason.to_owned(),
        help: "once no process is migrating, free the lock row with `revchain lock release --force`, which rewrites it".to_owned(),
    }
}

/// The lock table's row missing, or the server's lock giving no answer.
pub(super) fn lock_row(table: &str, reason: &str) -> Error {
    Error::Corrupt {
        table: table.to_owned(),
        column: None,
        value: None,
        reason: reason.to_owned(),
        help: "drop the lock table: revchain creates it again, with its row, on the next run"
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use revchain_internals::sql::Dialect;

    use super::*;
    use crate::VersionTable;

    const DIGEST: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn bk() -> Bookkeeping {
        Bookkeeping::new(Dialect::Sqlite, &VersionTable::new("v").unwrap())
    }

    fn clean(revision: &str) -> StateRow {
        StateRow {
            id: 1,
            revision: Some(revision.to_owned()),
            chain_digest: Some(DIGEST.to_owned()),
            state: "clean".to_owned(),
            dirty_revision: None,
            dirty_direction: None,
        }
    }

    fn error(row: StateRow) -> String {
        state(&bk(), vec![row]).unwrap_err().to_string()
    }

    #[test]
    fn what_revchain_writes_is_read() {
        let read = state(&bk(), vec![clean("1")]).unwrap().unwrap();
        assert_eq!(read.revision.as_deref(), Some("1"));
        let base = StateRow {
            revision: None,
            chain_digest: None,
            ..clean("1")
        };
        assert_eq!(state(&bk(), vec![base]).unwrap().unwrap().revision, None);
        let dirty = StateRow {
            state: "dirty".to_owned(),
            dirty_revision: Some("2".to_owned()),
            dirty_direction: Some("down".to_owned()),
            ..clean("1")
        };
        assert_eq!(
            state(&bk(), vec![dirty]).unwrap().unwrap().dirty,
            Some(("2".to_owned(), Direction::Down))
        );
        assert!(state(&bk(), vec![]).unwrap().is_none());
    }

    #[test]
    fn garbage_in_the_version_row_is_named_with_its_column() {
        let text = error(clean("not an id!"));
        assert!(text.starts_with("corrupt bookkeeping: the column `revision` of `v` holds `not an id!`, which revchain never writes"), "{text}");
        assert!(text.contains("= help: inspect the table"), "{text}");
        let text = error(StateRow {
            chain_digest: Some("xyz".to_owned()),
            ..clean("1")
        });
        assert!(text.contains("`chain_digest` of `v` holds `xyz`"), "{text}");
        let text = error(StateRow {
            state: "dirty".to_owned(),
            dirty_revision: Some("1".to_owned()),
            dirty_direction: Some("sideways".to_owned()),
            ..clean("1")
        });
        assert!(
            text.contains("`dirty_direction` of `v` holds `sideways`"),
            "{text}"
        );
        let text = error(StateRow {
            dirty_revision: Some("1".to_owned()),
            ..clean("1")
        });
        assert!(text.contains("`dirty_revision` of `v` holds `1`"), "{text}");
        let text = error(StateRow {
            state: "maybe".to_owned(),
            ..clean("1")
        });
        assert!(text.contains("`state` of `v` holds `maybe`"), "{text}");
        let text = error(StateRow {
            id: 7,
            ..clean("1")
        });
        assert!(text.contains("`id` of `v` holds `7`"), "{text}");
        let text = state(&bk(), vec![clean("1"), clean("2")])
            .unwrap_err()
            .to_string();
        assert!(text.contains("`v`: it holds 2 rows"), "{text}");
    }

    #[test]
    fn a_huge_value_is_cut() {
        let text = error(clean(&"x".repeat(1_000_000)));
        assert!(text.len() < 1_000, "{text}");
        assert!(text.contains("more bytes)`"), "{text}");
    }

    #[test]
    fn garbage_in_the_log_is_named_with_its_column() {
        let line = LogRow {
            revision: "1".to_owned(),
            direction: "up".to_owned(),
            checksum: DIGEST.to_owned(),
            chain_digest: None,
            duration_us: 5,
        };
        assert!(log(&bk(), vec![line.clone()]).is_ok());
        for (bad, column) in [
            (
                LogRow {
                    direction: "sideways".to_owned(),
                    ..line.clone()
                },
                "direction",
            ),
            (
                LogRow {
                    checksum: "abc".to_owned(),
                    ..line.clone()
                },
                "checksum",
            ),
            (
                LogRow {
                    chain_digest: Some("abc".to_owned()),
                    ..line.clone()
                },
                "chain_digest",
            ),
            (
                LogRow {
                    duration_us: -1,
                    ..line.clone()
                },
                "duration_us",
            ),
            (
                LogRow {
                    revision: "a b".to_owned(),
                    ..line.clone()
                },
                "revision",
            ),
        ] {
            let text = log(&bk(), vec![bad]).unwrap_err().to_string();
            assert!(
                text.contains(&format!("the column `{column}` of `v_log`")),
                "{text}"
            );
            assert!(
                text.contains("= help: revchain only appends to the log"),
                "{text}"
            );
        }
    }

    #[test]
    fn a_stored_down_checksum_is_read_strictly() {
        let line = LogRow {
            revision: "1".to_owned(),
            direction: "up".to_owned(),
            checksum: DIGEST.to_owned(),
            chain_digest: None,
            duration_us: 5,
        };
        let row = |sql: Option<&str>, checksum: Option<&str>| RecordedRow {
            line: line.clone(),
            down_sql: sql.map(str::to_owned),
            down_checksum: checksum.map(str::to_owned),
        };
        assert!(
            recorded(
                &bk(),
                &[row(None, None), row(Some("DROP TABLE t"), Some(DIGEST))]
            )
            .is_ok()
        );
        for bad in [
            row(Some("DROP TABLE t"), Some("abc")),
            row(Some("DROP TABLE t"), None),
            row(None, Some(DIGEST)),
        ] {
            let text = recorded(&bk(), &[bad]).unwrap_err().to_string();
            assert!(
                text.contains("the column `down_checksum` of `v_log`"),
                "{text}"
            );
        }
    }
}
