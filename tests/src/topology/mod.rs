//! Server topologies that a test starts for itself: a MariaDB Galera cluster
//! ([`GaleraCluster`]), PgBouncer in front of the shared PostgreSQL
//! ([`PgBouncer`]), a throwaway PostgreSQL primary with a hot standby
//! ([`HotStandby`]), and a TCP proxy that can cut or freeze connections
//! ([`FaultProxy`]).
//!
//! The rules every topology follows:
//!
//! - **Own ports, own directories.** Ports come from binding `127.0.0.1:0`
//!   (several at once, so one start never gets the same port twice); data
//!   directories, configuration and logs live in
//!   `<target>/topologies/<kind>-<pid>-<n>/`. A start whose server reports a
//!   port already taken (another process grabbed it in between) is retried
//!   on new ports, up to three times.
//! - **Stopped by process id.** Each server is a child process of the test;
//!   dropping the topology (also while a test panics) signals it, waits up to
//!   30 s, then kills it and every descendant it had, and removes the
//!   directory. The shared servers (PostgreSQL on 5432, MariaDB on 3306) are
//!   never reconfigured or signalled.
//! - **Stale directories** of an earlier run that was killed (its pid is
//!   gone) are removed at the next start, after killing any process whose
//!   command line names a path inside them: only the servers started there.
//! - **Skip or fail.** `start` returns `None` with a printed notice when the
//!   topology cannot be started (packages missing, …); with `CI` set it
//!   panics instead. `try_start` returns the error.
//! - **No timing assertions.** Waits poll for readiness up to a deadline,
//!   then fail with the server's log tail.
//! - **Users.** The tests run as root. MariaDB drops to `mysql`
//!   (`--user=mysql`: the rsync SST daemon cannot write a root-owned datadir);
//!   `initdb`, `postgres`, `pg_basebackup` and `pgbouncer` run as the
//!   `postgres` OS user (set on the child process), in directories it owns.

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod galera;
mod pgbouncer;
mod proxy;
mod standby;

pub use galera::{GaleraCluster, GaleraDatabase};
pub use pgbouncer::{PgBouncer, PoolMode};
pub use proxy::FaultProxy;
pub use standby::{HotStandby, StandbyDatabase};

/// Why a topology could not be started.
#[derive(Debug, Clone)]
pub struct TopologyError(pub String);

impl fmt::Display for TopologyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TopologyError {}

/// The result of starting a topology.
pub type Result<T> = std::result::Result<T, TopologyError>;

pub(crate) fn error(message: impl Into<String>) -> TopologyError {
    TopologyError(message.into())
}

/// `Some` when started; otherwise a notice and `None`, or a panic with `CI`
/// set (the rule of [`crate::TestDatabase`]).
pub(crate) fn or_skip<T>(what: &str, result: Result<T>) -> Option<T> {
    match result {
        Ok(topology) => Some(topology),
        Err(error) => {
            if std::env::var_os("CI").is_some() {
                panic!("{what} could not be started and CI is set: {error}");
            }
            eprintln!("note: skipping this test: {what} could not be started: {error}");
            None
        }
    }
}

/// Runs `start` up to three times while the failure says a port was taken.
pub(crate) fn retry_on_port_clash<T>(mut start: impl FnMut() -> Result<T>) -> Result<T> {
    let mut attempt = 1;
    loop {
        match start() {
            Err(error) if attempt < 3 && error.0.contains("already in use") => attempt += 1,
            result => return result,
        }
    }
}

/// `n` distinct free ports on 127.0.0.1, never handed out twice by this
/// process.
pub fn free_ports(n: usize) -> Vec<u16> {
    static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    let given = given.get_or_insert_with(HashSet::new);
    let mut listeners = Vec::new();
    let mut ports = Vec::new();
    while ports.len() < n {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        let port = listener.local_addr().expect("a bound address").port();
        if given.insert(port) {
            ports.push(port);
        }
        // Held until all are chosen, so none repeats.
        listeners.push(listener);
    }
    ports
}

/// The address of the shared PostgreSQL server
/// ([`crate::postgres_server_url`]), such as `127.0.0.1:5432`.
pub fn postgres_server_addr() -> std::net::SocketAddr {
    let (host, port) = pgbouncer::host_port(&crate::postgres_server_url());
    std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
        .ok()
        .and_then(|mut addrs| addrs.next())
        .unwrap_or_else(|| panic!("resolving {host}:{port}"))
}

/// The cargo target directory of this test binary: the ancestor of the
/// executable holding `CACHEDIR.TAG`, else the workspace's `target/`.
pub fn target_dir() -> PathBuf {
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            if dir.join("CACHEDIR.TAG").is_file() {
                return dir.to_path_buf();
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target")
}

/// A directory `<target>/topologies/<kind>-<pid>-<n>/`, removed on drop.
pub(crate) struct TopologyDir {
    pub(crate) path: PathBuf,
}

impl TopologyDir {
    pub(crate) fn new(kind: &str) -> Result<Self> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let root = target_dir().join("topologies");
        fs::create_dir_all(&root)
            .map_err(|e| error(format!("creating {}: {e}", root.display())))?;
        clean_stale(&root);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = root.join(format!("{kind}-{}-{n}", std::process::id()));
        if path.exists() {
            let _ = fs::remove_dir_all(&path);
        }
        fs::create_dir_all(&path)
            .map_err(|e| error(format!("creating {}: {e}", path.display())))?;
        Ok(TopologyDir { path })
    }

    pub(crate) fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TopologyDir {
    fn drop(&mut self) {
        if let Err(e) = fs::remove_dir_all(&self.path) {
            eprintln!("note: could not remove {}: {e}", self.path.display());
        }
    }
}

/// Removes the directories under `root` whose owning test process is gone,
/// after killing the processes started in them (their command line names a
/// path inside the directory).
fn clean_stale(root: &Path) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let mut parts = name.rsplitn(3, '-');
        let (Some(_n), Some(pid), Some(_kind)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let dir = entry.path();
        let needle = format!("{}/", dir.display());
        for process in all_processes() {
            let Ok(cmdline) = fs::read(format!("/proc/{}/cmdline", process.pid)) else {
                continue;
            };
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(&needle) {
                eprintln!(
                    "note: killing pid {} left over from an earlier test run in {}",
                    process.pid,
                    dir.display()
                );
                signal(process.pid, "KILL");
            }
        }
        let _ = fs::remove_dir_all(&dir);
    }
}

/// A process, told apart from a later one with a reused pid by its start
/// time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessId {
    /// The pid.
    pub pid: u32,
    start_time: u64,
}

impl ProcessId {
    /// The process with this pid now, if any.
    pub fn of(pid: u32) -> Option<Self> {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name, which is in parentheses: state is
        // the first, the parent pid the second, the start time the 20th.
        let rest = &stat[stat.rfind(')')? + 2..];
        let start_time = rest.split(' ').nth(19)?.parse().ok()?;
        Some(ProcessId { pid, start_time })
    }

    /// Whether this process still runs (a zombie does not).
    pub fn is_running(&self) -> bool {
        let Ok(stat) = fs::read_to_string(format!("/proc/{}/stat", self.pid)) else {
            return false;
        };
        let Some(close) = stat.rfind(')') else {
            return false;
        };
        let mut fields = stat[close + 2..].split(' ');
        let state = fields.next().unwrap_or("Z");
        let start = fields.nth(18).and_then(|s| s.parse::<u64>().ok());
        state != "Z" && state != "X" && start == Some(self.start_time)
    }

    fn parent(&self) -> Option<u32> {
        let stat = fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        stat[stat.rfind(')')? + 2..].split(' ').nth(1)?.parse().ok()
    }
}

fn all_processes() -> Vec<ProcessId> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(ProcessId::of)
        .collect()
}

/// `pid` and all its descendants now running.
pub(crate) fn process_tree(pid: u32) -> Vec<ProcessId> {
    let all = all_processes();
    let mut tree: Vec<ProcessId> = all.iter().filter(|p| p.pid == pid).copied().collect();
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i].pid;
        tree.extend(all.iter().filter(|p| p.parent() == Some(parent)).copied());
        i += 1;
    }
    tree
}

/// Sends `signal` (such as `TERM`) to `pid` with `kill(1)`.
pub(crate) fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// Panics unless every process is gone, waiting up to 30 s for them.
pub fn assert_stopped(processes: &[ProcessId]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let running: Vec<u32> = processes
            .iter()
            .filter(|p| p.is_running())
            .map(|p| p.pid)
            .collect();
        if running.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            panic!("processes started by the test still run: {running:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The last `lines` lines of a log file.
pub fn log_tail(path: &Path, lines: usize) -> String {
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("({}: {e})", path.display()),
    }
}

/// The uid and gid of an OS user, from `/etc/passwd`.
pub(crate) fn os_user(name: &str) -> Result<(u32, u32)> {
    let passwd =
        fs::read_to_string("/etc/passwd").map_err(|e| error(format!("/etc/passwd: {e}")))?;
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.len() > 3 && fields[0] == name)
        .and_then(|fields| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
        .ok_or_else(|| error(format!("no OS user `{name}`")))
}

/// Gives `path` and everything under it to `user`.
pub(crate) fn chown_all(path: &Path, (uid, gid): (u32, u32)) -> Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))
        .map_err(|e| error(format!("chown {}: {e}", path.display())))?;
    if path.is_dir() && !path.is_symlink() {
        let entries =
            fs::read_dir(path).map_err(|e| error(format!("reading {}: {e}", path.display())))?;
        for entry in entries.flatten() {
            chown_all(&entry.path(), (uid, gid))?;
        }
    }
    Ok(())
}

/// Fails unless `path` exists, naming the package that brings it.
pub(crate) fn require(path: &Path, package: &str) -> Result<()> {
    if path.exists() {
        Ok(())
    } else {
        Err(error(format!(
            "{} is missing: install `{package}` (.ci/run does)",
            path.display()
        )))
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin`.
pub(crate) fn postgres_bin() -> Result<PathBuf> {
    let mut versions: Vec<u32> = fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| error(format!("/usr/lib/postgresql: {e}: install `postgresql`")))?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|v| Path::new(&format!("/usr/lib/postgresql/{v}/bin/initdb")).exists())
        .collect();
    versions.sort_unstable();
    versions
        .last()
        .map(|v| PathBuf::from(format!("/usr/lib/postgresql/{v}/bin")))
        .ok_or_else(|| error("no /usr/lib/postgresql/<version>/bin/initdb: install `postgresql`"))
}

/// Runs a command to completion; an error carries its output.
pub(crate) fn run(command: &mut Command) -> Result<String> {
    let output = command
        .output()
        .map_err(|e| error(format!("running {command:?}: {e}")))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(text)
    } else {
        Err(error(format!(
            "{command:?} failed ({}):\n{text}",
            output.status
        )))
    }
}

/// A server process started by a topology, stopped on drop.
pub(crate) struct Server {
    pub(crate) name: String,
    child: Option<Child>,
    /// Where it writes its log.
    pub(crate) log: PathBuf,
    /// The signal asking it to shut down: `TERM`, or `INT` for PostgreSQL's
    /// fast shutdown.
    stop_signal: &'static str,
    /// The process and its descendants when the stop signal was sent.
    tree: Vec<ProcessId>,
}

impl Server {
    /// Starts `command` with stdout and stderr appended to `output`.
    pub(crate) fn spawn(
        name: &str,
        mut command: Command,
        output: &Path,
        log: PathBuf,
        stop_signal: &'static str,
    ) -> Result<Self> {
        let file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(output)
            .map_err(|e| error(format!("opening {}: {e}", output.display())))?;
        let file2 = file.try_clone().map_err(|e| error(e.to_string()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(file2)
            .spawn()
            .map_err(|e| error(format!("starting {name} ({command:?}): {e}")))?;
        Ok(Server {
            name: name.to_owned(),
            child: Some(child),
            log,
            stop_signal,
            tree: Vec::new(),
        })
    }

    /// The process and its descendants, while it runs.
    pub(crate) fn processes(&self) -> Vec<ProcessId> {
        self.child
            .as_ref()
            .map(|c| process_tree(c.id()))
            .unwrap_or_default()
    }

    /// An error unless the process still runs.
    pub(crate) fn check_running(&mut self) -> Result<()> {
        let Some(child) = self.child.as_mut() else {
            return Err(error(format!("{} was stopped", self.name)));
        };
        match child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(error(format!(
                "{} exited ({status}); last lines of {}:\n{}",
                self.name,
                self.log.display(),
                log_tail(&self.log, 40)
            ))),
            Err(e) => Err(error(format!("{}: {e}", self.name))),
        }
    }

    /// The message of a failed wait: what was awaited and the log tail.
    pub(crate) fn timed_out(&self, what: &str, last: &str) -> TopologyError {
        error(format!(
            "{}: gave up waiting for {what} (last: {last}); last lines of {}:\n{}",
            self.name,
            self.log.display(),
            log_tail(&self.log, 40)
        ))
    }

    /// Sends the stop signal, remembering the process tree to reap; see
    /// [`Self::stop`]. Lets a topology signal all its servers at once.
    pub(crate) fn begin_stop(&mut self) {
        if let Some(child) = &self.child
            && self.tree.is_empty()
        {
            self.tree = process_tree(child.id());
            signal(child.id(), self.stop_signal);
        }
    }

    /// Asks the process to stop, waits up to 30 s, then kills it and every
    /// descendant it had.
    pub(crate) fn stop(&mut self) {
        self.begin_stop();
        let Some(mut child) = self.child.take() else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if matches!(child.try_wait(), Ok(None)) {
            eprintln!("note: {} did not stop within 30 s: killing it", self.name);
            let _ = child.kill();
        }
        let _ = child.wait();
        for process in self.tree.iter().filter(|p| p.is_running()) {
            signal(process.pid, "KILL");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls `probe` every 200 ms until it returns `Ok(true)`, for up to
/// `timeout`, failing early when `server` exits. The error names what was
/// awaited, the probe's last answer and the server's log tail.
pub(crate) fn wait_for(
    server: &mut Server,
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> std::result::Result<bool, String>,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        server.check_running()?;
        let last = match probe() {
            Ok(true) => return Ok(()),
            Ok(false) => "not yet".to_owned(),
            Err(e) => e,
        };
        if Instant::now() > deadline {
            return Err(server.timed_out(what, &last));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A unique database name, like [`crate::TestDatabase`]'s.
pub(crate) fn database_name() -> String {
    crate::unique_name()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_wait_names_the_exit_and_the_log_tail() {
        let dir = TopologyDir::new("selftest").expect("a topology directory");
        let log = dir.join("out.log");
        let mut command = Command::new("sh");
        command.args(["-c", "echo 'FATAL: boom'; exit 3"]);
        let mut server =
            Server::spawn("sh", command, &log, log.clone(), "TERM").expect("starting sh");
        let error = wait_for(&mut server, "nothing", Duration::from_secs(30), || {
            Err("no answer".to_owned())
        })
        .expect_err("sh exits");
        assert!(error.0.contains("sh exited"), "{error}");
        assert!(error.0.contains("FATAL: boom"), "{error}");
    }

    #[test]
    fn stopping_reaps_the_process_tree() {
        let dir = TopologyDir::new("selftest").expect("a topology directory");
        let log = dir.join("out.log");
        let mut command = Command::new("sh");
        // The `sleep`s would outlive `sh` unless they are killed too.
        command.args(["-c", "sleep 300 & sleep 300; wait"]);
        let server = Server::spawn("sh", command, &log, log.clone(), "TERM").expect("starting sh");
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.processes().len() < 3 {
            assert!(Instant::now() < deadline, "{:?}", server.processes());
            std::thread::sleep(Duration::from_millis(20));
        }
        let processes = server.processes();
        drop(server);
        assert_stopped(&processes);
        let path = dir.path.clone();
        drop(dir);
        assert!(!path.exists());
    }
}
