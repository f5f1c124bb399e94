//! A MariaDB Galera cluster of `mariadbd` nodes on this machine.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, MysqlConnection, RunQueryDsl};

use super::{
    ProcessId, Result, Server, TopologyDir, chown_all, error, or_skip, os_user, require,
    retry_on_port_clash, run, wait_for,
};

const MARIADBD: &str = "/usr/sbin/mariadbd";
const PROVIDER: &str = "/usr/lib/galera/libgalera_smm.so";
/// How long the first node may take to be ready, and the others to join.
const BOOTSTRAP_TIMEOUT: Duration = Duration::from_secs(60);
const JOIN_TIMEOUT: Duration = Duration::from_secs(120);

/// One node: its server process and client port.
struct Node {
    server: Server,
    port: u16,
}

/// A Galera cluster: `mariadbd` nodes with `galera-4` on 127.0.0.1, each with
/// its own datadir, client port, gcomm port, IST port and rsync SST port
/// under `<target>/topologies/galera-<pid>-<n>/node<i>/`. Node 0 bootstraps
/// the cluster (`--wsrep-new-cluster`); the others join it by rsync SST.
///
/// Dropping it stops every node by pid (SIGTERM, then SIGKILL after 30 s)
/// and removes the directory. Nodes are numbered from 0.
pub struct GaleraCluster {
    nodes: Vec<Node>,
    dir: TopologyDir,
}

#[derive(diesel::QueryableByName)]
struct Value {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

fn query_value(url: &str, sql: &str) -> std::result::Result<Option<String>, String> {
    let mut conn = MysqlConnection::establish(url).map_err(|e| e.to_string())?;
    let rows: Vec<Value> = diesel::sql_query(sql)
        .load(&mut conn)
        .map_err(|e| e.to_string())?;
    Ok(rows.into_iter().next().map(|row| row.v))
}

fn status(url: &str, variable: &str) -> std::result::Result<Option<String>, String> {
    query_value(
        url,
        &format!(
            "SELECT CAST(VARIABLE_VALUE AS CHAR) AS v FROM information_schema.GLOBAL_STATUS \
             WHERE VARIABLE_NAME = '{}'",
            variable.to_uppercase()
        ),
    )
}

impl GaleraCluster {
    /// Starts a cluster of `size` nodes; `None` with a notice when it cannot
    /// be started (a panic with `CI` set).
    pub fn start(size: usize) -> Option<Self> {
        or_skip("a Galera cluster", Self::try_start(size))
    }

    /// The 3-node cluster shared by the tests of this test binary that run
    /// at the same time: started on first use, and stopped when the last
    /// `Arc` is dropped (each test holds one; a test that starts after every
    /// holder is gone starts a new cluster). `None` as in [`Self::start`].
    ///
    /// Statics are never dropped, so the cluster is not kept in one: a
    /// `Weak` is, and the `Arc`s that tests hold decide its lifetime. A test
    /// that panics drops its `Arc` while unwinding.
    pub fn shared() -> Option<Arc<Self>> {
        static SHARED: Mutex<Weak<GaleraCluster>> = Mutex::new(Weak::new());
        let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cluster) = shared.upgrade() {
            return Some(cluster);
        }
        let cluster = Arc::new(Self::start(3)?);
        *shared = Arc::downgrade(&cluster);
        Some(cluster)
    }

    /// Starts a cluster of `size` nodes, or says why it could not.
    pub fn try_start(size: usize) -> Result<Self> {
        assert!(size >= 1, "a cluster has at least one node");
        require(Path::new(MARIADBD), "mariadb-server")?;
        require(Path::new(PROVIDER), "galera-4")?;
        require(Path::new("/usr/bin/rsync"), "rsync")?;
        let install = ["/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .ok_or_else(|| error("mariadb-install-db is missing: install `mariadb-server`"))?;
        let mysql = os_user("mysql")?;
        retry_on_port_clash(|| Self::try_start_once(size, install, mysql))
    }

    fn try_start_once(size: usize, install: &str, mysql: (u32, u32)) -> Result<Self> {
        let dir = TopologyDir::new("galera")?;
        // Per node: client, gcomm, IST and SST ports.
        let ports = super::free_ports(4 * size);
        let root = dir.path.clone();
        let node_dir = |i: usize| root.join(format!("node{i}"));

        // One system database, copied to every node: faster than installing
        // three times, and the joiners' copies are replaced by SST anyway.
        let template = node_dir(0).join("data");
        fs::create_dir_all(node_dir(0)).map_err(|e| error(e.to_string()))?;
        run(Command::new(install).args([
            "--no-defaults",
            &format!("--datadir={}", template.display()),
            "--user=mysql",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ]))?;
        for i in 1..size {
            fs::create_dir_all(node_dir(i)).map_err(|e| error(e.to_string()))?;
            run(Command::new("cp").arg("-a").arg(&template).arg(node_dir(i)))?;
        }
        let gcomm: Vec<String> = (0..size)
            .map(|i| format!("127.0.0.1:{}", ports[4 * i + 1]))
            .collect();
        for i in 0..size {
            let config = node_config(&node_dir(i), i, &ports[4 * i..4 * i + 4], &gcomm);
            fs::write(node_dir(i).join("my.cnf"), config).map_err(|e| error(e.to_string()))?;
        }
        chown_all(&dir.path, mysql)?;

        let mut cluster = GaleraCluster {
            nodes: Vec::new(),
            dir,
        };
        for i in 0..size {
            let node = node_dir(i);
            let mut command = Command::new(MARIADBD);
            command
                .arg(format!("--defaults-file={}", node.join("my.cnf").display()))
                .current_dir(&node);
            if i == 0 {
                command.arg("--wsrep-new-cluster");
            }
            let server = Server::spawn(
                &format!("galera node {i}"),
                command,
                &node.join("mariadbd.out"),
                node.join("error.log"),
                "TERM",
            )?;
            cluster.nodes.push(Node {
                server,
                port: ports[4 * i],
            });
            if i == 0 {
                // The joiners need a primary component to join.
                let url = cluster.url(0);
                wait_for(
                    &mut cluster.nodes[0].server,
                    "wsrep_ready = ON",
                    BOOTSTRAP_TIMEOUT,
                    || Ok(status(&url, "wsrep_ready")?.as_deref() == Some("ON")),
                )?;
            }
        }
        for i in 0..size {
            let url = cluster.url(i);
            wait_for(
                &mut cluster.nodes[i].server,
                &format!("wsrep_cluster_size = {size}, wsrep_ready = ON and Synced"),
                JOIN_TIMEOUT,
                || {
                    let cluster_size = status(&url, "wsrep_cluster_size")?;
                    let ready = status(&url, "wsrep_ready")?;
                    let state = status(&url, "wsrep_local_state_comment")?;
                    let answer = format!("size {cluster_size:?}, ready {ready:?}, {state:?}");
                    if cluster_size == Some(size.to_string())
                        && ready.as_deref() == Some("ON")
                        && state.as_deref() == Some("Synced")
                    {
                        Ok(true)
                    } else {
                        Err(answer)
                    }
                },
            )?;
        }
        Ok(cluster)
    }

    /// The number of nodes.
    pub fn size(&self) -> usize {
        self.nodes.len()
    }

    /// The server URL of node `node`, without a database:
    /// `mysql://root@127.0.0.1:<port>`.
    pub fn url(&self, node: usize) -> String {
        format!("mysql://root@127.0.0.1:{}", self.nodes[node].port)
    }

    /// The server URLs of all nodes.
    pub fn urls(&self) -> Vec<String> {
        (0..self.size()).map(|i| self.url(i)).collect()
    }

    /// The value of a global status variable on `node`, such as
    /// `wsrep_cluster_size`.
    pub fn status(&self, node: usize, variable: &str) -> Option<String> {
        status(&self.url(node), variable).unwrap_or_else(|e| panic!("status of node {node}: {e}"))
    }

    /// The error log of `node`.
    pub fn log(&self, node: usize) -> PathBuf {
        self.nodes[node].server.log.clone()
    }

    /// The directory holding the nodes' datadirs, configuration and logs.
    pub fn dir(&self) -> &Path {
        &self.dir.path
    }

    /// The server processes (and their children) running now.
    pub fn processes(&self) -> Vec<ProcessId> {
        self.nodes
            .iter()
            .flat_map(|n| n.server.processes())
            .collect()
    }

    /// A fresh database, created through node 0 and waited for on every
    /// node, dropped when the result is.
    pub fn create_database(&self) -> GaleraDatabase<'_> {
        let name = super::database_name();
        let mut conn =
            MysqlConnection::establish(&self.url(0)).expect("connecting to Galera node 0");
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("creating a database on Galera node 0");
        let database = GaleraDatabase {
            cluster: self,
            urls: self.urls().iter().map(|u| format!("{u}/{name}")).collect(),
            name,
        };
        for (i, url) in database.urls.iter().enumerate() {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while let Err(e) = MysqlConnection::establish(url) {
                assert!(
                    std::time::Instant::now() < deadline,
                    "database {} not visible on node {i} after 60 s: {e}",
                    database.name
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        database
    }
}

impl Drop for GaleraCluster {
    fn drop(&mut self) {
        // All at once: each node's shutdown is quick once it is signalled,
        // and a node left alone waits for no one.
        for node in &mut self.nodes {
            node.server.begin_stop();
        }
        for node in &mut self.nodes {
            node.server.stop();
        }
    }
}

fn node_config(dir: &Path, index: usize, ports: &[u16], gcomm: &[String]) -> String {
    let [port, gcomm_port, ist_port, sst_port] = [ports[0], ports[1], ports[2], ports[3]];
    let d = dir.display();
    let mut config = String::from("[mysqld]\n");
    for line in [
        format!("datadir={d}/data"),
        format!("socket={d}/mysqld.sock"),
        format!("pid-file={d}/mysqld.pid"),
        format!("log-error={d}/error.log"),
        format!("tmpdir={d}"),
        format!("port={port}"),
        "bind-address=127.0.0.1".to_owned(),
        // The rsync daemon of SST runs as the server's user; as root it
        // would drop to `nobody`, which cannot write the datadir.
        "user=mysql".to_owned(),
        "binlog_format=ROW".to_owned(),
        "default_storage_engine=InnoDB".to_owned(),
        "innodb_autoinc_lock_mode=2".to_owned(),
        "innodb_buffer_pool_size=32M".to_owned(),
        "innodb_log_file_size=16M".to_owned(),
        "innodb_flush_log_at_trx_commit=0".to_owned(),
        "performance_schema=OFF".to_owned(),
        "wsrep_on=ON".to_owned(),
        format!("wsrep_provider={PROVIDER}"),
        "wsrep_cluster_name=revchain_test".to_owned(),
        format!("wsrep_cluster_address=gcomm://{}", gcomm.join(",")),
        format!("wsrep_node_address=127.0.0.1:{gcomm_port}"),
        format!("wsrep_node_name=node{index}"),
        format!(
            "wsrep_provider_options=\"gmcast.listen_addr=tcp://127.0.0.1:{gcomm_port};\
             ist.recv_addr=127.0.0.1:{ist_port};gcache.size=16M\""
        ),
        "wsrep_sst_method=rsync".to_owned(),
        format!("wsrep_sst_receive_address=127.0.0.1:{sst_port}"),
    ] {
        let _ = writeln!(config, "{line}");
    }
    config
}

/// A database on a [`GaleraCluster`], visible on every node, dropped (through
/// node 0) when this is.
pub struct GaleraDatabase<'a> {
    cluster: &'a GaleraCluster,
    name: String,
    /// Its URL on each node, in node order.
    pub urls: Vec<String>,
}

impl GaleraDatabase<'_> {
    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its URL on `node`.
    pub fn url(&self, node: usize) -> &str {
        &self.urls[node]
    }

    /// A new connection to it on `node`.
    pub fn conn(&self, node: usize) -> MysqlConnection {
        MysqlConnection::establish(&self.urls[node])
            .unwrap_or_else(|e| panic!("connecting to {} on node {node}: {e}", self.name))
    }
}

impl Drop for GaleraDatabase<'_> {
    fn drop(&mut self) {
        let result = MysqlConnection::establish(&self.cluster.url(0))
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                c.batch_execute(&format!("DROP DATABASE IF EXISTS {}", self.name))
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = result {
            eprintln!("note: could not drop Galera database `{}`: {e}", self.name);
        }
    }
}
