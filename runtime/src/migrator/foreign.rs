//! The tables other tools record their applied migrations in, one place per
//! kind: how to read each, which revision each row stands for, and how to
//! check that the revision is what the tool applied.
//!
//! - diesel_migrations: `__diesel_schema_migrations(version)`, the id
//!   without `-` ([`diesel_version`]); no checksum.
//! - sqlx: `_sqlx_migrations(version BIGINT, description, installed_on,
//!   success, checksum, execution_time)`; the id read as an `i64`, the
//!   checksum the SHA-384 of the `up` file, `success` false after a failure.
//! - refinery: `refinery_schema_history(version INT4, name, applied_on,
//!   checksum)`; the id read as an `i32`, the checksum SipHash-1-3 (zero
//!   keys) of the name, the version and the SQL, as Rust's `Hash` feeds
//!   them, written in decimal.

use std::hash::{Hash, Hasher};

use revchain_internals::diesel_version;
use revchain_internals::sql::Dialect;
use sha2::{Digest, Sha384};

use crate::Revision;
use crate::bookkeeping::quote_identifier;

/// A tool whose table revchain adopts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tool {
    Diesel,
    Sqlx,
    Refinery,
}

/// One row of a tool's table, as read by [`Tool::select`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Applied {
    /// The tool's key of the migration: what [`Tool::key`] gives.
    pub(crate) key: String,
    /// The rest of the row, for [`Tool::check`].
    detail: String,
}

impl Tool {
    pub(crate) const ALL: [Tool; 3] = [Tool::Diesel, Tool::Sqlx, Tool::Refinery];

    /// The tool's name in messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Tool::Diesel => "diesel",
            Tool::Sqlx => "sqlx",
            Tool::Refinery => "refinery",
        }
    }

    /// Its table.
    pub(crate) fn table(self) -> &'static str {
        match self {
            Tool::Diesel => "__diesel_schema_migrations",
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Refinery => "refinery_schema_history",
        }
    }

    /// One `name` row per applied migration: the key, a space, the rest.
    pub(crate) fn select(self, dialect: Dialect) -> String {
        let table = quote_identifier(dialect, self.table());
        let parts: &[&str] = match (self, dialect) {
            (Tool::Diesel, _) => &["version"],
            (Tool::Sqlx, Dialect::Postgres) => &[
                "version",
                "CASE WHEN success THEN 't' ELSE 'f' END",
                "encode(checksum, 'hex')",
            ],
            (Tool::Sqlx, _) => &[
                "version",
                "CASE WHEN success THEN 't' ELSE 'f' END",
                "lower(hex(checksum))",
            ],
            (Tool::Refinery, _) => &["version", "checksum", "name"],
        };
        let text = match dialect {
            Dialect::Mysql => "CHAR",
            _ => "TEXT",
        };
        let casts: Vec<String> = parts
            .iter()
            .map(|part| format!("CAST({part} AS {text})"))
            .collect();
        let joined = match dialect {
            Dialect::Mysql => format!("CONCAT_WS(' ', {})", casts.join(", ")),
            _ => casts.join(" || ' ' || "),
        };
        format!("SELECT {joined} AS name FROM {table}")
    }

    /// Reads a row of [`Tool::select`].
    pub(crate) fn row(self, name: &str) -> Applied {
        let (key, detail) = name.split_once(' ').unwrap_or((name, ""));
        Applied {
            key: key.trim().to_owned(),
            detail: detail.to_owned(),
        }
    }

    /// The key under which the tool records `id`, if it can record it.
    pub(crate) fn key(self, id: &str) -> Option<String> {
        match self {
            Tool::Diesel => Some(diesel_version(id)),
            Tool::Sqlx => id.parse::<i64>().ok().map(|v| v.to_string()),
            Tool::Refinery => id.parse::<i32>().ok().map(|v| v.to_string()),
        }
    }

    /// Why `revision` is not what the tool applied as `applied`, if it is
    /// not.
    pub(crate) fn check(self, revision: &Revision, applied: &Applied) -> Option<String> {
        match self {
            Tool::Diesel => None,
            Tool::Sqlx => {
                let (success, checksum) = applied.detail.split_once(' ').unwrap_or(("", ""));
                if success != "t" {
                    return Some(format!(
                        "sqlx recorded `{}` as failed partway",
                        revision.id()
                    ));
                }
                let expected = sqlx_checksum(revision.up_sql());
                (checksum != expected).then(|| {
                    format!(
                        "sqlx applied `{}` with other SQL: the SHA-384 of `{}` is not the checksum `_sqlx_migrations` records",
                        revision.id(),
                        revision.file("up.sql")
                    )
                })
            }
            Tool::Refinery => {
                let (checksum, name) = applied.detail.split_once(' ').unwrap_or(("", ""));
                let version = revision.id().parse::<i32>().ok()?;
                let expected = refinery_checksum(name, version, revision.up_sql());
                (checksum.trim() != expected.to_string()).then(|| {
                    format!(
                        "refinery applied `{}` with other SQL: the checksum of `{}` is not the one `refinery_schema_history` records",
                        revision.id(),
                        revision.file("up.sql")
                    )
                })
            }
        }
    }
}

/// sqlx's checksum of a migration, in lowercase hex: SHA-384 of its SQL.
pub(crate) fn sqlx_checksum(sql: &str) -> String {
    Sha384::digest(sql.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// refinery's checksum of a migration: SipHash-1-3 with zero keys over its
/// name, its version (an `i32`) and its SQL, each fed as `Hash` feeds it.
pub(crate) fn refinery_checksum(name: &str, version: i32, sql: &str) -> u64 {
    let mut hasher = siphasher::sip::SipHasher13::new();
    name.hash(&mut hasher);
    version.hash(&mut hasher);
    sql.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlx_checksums_are_sha384() {
        // `printf abc | sha384sum`
        assert_eq!(
            sqlx_checksum("abc"),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
        );
    }

    #[test]
    fn refinery_checksums_hash_name_version_and_sql() {
        let checksum = refinery_checksum("initial", 1, "CREATE TABLE t (id INT);");
        assert_ne!(
            checksum,
            refinery_checksum("initial", 2, "CREATE TABLE t (id INT);")
        );
        assert_ne!(
            checksum,
            refinery_checksum("other", 1, "CREATE TABLE t (id INT);")
        );
        // `str` feeds its bytes then 0xff, `i32` its 4 bytes in native order.
        let mut by_hand = siphasher::sip::SipHasher13::new();
        by_hand.write(b"initial");
        by_hand.write_u8(0xff);
        by_hand.write(&1i32.to_ne_bytes());
        by_hand.write(b"CREATE TABLE t (id INT);");
        by_hand.write_u8(0xff);
        assert_eq!(checksum, by_hand.finish());
    }

    #[test]
    fn keys_follow_each_tools_version_type() {
        assert_eq!(
            Tool::Diesel.key("2020-01-01-000000").as_deref(),
            Some("20200101000000")
        );
        assert_eq!(Tool::Sqlx.key("0042").as_deref(), Some("42"));
        assert_eq!(Tool::Sqlx.key("2020-01-01"), None);
        assert_eq!(Tool::Refinery.key("99999999999"), None);
    }

    #[test]
    fn rows_split_at_the_first_space() {
        let row = Tool::Refinery.row("3 123 add email");
        assert_eq!(row.key, "3");
        assert_eq!(row.detail, "123 add email");
    }
}
