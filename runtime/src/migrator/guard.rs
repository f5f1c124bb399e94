//! The read-only check: `upgrade`, `downgrade` and `stamp` refuse a server,
//! session or file that accepts no writes before they write anything (the
//! version table, a lock row). One query; the commands that only read
//! (`current`, `status`, `is_at_head`, `verify`, `history`) never run it.

use revchain_internals::sql::Dialect;

use super::Migrator;
use crate::backend::MigrationConnection;
use crate::classify::{is_read_only, is_read_only_transaction};
use crate::error::{Context, Error};

/// Why the database is read-only, from the value of [`query`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ReadOnly {
    /// A PostgreSQL hot standby: `pg_is_in_recovery()`.
    Standby,
    /// A PostgreSQL session that is read-only: `transaction_read_only`, as
    /// set by `default_transaction_read_only` for the role or database.
    Session,
    /// A MySQL or MariaDB server with `read_only` (which `super_read_only`
    /// turns on too).
    Replica,
    /// A MySQL or MariaDB session whose transactions are read-only (`SET
    /// SESSION TRANSACTION READ ONLY`): recognised from the write's error.
    MysqlSession,
    /// A SQLite connection with `PRAGMA query_only`.
    QueryOnly,
    /// A SQLite file that refused a write (opened read-only, or without
    /// write permission): recognised from the write's error.
    File,
}

/// The query that tells whether the database is read-only: one row, one
/// integer `query_only`, 0 when it accepts writes. Works on every supported
/// version: MariaDB has no `super_read_only`, and MariaDB reports
/// `read_only` as a word when it is concatenated, so it is compared as
/// text. SQLite's plain `PRAGMA` needs no lock, where its table-valued form
/// would wait for (or fail on) another process's write lock.
pub(super) fn query(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => {
            "SELECT CAST(CASE WHEN pg_is_in_recovery() THEN 1 WHEN current_setting('transaction_read_only') = 'on' THEN 2 ELSE 0 END AS BIGINT) AS query_only"
        }
        Dialect::Mysql => {
            "SELECT CAST(CASE WHEN CONCAT(@@global.read_only) IN ('0', 'OFF') THEN 0 ELSE 1 END AS SIGNED) AS query_only"
        }
        Dialect::Sqlite => "PRAGMA query_only",
    }
}

/// What a value of [`query`] means.
pub(super) fn classify(dialect: Dialect, value: Option<i64>) -> Option<ReadOnly> {
    match (dialect, value.unwrap_or(0)) {
        (_, 0) => None,
        (Dialect::Postgres, 1) => Some(ReadOnly::Standby),
        (Dialect::Postgres, _) => Some(ReadOnly::Session),
        (Dialect::Mysql, _) => Some(ReadOnly::Replica),
        (Dialect::Sqlite, _) => Some(ReadOnly::QueryOnly),
    }
}

impl ReadOnly {
    /// The error refusing `operation`.
    pub(super) fn error(self, operation: &'static str) -> Error {
        let primary = "run this against the primary (the server the replicas follow): they get the migration from it through replication";
        let (what, reason, help) = match self {
            ReadOnly::Standby => (
                "the server is a read-only replica",
                "`pg_is_in_recovery()` is true: it is a hot standby",
                primary.to_owned(),
            ),
            ReadOnly::Session => (
                "this session is read-only",
                "`transaction_read_only` is `on`, as `default_transaction_read_only` sets it for the role or the database",
                format!(
                    "{primary}; on a primary, connect as a role, or to a database, whose `default_transaction_read_only` is `off`"
                ),
            ),
            ReadOnly::Replica => (
                "the server is a read-only replica",
                "`@@global.read_only` is on (as `super_read_only` also sets it)",
                primary.to_owned(),
            ),
            ReadOnly::MysqlSession => (
                "this session is read-only",
                "its transactions are read-only (`SET SESSION TRANSACTION READ ONLY`, or `transaction_read_only`)",
                "run this on a read-write session".to_owned(),
            ),
            ReadOnly::QueryOnly => (
                "the SQLite connection is read-only",
                "`PRAGMA query_only` is on",
                "run this on a connection without `PRAGMA query_only`".to_owned(),
            ),
            ReadOnly::File => (
                "the SQLite file is read-only",
                "SQLite refused a write: the file was opened read-only (`mode=ro`), or it or its directory cannot be written",
                "run this on the writable database file, opened read-write".to_owned(),
            ),
        };
        Error::ReadOnly {
            operation,
            what: what.to_owned(),
            reason: reason.to_owned(),
            help,
        }
    }
}

impl Migrator<'_> {
    /// Refuses `operation` on a database that accepts no writes: one query,
    /// before the lock is taken and before anything is written.
    pub(super) fn refuse_read_only<C: MigrationConnection>(
        &self,
        conn: &mut C,
        operation: &'static str,
    ) -> Result<(), Error> {
        let dialect = conn.dialect();
        let rows = conn
            .load_query_only(query(dialect))
            .context(|| "checking whether the database is read-only".to_owned())?;
        match classify(dialect, rows.first().map(|row| row.query_only)) {
            Some(read_only) => Err(read_only.error(operation)),
            None => Ok(()),
        }
    }
}

/// `result` of a write revchain makes before any revision runs (creating its
/// tables), with a refusal because the database is read-only turned into
/// [`Error::ReadOnly`]: a read-only SQLite file is recognised there.
pub(super) fn read_only_refusal<T>(
    result: Result<T, Error>,
    dialect: Dialect,
    operation: &'static str,
) -> Result<T, Error> {
    match result {
        Err(Error::Database { source, .. }) if is_read_only(&source) => Err(match dialect {
            Dialect::Sqlite => ReadOnly::File,
            Dialect::Postgres => ReadOnly::Session,
            Dialect::Mysql if is_read_only_transaction(&source) => ReadOnly::MysqlSession,
            Dialect::Mysql => ReadOnly::Replica,
        }
        .error(operation)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_name_the_reason() {
        assert_eq!(classify(Dialect::Postgres, Some(0)), None);
        assert_eq!(classify(Dialect::Postgres, None), None);
        assert_eq!(
            classify(Dialect::Postgres, Some(1)),
            Some(ReadOnly::Standby)
        );
        assert_eq!(
            classify(Dialect::Postgres, Some(2)),
            Some(ReadOnly::Session)
        );
        assert_eq!(classify(Dialect::Mysql, Some(1)), Some(ReadOnly::Replica));
        assert_eq!(
            classify(Dialect::Sqlite, Some(1)),
            Some(ReadOnly::QueryOnly)
        );
    }

    #[test]
    fn the_error_says_replica_and_primary() {
        let text = ReadOnly::Standby.error("upgrade").to_string();
        assert!(
            text.starts_with("cannot `upgrade`: the server is a read-only replica"),
            "{text}"
        );
        assert!(text.contains("pg_is_in_recovery()"), "{text}");
        assert!(
            text.contains("= help: run this against the primary"),
            "{text}"
        );
        let text = ReadOnly::Replica.error("stamp").to_string();
        assert!(text.contains("@@global.read_only"), "{text}");
    }
}
