//! What a diesel error means for revchain: a lost connection, a table that
//! does not exist, or a write the database refuses because it is read-only.
//!
//! diesel exposes no SQLSTATE (PostgreSQL) and no error number (MySQL): only
//! a [`DatabaseErrorKind`] for a few classes, and the message. The kind is
//! used wherever diesel sets one; the message is the fallback, matched
//! against the client libraries' and SQLite's own fixed texts. Each caller
//! decides what an unrecognised error means, and none of them reads one as
//! "nothing is there": an error that is not recognised stays an error.

use diesel::result::{DatabaseErrorKind, Error};

/// Whether `error` says that the connection to the server is gone, so that
/// nothing of what was sent can be known to have run, or not to.
///
/// Structural signals first: diesel's `ClosedConnection` (PostgreSQL, from
/// libpq's `CONNECTION_BAD` status and the SQLSTATE class `08`) and
/// `BrokenTransactionManager` (a `ROLLBACK` that could not be sent). Then the
/// texts of the client libraries, which diesel reports with the kinds
/// `UnableToSendCommand` (libpq could not send, or got no result) or
/// `Unknown` (MySQL, whose error numbers diesel drops): libpq's "server
/// closed the connection unexpectedly", "no connection to the server",
/// "terminating connection" (SQLSTATE 57P01, whose kind diesel leaves
/// `Unknown` when libpq still thinks the socket is fine), and MySQL's 2006
/// "MySQL server has gone away", 2013 "Lost connection to MySQL server",
/// MariaDB's 1927 "Connection was killed".
pub(crate) fn is_connection_lost(error: &Error) -> bool {
    match error {
        Error::BrokenTransactionManager => true,
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        Error::DatabaseError(_, info) => lost_message(info.message()),
        _ => false,
    }
}

/// The fallback of [`is_connection_lost`]: the message of a client library.
fn lost_message(message: &str) -> bool {
    const LOST: [&str; 10] = [
        // libpq
        "server closed the connection unexpectedly",
        "no connection to the server",
        "terminating connection",
        "could not receive data from server",
        "could not send data to server",
        "connection to server was lost",
        "ssl connection has been closed unexpectedly",
        // libmysqlclient and MariaDB Connector/C: 2006, 2013, 1927
        "server has gone away",
        "lost connection to",
        "connection was killed",
    ];
    let message = message.to_ascii_lowercase();
    LOST.iter().any(|text| message.contains(text))
}

/// Whether `error`, from a `SELECT` of a table, says that the table does not
/// exist (and not that it cannot be read).
///
/// Only a positive match counts, so that an unrecognised error is never
/// taken for a missing table. PostgreSQL's "relation … does not exist"
/// (42P01), MySQL's "Table '…' doesn't exist" (1146), SQLite's "no such
/// table". The texts are the servers' default (English) ones: where a server
/// sends translated messages, a missing table is not recognised from the
/// message, and revchain relies on the catalogue instead (see
/// `migrator::state`).
pub(crate) fn is_missing_table(error: &Error) -> bool {
    let Error::DatabaseError(_, info) = error else {
        return false;
    };
    let message = info.message().to_ascii_lowercase();
    (message.contains("relation") && message.contains("does not exist"))
        || (message.contains("table") && message.contains("doesn't exist"))
        || message.contains("no such table")
}

/// Whether `error` is the database refusing a write because the server,
/// the session or the file is read-only: diesel's `ReadOnlyTransaction`
/// (PostgreSQL 25006, MySQL 1792), MySQL's 1290 for `--read-only` and
/// 1836 for a read-only replica, and SQLite's `SQLITE_READONLY`, whose
/// message is SQLite's fixed text for that result code.
pub(crate) fn is_read_only(error: &Error) -> bool {
    match error {
        _ if is_read_only_transaction(error) => true,
        Error::DatabaseError(_, info) => {
            let message = info.message().to_ascii_lowercase();
            message.contains("attempt to write a readonly database")
                || message.contains("--read-only option")
                || message.contains("read-only mode")
        }
        _ => false,
    }
}

/// Whether `error` is a write refused because the transaction is read-only
/// (PostgreSQL 25006, MySQL 1792): diesel's `ReadOnlyTransaction`, or
/// MySQL's text for 1792 through a batch, which diesel cannot classify.
pub(crate) fn is_read_only_transaction(error: &Error) -> bool {
    match error {
        Error::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _) => true,
        Error::DatabaseError(_, info) => info
            .message()
            .starts_with("Cannot execute statement in a READ ONLY transaction"),
        _ => false,
    }
}

/// Whether `error` is a conflict the database resolved by aborting this
/// transaction, which a retry may pass: diesel's `SerializationFailure`
/// (PostgreSQL 40001, MySQL 1213 through a prepared statement), or MySQL's
/// 1213 text through a batch, "Deadlock found when trying to get lock",
/// which is also what a Galera node answers when another node's commit won
/// the certification.
pub(crate) fn is_certification_conflict(error: &Error) -> bool {
    match error {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        Error::DatabaseError(_, info) => info
            .message()
            .starts_with("Deadlock found when trying to get lock"),
        _ => false,
    }
}

/// Whether `error` is PostgreSQL giving up waiting for a lock: SQLSTATE
/// 55P03 `lock_not_available`, raised when `lock_timeout` runs out (and by
/// `NOWAIT`).
///
/// diesel keeps no SQLSTATE: it maps a few codes to a [`DatabaseErrorKind`]
/// and leaves 55P03 `Unknown`. So the error must be a database error of kind
/// `Unknown` (never a lost connection, a constraint, a serialization
/// failure …), and then the message is the documented fallback: the server's
/// default (English) texts "canceling statement due to lock timeout" and
/// "could not obtain lock on …". Where a server sends translated messages
/// (`lc_messages`), a lock timeout is not recognised and stays a failed
/// revision, never retried.
pub(crate) fn is_lock_timeout(error: &Error) -> bool {
    match error {
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let message = info.message().to_ascii_lowercase();
            message.contains("canceling statement due to lock timeout")
                || message.contains("could not obtain lock on")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certification_conflicts_are_told_by_kind_or_by_mysql_s_text() {
        assert!(is_certification_conflict(&database(
            DatabaseErrorKind::SerializationFailure,
            "could not serialize access"
        )));
        assert!(is_certification_conflict(&database(
            DatabaseErrorKind::Unknown,
            "Deadlock found when trying to get lock; try restarting transaction"
        )));
        assert!(!is_certification_conflict(&database(
            DatabaseErrorKind::Unknown,
            "Table 'x' already exists"
        )));
        assert!(!is_certification_conflict(&Error::NotFound));
    }

    fn database(kind: DatabaseErrorKind, message: &str) -> Error {
        Error::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn lost_connections_are_recognised_by_kind_first() {
        assert!(is_connection_lost(&database(
            DatabaseErrorKind::ClosedConnection,
            "anything"
        )));
        assert!(is_connection_lost(&Error::BrokenTransactionManager));
    }

    #[test]
    fn lost_connections_are_recognised_by_the_client_libraries_texts() {
        for (kind, message) in [
            (
                DatabaseErrorKind::UnableToSendCommand,
                "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally",
            ),
            (
                DatabaseErrorKind::UnableToSendCommand,
                "no connection to the server\n",
            ),
            (
                DatabaseErrorKind::Unknown,
                "FATAL:  terminating connection due to administrator command",
            ),
            (
                DatabaseErrorKind::Unknown,
                "Lost connection to MySQL server during query",
            ),
            (
                DatabaseErrorKind::Unknown,
                "Lost connection to server during query",
            ),
            (DatabaseErrorKind::Unknown, "MySQL server has gone away"),
            (DatabaseErrorKind::Unknown, "Server has gone away"),
            (DatabaseErrorKind::Unknown, "Connection was killed"),
        ] {
            assert!(is_connection_lost(&database(kind, message)), "{message}");
        }
    }

    #[test]
    fn a_failing_statement_is_not_a_lost_connection() {
        for message in [
            "relation \"missing_table\" does not exist",
            "syntax error at or near \"SELEC\"",
            "current transaction is aborted, commands ignored until end of transaction block",
            "Table 'x.missing_table' doesn't exist",
            "Query execution was interrupted",
        ] {
            assert!(
                !is_connection_lost(&database(DatabaseErrorKind::Unknown, message)),
                "{message}"
            );
        }
        assert!(!is_connection_lost(&Error::NotFound));
        assert!(!is_connection_lost(&Error::RollbackTransaction));
    }

    #[test]
    fn missing_tables_are_told_from_unreadable_ones() {
        for message in [
            "relation \"revchain_version\" does not exist",
            "Table 'app.revchain_version' doesn't exist",
            "no such table: revchain_version",
        ] {
            assert!(
                is_missing_table(&database(DatabaseErrorKind::Unknown, message)),
                "{message}"
            );
        }
        for message in [
            "permission denied for table revchain_version",
            "SELECT command denied to user 'ro'@'localhost' for table `app`.`revchain_version`",
            "SELECT command denied to user 'ro'@'localhost' for table 'revchain_version'",
            "server closed the connection unexpectedly",
            "anything else",
        ] {
            assert!(
                !is_missing_table(&database(DatabaseErrorKind::Unknown, message)),
                "{message}"
            );
        }
        assert!(!is_missing_table(&Error::NotFound));
    }

    #[test]
    fn lock_timeouts_are_recognised_only_as_unknown_database_errors() {
        for message in [
            "canceling statement due to lock timeout",
            "could not obtain lock on relation \"users\"",
            "could not obtain lock on row in relation \"users\"",
        ] {
            assert!(
                is_lock_timeout(&database(DatabaseErrorKind::Unknown, message)),
                "{message}"
            );
        }
        assert!(!is_lock_timeout(&database(
            DatabaseErrorKind::ClosedConnection,
            "canceling statement due to lock timeout"
        )));
        for message in [
            "canceling statement due to statement timeout",
            "deadlock detected",
            "relation \"users\" does not exist",
        ] {
            assert!(
                !is_lock_timeout(&database(DatabaseErrorKind::Unknown, message)),
                "{message}"
            );
        }
        assert!(!is_lock_timeout(&Error::NotFound));
    }

    #[test]
    fn read_only_refusals_are_recognised() {
        assert!(is_read_only(&database(
            DatabaseErrorKind::ReadOnlyTransaction,
            "cannot execute CREATE TABLE in a read-only transaction"
        )));
        for message in [
            "attempt to write a readonly database",
            "The MariaDB server is running with the --read-only option so it cannot execute this statement",
        ] {
            assert!(
                is_read_only(&database(DatabaseErrorKind::Unknown, message)),
                "{message}"
            );
        }
        assert!(!is_read_only(&database(
            DatabaseErrorKind::Unknown,
            "no such table: x"
        )));
    }
}
