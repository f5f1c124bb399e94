//! A throwaway PostgreSQL primary and a hot standby streaming from it.

use std::fs;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};

use super::{
    ProcessId, Result, Server, TopologyDir, chown_all, error, free_ports, or_skip, os_user,
    postgres_bin, retry_on_port_clash, run, wait_for,
};

const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Settings of the primary, copied to the standby by `pg_basebackup`.
const PRIMARY_CONFIG: &str = "
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
wal_level = replica
max_wal_senders = 5
hot_standby = on
max_connections = 40
shared_buffers = 16MB
fsync = off
full_page_writes = off
";

/// A PostgreSQL primary, made with `initdb` on a free port, and a hot
/// standby of it made with `pg_basebackup -R`, on another port. Both run as
/// the `postgres` OS user with `trust` authentication, in
/// `<target>/topologies/standby-<pid>-<n>/{primary,standby}`.
///
/// Dropping it stops both postmasters by pid (SIGINT: fast shutdown) and
/// removes the directory.
pub struct HotStandby {
    standby: Option<Server>,
    primary: Server,
    primary_port: u16,
    standby_port: u16,
    dir: TopologyDir,
}

#[derive(diesel::QueryableByName)]
struct Flag {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    b: bool,
}

fn query_flag(url: &str, sql: &str) -> std::result::Result<bool, String> {
    let mut conn = PgConnection::establish(url).map_err(|e| e.to_string())?;
    let rows: Vec<Flag> = diesel::sql_query(sql)
        .load(&mut conn)
        .map_err(|e| e.to_string())?;
    Ok(rows.first().is_some_and(|r| r.b))
}

impl HotStandby {
    /// Starts a primary and its standby; `None` with a notice when they
    /// cannot be started (a panic with `CI` set).
    pub fn start() -> Option<Self> {
        or_skip("a PostgreSQL primary with a hot standby", Self::try_start())
    }

    /// Starts a primary and its standby, or says why it could not.
    pub fn try_start() -> Result<Self> {
        let bin = postgres_bin()?;
        let postgres = os_user("postgres")?;
        retry_on_port_clash(|| Self::try_start_once(&bin, postgres))
    }

    fn try_start_once(bin: &Path, postgres: (u32, u32)) -> Result<Self> {
        let dir = TopologyDir::new("standby")?;
        let ports = free_ports(2);
        let (primary_port, standby_port) = (ports[0], ports[1]);
        let base = dir.path.clone();
        let primary_dir = base.join("primary");
        let standby_dir = base.join("standby");
        chown_all(&base, postgres)?;
        let as_postgres = |program: &str| {
            let mut command = Command::new(bin.join(program));
            command
                .current_dir(&base)
                .uid(postgres.0)
                .gid(postgres.1)
                .env("HOME", &base);
            command
        };

        run(as_postgres("initdb")
            .arg("-D")
            .arg(&primary_dir)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--no-locale",
                "-E",
                "UTF8",
            ])
            .arg("--no-sync"))?;
        let config = primary_dir.join("postgresql.conf");
        let mut text = fs::read_to_string(&config).map_err(|e| error(e.to_string()))?;
        text.push_str(PRIMARY_CONFIG);
        fs::write(&config, text).map_err(|e| error(e.to_string()))?;

        let start = |data: &Path, port: u16, name: &str| {
            let mut command = as_postgres("postgres");
            command.arg("-D").arg(data).args(["-p", &port.to_string()]);
            let log = base.join(format!("{name}.log"));
            Server::spawn(name, command, &log, log.clone(), "INT")
        };
        let mut topology = HotStandby {
            standby: None,
            primary: start(&primary_dir, primary_port, "primary")?,
            primary_port,
            standby_port,
            dir,
        };
        let url = topology.primary_url();
        wait_for(&mut topology.primary, "connections", START_TIMEOUT, || {
            PgConnection::establish(&format!("{url}/postgres"))
                .map(|_| true)
                .map_err(|e| e.to_string())
        })?;

        run(as_postgres("pg_basebackup")
            .arg("-D")
            .arg(&standby_dir)
            .args(["-h", "127.0.0.1", "-p", &primary_port.to_string()])
            .args(["-U", "postgres", "-R", "-X", "stream", "--checkpoint=fast"])
            .arg("--no-sync"))
        .map_err(|e| {
            error(format!(
                "{e}\nlast lines of the primary's log:\n{}",
                super::log_tail(&topology.primary.log, 20)
            ))
        })?;
        let url = format!("{}/postgres", topology.standby_url());
        let standby = topology
            .standby
            .insert(start(&standby_dir, standby_port, "standby")?);
        wait_for(standby, "pg_is_in_recovery()", START_TIMEOUT, || {
            query_flag(&url, "SELECT pg_is_in_recovery() AS b")
        })?;
        Ok(topology)
    }

    /// The primary's server URL, without a database.
    pub fn primary_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.primary_port)
    }

    /// The standby's server URL, without a database.
    pub fn standby_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.standby_port)
    }

    /// The primary's port.
    pub fn primary_port(&self) -> u16 {
        self.primary_port
    }

    /// The standby's port.
    pub fn standby_port(&self) -> u16 {
        self.standby_port
    }

    /// The directory holding both data directories and logs.
    pub fn dir(&self) -> &Path {
        &self.dir.path
    }

    /// The primary's log file.
    pub fn primary_log(&self) -> PathBuf {
        self.primary.log.clone()
    }

    /// The standby's log file.
    pub fn standby_log(&self) -> PathBuf {
        self.standby
            .as_ref()
            .map(|s| s.log.clone())
            .unwrap_or_default()
    }

    /// The postmasters and their children running now.
    pub fn processes(&self) -> Vec<ProcessId> {
        let mut processes = self.primary.processes();
        if let Some(standby) = &self.standby {
            processes.extend(standby.processes());
        }
        processes
    }

    /// Waits until everything the primary committed so far is replayed on
    /// the standby (up to 60 s).
    pub fn wait_for_replay(&self) {
        #[derive(diesel::QueryableByName)]
        struct Lsn {
            #[diesel(sql_type = diesel::sql_types::Text)]
            lsn: String,
        }
        let mut primary = PgConnection::establish(&format!("{}/postgres", self.primary_url()))
            .expect("connecting to the primary");
        let lsn: Vec<Lsn> = diesel::sql_query("SELECT CAST(pg_current_wal_lsn() AS TEXT) AS lsn")
            .load(&mut primary)
            .expect("reading the primary's WAL position");
        let sql = format!(
            "SELECT pg_last_wal_replay_lsn() >= CAST('{}' AS pg_lsn) AS b",
            lsn[0].lsn
        );
        let url = format!("{}/postgres", self.standby_url());
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let last = query_flag(&url, &sql);
            if last == Ok(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the standby did not replay up to {} within 60 s ({last:?}); last lines of its log:\n{}",
                lsn[0].lsn,
                super::log_tail(&self.standby_log(), 20)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A fresh database on the primary, waited for on the standby; dropped
    /// (on the primary) when the result is.
    pub fn create_database(&self) -> StandbyDatabase<'_> {
        let name = super::database_name();
        PgConnection::establish(&format!("{}/postgres", self.primary_url()))
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                c.batch_execute(&format!("CREATE DATABASE {name}"))
                    .map_err(|e| e.to_string())
            })
            .unwrap_or_else(|e| panic!("creating a database on the primary: {e}"));
        let database = StandbyDatabase {
            topology: self,
            primary_url: format!("{}/{name}", self.primary_url()),
            standby_url: format!("{}/{name}", self.standby_url()),
            name,
        };
        self.wait_for_replay();
        database
    }
}

impl Drop for HotStandby {
    fn drop(&mut self) {
        if let Some(standby) = &mut self.standby {
            standby.begin_stop();
        }
        self.primary.begin_stop();
        if let Some(standby) = &mut self.standby {
            standby.stop();
        }
        self.primary.stop();
    }
}

/// A database on a [`HotStandby`]'s primary, replicated to the standby.
pub struct StandbyDatabase<'a> {
    topology: &'a HotStandby,
    name: String,
    /// Its URL on the primary.
    pub primary_url: String,
    /// Its URL on the standby (read-only).
    pub standby_url: String,
}

impl StandbyDatabase<'_> {
    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A new connection to it on the primary.
    pub fn primary(&self) -> PgConnection {
        PgConnection::establish(&self.primary_url).expect("connecting to the primary")
    }

    /// A new connection to it on the standby.
    pub fn standby(&self) -> PgConnection {
        PgConnection::establish(&self.standby_url).expect("connecting to the standby")
    }
}

impl Drop for StandbyDatabase<'_> {
    fn drop(&mut self) {
        let result = PgConnection::establish(&format!("{}/postgres", self.topology.primary_url()))
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                c.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .map_err(|e| e.to_string())
            });
        if let Err(e) = result {
            eprintln!("note: could not drop database `{}`: {e}", self.name);
        }
    }
}
