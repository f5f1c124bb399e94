//! The `advisory` strategy: the database's own session lock, named after
//! the version table. PostgreSQL's `pg_advisory_lock` and MySQL's
//! `GET_LOCK` are taken with their non-blocking forms and polled, so that a
//! waiting process can say who holds them and give up at the lock timeout.
//! SQLite has no such lock: every step takes the write lock with
//! `BEGIN IMMEDIATE` and re-reads the state under it; the busy timeout is
//! the lock timeout.

use std::time::Duration;

use revchain_internals::sql::Dialect;

use super::LockHolder;
use crate::backend::MigrationConnection;
use crate::bookkeeping::quote_literal;
use crate::error::{Context, Error};

/// The session lock of one version table.
pub(super) struct Advisory {
    dialect: Dialect,
    table: String,
}

impl Advisory {
    pub(super) fn new(dialect: Dialect, table: &str) -> Self {
        Advisory {
            dialect,
            table: table.to_owned(),
        }
    }

    /// SQLite's busy timeout for `timeout`, which is its whole lock.
    pub(super) fn session_setup(&self, timeout: Option<Duration>) -> Option<String> {
        (self.dialect == Dialect::Sqlite).then(|| busy_timeout(timeout))
    }

    /// Takes the lock if it is free.
    pub(super) fn try_take<C: MigrationConnection>(&self, conn: &mut C) -> Result<bool, Error> {
        let sql = match self.dialect {
            Dialect::Postgres => format!(
                "SELECT CAST(CASE WHEN pg_try_advisory_lock({}) THEN 1 ELSE 0 END AS BIGINT) AS value",
                advisory_key(&self.table)
            ),
            Dialect::Mysql | Dialect::Sqlite => format!(
                "SELECT CAST(GET_LOCK({}, 0) AS SIGNED) AS value",
                mysql_lock_name(&self.table)
            ),
        };
        let rows = conn
            .load_values(&sql)
            .context(|| "taking the migration lock".to_owned())?;
        match rows.first().and_then(|row| row.value) {
            Some(1) => Ok(true),
            Some(0) => Ok(false),
            _ => Err(Error::Database {
                context: "taking the migration lock".to_owned(),
                source: diesel::result::Error::DeserializationError(
                    "the server gave no answer when asked for its migration lock".into(),
                ),
            }),
        }
    }

    /// The statement that releases the lock.
    pub(super) fn release(&self) -> Option<String> {
        match self.dialect {
            Dialect::Postgres => Some(format!(
                "SELECT CAST(CASE WHEN pg_advisory_unlock({}) THEN 1 ELSE 0 END AS BIGINT) AS value",
                advisory_key(&self.table)
            )),
            Dialect::Mysql => Some(format!(
                "SELECT CAST(RELEASE_LOCK({}) AS SIGNED) AS value",
                mysql_lock_name(&self.table)
            )),
            Dialect::Sqlite => None,
        }
    }

    /// Who holds the lock: the server's session that holds it.
    pub(super) fn holder<C: MigrationConnection>(
        &self,
        conn: &mut C,
    ) -> Result<Option<LockHolder>, Error> {
        let sql = match self.dialect {
            Dialect::Postgres => {
                // A bigint advisory key is held as two 32-bit halves.
                let key = advisory_key(&self.table) as u64;
                format!(
                    "SELECT CAST(a.client_addr AS TEXT) AS host, CAST(a.pid AS TEXT) AS pid, CAST(a.application_name AS TEXT) AS application, CAST(a.backend_start AS TEXT) AS since FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND l.classid = {} AND l.objid = {} AND l.objsubid = 1",
                    key >> 32,
                    key & 0xffff_ffff
                )
            }
            Dialect::Mysql => format!(
                "SELECT CAST(p.HOST AS CHAR) AS host, CAST(p.ID AS CHAR) AS pid, CAST(p.USER AS CHAR) AS application, CAST(CONCAT(p.TIME, ' s') AS CHAR) AS since FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK({})",
                mysql_lock_name(&self.table)
            ),
            Dialect::Sqlite => return Ok(None),
        };
        Ok(conn
            .load_holders(&sql)
            .context(|| "asking who holds the migration lock".to_owned())?
            .into_iter()
            .next()
            .map(LockHolder::from))
    }
}

/// SQLite's busy timeout: `timeout`, or as long as SQLite can wait
/// (`i32::MAX` milliseconds, 24 days) without one.
pub(super) fn busy_timeout(timeout: Option<Duration>) -> String {
    let most = i64::from(i32::MAX);
    let millis = timeout.map_or(most, |timeout| {
        i64::try_from(timeout.as_millis()).map_or(most, |ms| ms.clamp(1, most))
    });
    format!("PRAGMA busy_timeout = {millis}")
}

/// A 64-bit key for PostgreSQL's advisory lock, from the version table's
/// name (FNV-1a), so that two histories in one database do not block each
/// other.
fn advisory_key(table: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in "revchain:".bytes().chain(table.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash as i64
}

/// `GET_LOCK` is server-wide and takes at most 64 characters: the lock is
/// named after a hash of the database and the version table.
fn mysql_lock_name(table: &str) -> String {
    format!(
        "CONCAT('revchain/', SHA1(CONCAT(DATABASE(), '/', {})))",
        quote_literal(Dialect::Mysql, table)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn advisory_keys_differ_per_table() {
        assert_ne!(
            super::advisory_key("revchain_version"),
            super::advisory_key("other")
        );
        assert_eq!(super::advisory_key("x"), super::advisory_key("x"));
    }
}
