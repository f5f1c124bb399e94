//! PgBouncer in front of a PostgreSQL server.

use std::fs;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use super::{
    ProcessId, Result, Server, TopologyDir, chown_all, error, free_ports, or_skip, os_user,
    require, retry_on_port_clash, run, wait_for,
};

const PGBOUNCER: &str = "/usr/sbin/pgbouncer";
/// Server connections per (database, user) pool: small, so that transaction
/// pooling really shares them between clients.
pub const POOL_SIZE: u32 = 2;

/// PgBouncer's `pool_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolMode {
    /// A server connection per client connection, for its whole life.
    Session,
    /// A server connection per transaction: session state (advisory locks,
    /// named prepared statements, `SET`) does not outlive it.
    Transaction,
}

impl PoolMode {
    /// The value of `pool_mode`.
    pub fn as_str(self) -> &'static str {
        match self {
            PoolMode::Session => "session",
            PoolMode::Transaction => "transaction",
        }
    }
}

/// A `pgbouncer` process on its own port, with its ini, user list, log and
/// pid file in `<target>/topologies/pgbouncer-<pid>-<n>/`, running as the
/// `postgres` OS user (it refuses root). Every database of the upstream
/// server is reachable through it (`* = host=… port=…`), with `trust`
/// authentication, `default_pool_size = 2` and
/// `ignore_startup_parameters = extra_float_digits,options`. The admin
/// console is the database `pgbouncer` (user `postgres`).
///
/// Dropping it stops the process by pid and removes the directory.
pub struct PgBouncer {
    server: Server,
    port: u16,
    mode: PoolMode,
    dir: TopologyDir,
}

/// Host and port of a `postgres://` URL such as the shared server's.
pub(crate) fn host_port(url: &str) -> (String, u16) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split(['/', '?']).next().unwrap_or(rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    match rest.rsplit_once(':') {
        Some((host, port)) => (host.to_owned(), port.parse().unwrap_or(5432)),
        None => (rest.to_owned(), 5432),
    }
}

impl PgBouncer {
    /// PgBouncer in `mode` in front of the shared PostgreSQL server
    /// ([`crate::postgres_server_url`]); `None` with a notice when it cannot
    /// be started (a panic with `CI` set).
    pub fn start(mode: PoolMode) -> Option<Self> {
        or_skip("PgBouncer", Self::try_start(mode))
    }

    /// PgBouncer in `mode` in front of the shared PostgreSQL server, or why
    /// it could not be started.
    pub fn try_start(mode: PoolMode) -> Result<Self> {
        let (host, port) = host_port(&crate::postgres_server_url());
        Self::try_start_in_front_of(mode, &host, port)
    }

    /// PgBouncer in `mode` in front of the PostgreSQL server at `host:port`
    /// (such as a [`super::HotStandby`]'s primary or a [`super::FaultProxy`]).
    pub fn try_start_in_front_of(mode: PoolMode, host: &str, port: u16) -> Result<Self> {
        require(Path::new(PGBOUNCER), "pgbouncer")?;
        let postgres = os_user("postgres")?;
        retry_on_port_clash(|| {
            let dir = TopologyDir::new("pgbouncer")?;
            let listen = free_ports(1)[0];
            let d = dir.path.display();
            let ini = format!(
                "[databases]\n\
                 * = host={host} port={port}\n\
                 [pgbouncer]\n\
                 listen_addr = 127.0.0.1\n\
                 listen_port = {listen}\n\
                 unix_socket_dir =\n\
                 auth_type = trust\n\
                 auth_file = {d}/userlist.txt\n\
                 admin_users = postgres\n\
                 stats_users = postgres\n\
                 pool_mode = {mode}\n\
                 default_pool_size = {POOL_SIZE}\n\
                 max_client_conn = 100\n\
                 ignore_startup_parameters = extra_float_digits,options\n\
                 logfile = {d}/pgbouncer.log\n\
                 pidfile = {d}/pgbouncer.pid\n",
                mode = mode.as_str(),
            );
            let write = |name: &str, text: &str| {
                fs::write(dir.join(name), text).map_err(|e| error(format!("writing {name}: {e}")))
            };
            write("pgbouncer.ini", &ini)?;
            write("userlist.txt", "\"postgres\" \"\"\n\"root\" \"\"\n")?;
            chown_all(&dir.path, postgres)?;
            let mut command = Command::new(PGBOUNCER);
            command
                .arg(dir.join("pgbouncer.ini"))
                .current_dir(&dir.path)
                .uid(postgres.0)
                .gid(postgres.1);
            let server = Server::spawn(
                "pgbouncer",
                command,
                &dir.join("pgbouncer.out"),
                dir.join("pgbouncer.log"),
                "TERM",
            )?;
            let mut bouncer = PgBouncer {
                server,
                port: listen,
                mode,
                dir,
            };
            let url = bouncer.url("postgres");
            wait_for(
                &mut bouncer.server,
                "a query through pgbouncer",
                Duration::from_secs(60),
                || {
                    let mut conn = PgConnection::establish(&url).map_err(|e| e.to_string())?;
                    conn.batch_execute("SELECT 1").map_err(|e| e.to_string())?;
                    Ok(true)
                },
            )?;
            Ok(bouncer)
        })
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its pool mode.
    pub fn mode(&self) -> PoolMode {
        self.mode
    }

    /// The URL of `database` through it, as user `postgres`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Runs `command` (such as `SHOW POOLS`) on the admin console with
    /// `psql` and returns its rows, `|`-separated, one per line, after a
    /// header line of column names.
    pub fn admin(&self, command: &str) -> String {
        run(Command::new("psql")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args([
                "-U",
                "postgres",
                "-d",
                "pgbouncer",
                "-A",
                "-F",
                "|",
                "-P",
                "footer=off",
            ])
            .args(["-c", command]))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Its log file.
    pub fn log(&self) -> &Path {
        &self.server.log
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir.path
    }

    /// Its process, while it runs.
    pub fn processes(&self) -> Vec<ProcessId> {
        self.server.processes()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        self.server.stop();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn host_port() {
        assert_eq!(
            super::host_port("postgres://postgres@127.0.0.1:5432"),
            ("127.0.0.1".to_owned(), 5432)
        );
        assert_eq!(
            super::host_port("postgres://u:p@db:6000/x?sslmode=disable"),
            ("db".to_owned(), 6000)
        );
        assert_eq!(
            super::host_port("postgres://localhost"),
            ("localhost".to_owned(), 5432)
        );
    }
}
