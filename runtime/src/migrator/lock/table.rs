//! The `table` strategy: one lock row in `<version table>_lock`, with its
//! holder (host, pid, application), when it was taken and a lease expiry.
//!
//! It is taken with a conditional `UPDATE` the database serializes: it
//! changes the row only while nobody holds it, or the holder's lease has
//! expired. On Galera, two nodes taking it at once conflict at commit, and
//! the loser's certification failure means "someone else holds it, wait".
//! The holder renews the lease between statements, and as the first
//! statement of every step's transaction, which keeps the row locked until
//! the step commits: no other process takes the lock over while a step
//! runs. All times are the database's, never a client's clock.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use revchain_internals::sql::{Dialect, quote_identifier};

use super::{Lease, LockHolder, LockOptions, advisory};
use crate::backend::{Begin, MigrationConnection};
use crate::bookkeeping::Bookkeeping;
use crate::error::{Context, Error};

/// A `table` lock, taken or to be taken by this process.
pub(crate) struct TableLock {
    bk: Bookkeeping,
    /// The lock table's name, and quoted.
    name: String,
    table: String,
    /// What identifies this run's hold on the row.
    token: String,
    lease: Duration,
    timeout: Option<Duration>,
    renewed: Instant,
}

impl TableLock {
    pub(crate) fn new(bk: &Bookkeeping, options: LockOptions) -> Self {
        let name = bk.lock_table();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        TableLock {
            bk: bk.clone(),
            table: quote_identifier(bk.dialect(), &name),
            name,
            token: format!("{:x}-{nanos:x}", std::process::id()),
            lease: options.lease,
            timeout: options.timeout,
            renewed: Instant::now(),
        }
    }

    /// Creates the lock table and its row if they are missing. Behind
    /// PostgreSQL, turns diesel's prepared statement cache off on this
    /// connection: a named prepared statement does not survive a
    /// transaction pooler, which hands each transaction to any server
    /// connection. On SQLite, every write waits for the file's write lock
    /// up to the lock timeout.
    pub(crate) fn prepare<C: MigrationConnection>(&mut self, conn: &mut C) -> Result<(), Error> {
        match self.bk.dialect() {
            Dialect::Postgres => conn.disable_statement_cache(),
            Dialect::Sqlite => conn
                .execute_sql(&advisory::busy_timeout(self.timeout))
                .context(|| "setting SQLite's busy timeout".to_owned())?,
            Dialect::Mysql => {}
        }
        // Read first: the row may be locked by the holder's step, and a
        // write would wait for that step to commit.
        if self.exists(conn)? {
            return Ok(());
        }
        let timestamp = match self.bk.dialect() {
            Dialect::Sqlite => "TEXT",
            Dialect::Postgres => "TIMESTAMP WITH TIME ZONE",
            Dialect::Mysql => "TIMESTAMP(6) NULL DEFAULT NULL",
        };
        let create = format!(
            "CREATE TABLE IF NOT EXISTS {} (\n    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),\n    token VARCHAR(64),\n    host VARCHAR(255),\n    pid VARCHAR(32),\n    application VARCHAR(255),\n    taken_at {timestamp},\n    expires_at {timestamp}\n)",
            self.table
        );
        let row = self.bk.insert_once(&self.table, "(id) VALUES (1)");
        // Processes starting together race to create the table and its row;
        // one that loses finds them made. A lost `CREATE TABLE` looks for
        // the table only: its winner may not have written the row yet.
        self.idempotent(conn, &create, "creating", Self::table_exists)?;
        self.idempotent(conn, &row, "filling", Self::exists)
    }

    /// Runs one of the statements that create the table and its row, which
    /// processes starting together all send: a Galera certification
    /// conflict (another node's row won) is sent again, and any other error
    /// is one only if what it makes is still missing (`made`; on
    /// PostgreSQL, two `CREATE TABLE IF NOT EXISTS` at once can fail).
    fn idempotent<C: MigrationConnection>(
        &self,
        conn: &mut C,
        sql: &str,
        what: &str,
        made: fn(&Self, &mut C) -> Result<bool, Error>,
    ) -> Result<(), Error> {
        let mut result = conn.execute_sql(sql);
        for attempt in 1..5 {
            match &result {
                Err(error) if crate::classify::is_certification_conflict(error) => {
                    std::thread::sleep(Duration::from_millis(20 << attempt));
                    result = conn.execute_sql(sql);
                }
                _ => break,
            }
        }
        match result {
            Ok(()) => Ok(()),
            Err(_) if made(self, conn)? => Ok(()),
            Err(error) => Err(Error::Database {
                context: format!("{what} the lock table `{}`", self.name),
                source: error,
            }),
        }
    }

    /// Whether the lock table exists.
    fn table_exists<C: MigrationConnection>(&self, conn: &mut C) -> Result<bool, Error> {
        Ok(!conn
            .load_names(&self.bk.existing_tables(&[&self.name]))
            .context(|| format!("looking for the lock table `{}`", self.name))?
            .is_empty())
    }

    /// Whether the lock table and its row exist.
    pub(super) fn exists<C: MigrationConnection>(&self, conn: &mut C) -> Result<bool, Error> {
        if !self.table_exists(conn)? {
            return Ok(false);
        }
        let row = format!(
            "SELECT CAST(id AS CHAR(1)) AS name FROM {} WHERE id = 1",
            self.table
        );
        Ok(!conn
            .load_names(&row)
            .context(|| format!("reading the lock table `{}`", self.name))?
            .is_empty())
    }

    /// Takes the lock if nobody holds it or its lease has expired. A plain
    /// read tells first, which never waits: the holder keeps the row locked
    /// while a step runs, and a write would wait for the step to commit.
    pub(crate) fn try_take<C: MigrationConnection>(&mut self, conn: &mut C) -> Result<bool, Error> {
        let now = self.bk.now();
        let integer = match self.bk.dialect() {
            Dialect::Mysql => "SIGNED",
            Dialect::Sqlite => "INTEGER",
            Dialect::Postgres => "BIGINT",
        };
        let free = format!(
            "SELECT CAST(CASE WHEN token IS NULL OR {} THEN 1 ELSE 0 END AS {integer}) AS value FROM {} WHERE id = 1",
            self.expired(),
            self.table
        );
        let rows = conn
            .load_values(&free)
            .context(|| format!("reading the lock in `{}`", self.name))?;
        match rows.first().and_then(|row| row.value) {
            Some(1) => {}
            Some(_) => return Ok(false),
            None => {
                return Err(super::super::strict::lock_row(
                    &self.name,
                    "its row is missing",
                ));
            }
        }
        let sql = format!(
            "UPDATE {} SET token = {}, host = {}, pid = {}, application = {}, taken_at = {now}, expires_at = {} WHERE id = 1 AND (token IS NULL OR {})",
            self.table,
            self.bk.literal(&self.token),
            self.bk.optional(host_name().as_deref()),
            self.bk.literal(&std::process::id().to_string()),
            self.bk.optional(application().as_deref()),
            self.expiry(),
            self.expired(),
        );
        match conn.execute_count(&sql) {
            Ok(changed) => {
                self.renewed = Instant::now();
                Ok(changed == 1)
            }
            // Galera: another node took it at the same moment and won the
            // certification of the commit.
            Err(error) if crate::classify::is_certification_conflict(&error) => Ok(false),
            Err(error) => Err(error).context(|| format!("taking the lock in `{}`", self.name)),
        }
    }

    /// On a Galera node, reads wait until every write the cluster committed
    /// before them is applied here, so the state read under the lock is
    /// the cluster's.
    pub(crate) fn after_taken<C: MigrationConnection>(&self, conn: &mut C) -> Result<(), Error> {
        if self.bk.dialect() == Dialect::Mysql && super::is_galera(conn)? {
            conn.execute_sql("SET SESSION wsrep_sync_wait = 1")
                .context(|| "setting `wsrep_sync_wait` for this session".to_owned())?;
        }
        Ok(())
    }

    /// The lease renewal: one row changed, or the lock was taken over.
    fn renewal(&self) -> String {
        format!(
            "UPDATE {} SET expires_at = {} WHERE id = 1 AND token = {}",
            self.table,
            self.expiry(),
            self.bk.literal(&self.token)
        )
    }

    fn renewed(&mut self, changed: diesel::QueryResult<usize>) -> Result<(), Error> {
        match changed.context(|| format!("renewing the lock in `{}`", self.name))? {
            1 => {
                self.renewed = Instant::now();
                Ok(())
            }
            _ => Err(Error::LockLost {
                table: self.name.clone(),
                lease: self.lease,
            }),
        }
    }

    /// Renews the lease if a third of it has passed.
    pub(crate) fn keep<C: MigrationConnection>(&mut self, conn: &mut C) -> Result<(), Error> {
        if self.renewed.elapsed() < self.lease / 3 {
            return Ok(());
        }
        let changed = conn.execute_count(&self.renewal());
        self.renewed(changed)
    }

    /// Renews the lease inside a step's transaction (see the module).
    pub(crate) fn fence<C: MigrationConnection>(
        &mut self,
        conn: &mut C,
        begin: &mut Begin,
    ) -> Result<(), Error> {
        let changed = begin.execute_count(conn, &self.renewal());
        self.renewed(changed)
    }

    /// Gives the lock up, if this run still holds it.
    pub(crate) fn release<C: MigrationConnection>(self, conn: &mut C) -> Result<(), Error> {
        let mine = format!("token = {}", self.bk.literal(&self.token));
        conn.execute_count(&self.freeing(&mine))
            .map(drop)
            .context(|| format!("releasing the lock in `{}`", self.name))
    }

    /// Frees the lock whoever holds it, if its lease has expired or
    /// `force`: whether it was held and is now free.
    pub(super) fn free<C: MigrationConnection>(
        &self,
        conn: &mut C,
        force: bool,
    ) -> Result<bool, Error> {
        let held = if force {
            "token IS NOT NULL".to_owned()
        } else {
            format!("token IS NOT NULL AND {}", self.expired())
        };
        if self.bk.dialect() == Dialect::Sqlite {
            conn.execute_sql(&advisory::busy_timeout(self.timeout))
                .context(|| "setting SQLite's busy timeout".to_owned())?;
        }
        conn.execute_count(&self.freeing(&held))
            .map(|changed| changed == 1)
            .context(|| format!("releasing the lock in `{}`", self.name))
    }

    /// The `UPDATE` that frees the lock row where `condition` holds.
    fn freeing(&self, condition: &str) -> String {
        format!(
            "UPDATE {} SET token = NULL, expires_at = NULL WHERE id = 1 AND {condition}",
            self.table
        )
    }

    /// The condition of a lease that has expired (or was never set), in
    /// the database's clock.
    fn expired(&self) -> String {
        format!("(expires_at IS NULL OR expires_at < {})", self.bk.now())
    }

    /// Who holds the lock, from its row.
    pub(crate) fn holder<C: MigrationConnection>(
        &self,
        conn: &mut C,
    ) -> Result<Option<LockHolder>, Error> {
        Ok(self.lease(conn)?.map(|lease| lease.holder))
    }

    /// Who holds the lock and until when, from its row; `None` when it is
    /// free.
    pub(super) fn lease<C: MigrationConnection>(
        &self,
        conn: &mut C,
    ) -> Result<Option<Lease>, Error> {
        let (text, integer) = match self.bk.dialect() {
            Dialect::Mysql => ("CHAR", "SIGNED"),
            Dialect::Sqlite => ("TEXT", "INTEGER"),
            Dialect::Postgres => ("TEXT", "BIGINT"),
        };
        let sql = format!(
            "SELECT host, pid, application, CAST(taken_at AS {text}) AS since, CAST(expires_at AS {text}) AS expires_at, CAST(CASE WHEN {} THEN 1 ELSE 0 END AS {integer}) AS expired FROM {} WHERE id = 1 AND token IS NOT NULL",
            self.expired(),
            self.table
        );
        let Some(row) = conn
            .load_leases(&sql)
            .context(|| format!("reading the lock in `{}`", self.name))?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        // What revchain writes when it takes the lock, read strictly.
        let corrupt = |column, value: Option<&str>, reason| {
            Err(super::super::strict::lock_value(
                &self.name, column, value, reason,
            ))
        };
        if let Some(pid) = row
            .holder
            .pid
            .as_deref()
            .filter(|pid| pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()))
        {
            return corrupt("pid", Some(pid), "a process id is decimal digits");
        }
        if row.holder.since.is_none() {
            return corrupt("taken_at", None, "a held lock records when it was taken");
        }
        if row.expires_at.is_none() {
            return corrupt(
                "expires_at",
                None,
                "a held lock records when its lease expires",
            );
        }
        Ok(Some(Lease {
            holder: LockHolder::from(row.holder),
            expires_at: row.expires_at,
            expired: row.expired != 0,
        }))
    }

    /// The lock table's name.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// The end of a lease that starts now, in the database's clock.
    fn expiry(&self) -> String {
        let seconds = self.lease.as_secs().max(1);
        match self.bk.dialect() {
            Dialect::Sqlite => format!("datetime('now', '+{seconds} seconds')"),
            Dialect::Postgres => format!("CURRENT_TIMESTAMP + INTERVAL '{seconds} seconds'"),
            Dialect::Mysql => format!("CURRENT_TIMESTAMP(6) + INTERVAL {seconds} SECOND"),
        }
    }
}

/// This machine's host name, where the system tells it.
fn host_name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
}

/// The running program's name.
fn application() -> Option<String> {
    std::env::current_exe()
        .ok()?
        .file_name()?
        .to_str()
        .map(str::to_owned)
}
