//! The four measurements. Each alternates the tools (rotating which goes
//! first), repeats, and keeps every sample; the report takes medians.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::connection::SimpleConnection;

use revchain::cli::redact_url;

use crate::history::History;
use crate::workspace::{Tool, Workspace, app_name, tail};

/// Build cost of one tool at one size.
#[derive(Clone, Debug, Default)]
pub struct BuildSamples {
    /// Clean builds of the crate alone, its dependencies prebuilt.
    pub clean: Vec<Duration>,
    /// Rebuilds after one `up.sql` changed.
    pub incremental: Vec<Duration>,
}

/// Build cost at one size.
#[derive(Clone, Debug)]
pub struct BuildResult {
    /// Revisions.
    pub len: usize,
    /// revchain's samples.
    pub revchain: BuildSamples,
    /// diesel's samples.
    pub diesel: BuildSamples,
}

/// How a history is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applier {
    /// `Migrator::upgrade`, one transaction per revision.
    Revchain,
    /// `Migrator::single_transaction(true).upgrade`.
    RevchainSingle,
    /// diesel's `run_pending_migrations` over `embed_migrations!`.
    Diesel,
    /// The concatenated `up.sql` files in one transaction, through `sqlite3`,
    /// `psql` or `mysql` (where every `CREATE` commits at once).
    Raw,
}

impl Applier {
    /// All of them, in report order.
    pub const ALL: [Applier; 4] = [
        Applier::Revchain,
        Applier::RevchainSingle,
        Applier::Diesel,
        Applier::Raw,
    ];

    /// Its name in reports and on the runner's command line.
    pub fn name(self) -> &'static str {
        match self {
            Applier::Revchain => "revchain",
            Applier::RevchainSingle => "revchain-single",
            Applier::Diesel => "diesel",
            Applier::Raw => "raw",
        }
    }
}

/// The databases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// The local PostgreSQL server, a fresh database per run.
    Postgres,
    /// The local MySQL or MariaDB server, a fresh database per run.
    /// Informational: the targets are for SQLite and PostgreSQL only.
    Mysql,
}

impl Backend {
    /// All three, in report order.
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::Mysql];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::Mysql => "MySQL",
        }
    }

    /// Its cargo feature (of revchain, diesel and the runner), also the
    /// middle of the runners' names.
    pub fn feature(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        }
    }

    /// The command-line client that runs the raw script.
    pub fn client(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite3",
            Backend::Postgres => "psql",
            Backend::Mysql => "mysql",
        }
    }

    /// Whether the issue sets targets for it (SQLite and PostgreSQL); MySQL
    /// is measured for information only.
    pub fn has_targets(self) -> bool {
        self != Backend::Mysql
    }

    /// Whether revchain offers single-transaction mode on it: not on MySQL,
    /// which commits every DDL statement at once (`Migrator::upgrade`
    /// refuses it there).
    pub fn single_transaction(self) -> bool {
        self != Backend::Mysql
    }
}

/// Apply times at one size on one backend: wall time of the whole process
/// (start, connect, apply, exit), per applier, in [`Applier::ALL`] order.
#[derive(Clone, Debug)]
pub struct ApplyResult {
    /// The backend.
    pub backend: Backend,
    /// Revisions.
    pub len: usize,
    /// Samples per applier; empty for one that could not run (no client).
    pub samples: [Vec<Duration>; 4],
}

/// Per-call medians of the startup check at one size on one backend, in
/// nanoseconds, and how many calls each median is of.
#[derive(Clone, Debug)]
pub struct CheckResult {
    /// The backend.
    pub backend: Backend,
    /// Revisions applied.
    pub len: usize,
    /// `Migrator::is_at_head`.
    pub revchain: (u64, u64),
    /// `has_pending_migration`.
    pub diesel: (u64, u64),
    /// `SELECT 1 AS value` through `sql_query`.
    pub floor_select1: (u64, u64),
    /// revchain's own query through `sql_query`, without revchain around it.
    pub floor_same_shape: (u64, u64),
    /// The same query as a statement diesel prepares once and reuses.
    pub floor_cached: (u64, u64),
    /// Whether the database holds the whole schema (migrated by diesel), or
    /// only both tools' bookkeeping (`record`: too slow to apply).
    pub schema: bool,
}

/// Binary size at one size.
#[derive(Clone, Debug)]
pub struct SizeResult {
    /// Revisions.
    pub len: usize,
    /// Bytes of the history's `up.sql` and `down.sql` files.
    pub sql_bytes: u64,
    /// The revchain application's growth over the empty history, in bytes.
    pub revchain_growth: i64,
    /// The diesel application's growth over the empty history.
    pub diesel_growth: i64,
}

/// How the runner is reached.
#[derive(Clone, Debug)]
pub enum RunnerKind {
    /// The generated runners, which embed the histories, one per backend
    /// and size (`<target>/release/runner-<backend>-<len>`), each built with
    /// that backend only.
    Embedded(Workspace),
    /// This binary, loading the histories at run time
    /// (`Revisions::load`, `FileBasedMigrations`): the smoke run.
    Loaded(PathBuf),
}

impl RunnerKind {
    fn command(&self, backend: Backend, history: &History) -> Command {
        match self {
            RunnerKind::Embedded(workspace) => Command::new(workspace.binary(
                "release",
                &crate::workspace::runner_name(backend, history.len),
            )),
            RunnerKind::Loaded(exe) => {
                let mut command = Command::new(exe);
                command
                    .arg("runner-loaded")
                    .arg(&history.revchain)
                    .arg(&history.diesel);
                command
            }
        }
    }

    /// Runs the runner of `backend`, returning its standard output.
    pub fn run(
        &self,
        backend: Backend,
        history: &History,
        args: &[&str],
    ) -> Result<String, String> {
        let output = self
            .command(backend, history)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("starting the runner: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(format!(
                "runner {} failed ({}): {}",
                args.iter()
                    .map(|arg| redact_url(arg))
                    .collect::<Vec<_>>()
                    .join(" "),
                output.status,
                tail(&String::from_utf8_lossy(&output.stderr), 20)
            ))
        }
    }
}

/// Rotates `items` left by `by`: the order of one repetition.
pub fn rotated<T: Copy>(items: &[T], by: usize) -> Vec<T> {
    let n = items.len();
    (0..n).map(|i| items[(i + by) % n]).collect()
}

/// Prints a progress line to standard error.
pub fn progress(line: &str) {
    eprintln!("[{}] {line}", clock());
}

fn clock() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// Measurement 1: a clean build of the application alone (its dependencies
/// prebuilt), then a rebuild after its middle `up.sql` changed, alternating
/// the tools; `debug` profile, as `cargo build`.
pub fn build_cost(
    workspace: &Workspace,
    histories: &[History],
    reps: usize,
) -> Result<Vec<BuildResult>, String> {
    progress("build cost: building the dependencies once");
    // One package at a time, as measured: cargo resolves features per
    // invocation.
    for tool in Tool::BOTH {
        workspace.run_cargo(&["build", "--quiet", "-p", &app_name(tool, 0)])?;
    }
    let mut results = Vec::new();
    for history in histories.iter().filter(|h| h.len > 0) {
        let mut result = BuildResult {
            len: history.len,
            revchain: BuildSamples::default(),
            diesel: BuildSamples::default(),
        };
        for rep in 0..reps {
            for tool in rotated(&Tool::BOTH, rep) {
                let name = app_name(tool, history.len);
                workspace.run_cargo(&["clean", "--quiet", "--profile", "dev", "-p", &name])?;
                let clean = workspace.run_cargo(&["build", "--quiet", "-p", &name])?;
                let file = match tool {
                    Tool::Revchain => &history.middle_up_revchain,
                    Tool::Diesel => &history.middle_up_diesel,
                };
                let original = fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
                let mut edited = original.clone();
                edited.extend_from_slice(format!("-- edited for rebuild {rep}\n").as_bytes());
                fs::write(file, &edited).map_err(|e| format!("{}: {e}", file.display()))?;
                let incremental = workspace.run_cargo(&["build", "--quiet", "-p", &name]);
                fs::write(file, &original).map_err(|e| format!("{}: {e}", file.display()))?;
                let incremental = incremental?;
                progress(&format!(
                    "build cost: {name}: clean {:.2} s, after one edit {:.2} s",
                    clean.as_secs_f64(),
                    incremental.as_secs_f64()
                ));
                let samples = match tool {
                    Tool::Revchain => &mut result.revchain,
                    Tool::Diesel => &mut result.diesel,
                };
                samples.clean.push(clean);
                samples.incremental.push(incremental);
            }
        }
        results.push(result);
    }
    Ok(results)
}

/// Measurement 4: release builds of each application, and of the same
/// application over the empty history.
pub fn binary_size(
    workspace: &Workspace,
    histories: &[History],
) -> Result<Vec<SizeResult>, String> {
    progress("binary size: release builds");
    let mut args = vec!["build", "--quiet", "--release"];
    let mut names = Vec::new();
    for history in histories {
        for tool in Tool::BOTH {
            names.push(app_name(tool, history.len));
        }
    }
    for name in &names {
        args.extend(["-p", name.as_str()]);
    }
    workspace.run_cargo(&args)?;
    let size = |tool: Tool, len: usize| -> Result<i64, String> {
        let path = workspace.binary("release", &app_name(tool, len));
        fs::metadata(&path)
            .map(|m| m.len() as i64)
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    let mut results = Vec::new();
    for history in histories.iter().filter(|h| h.len > 0) {
        results.push(SizeResult {
            len: history.len,
            sql_bytes: history.sql_bytes,
            revchain_growth: size(Tool::Revchain, history.len)? - size(Tool::Revchain, 0)?,
            diesel_growth: size(Tool::Diesel, history.len)? - size(Tool::Diesel, 0)?,
        });
    }
    Ok(results)
}

/// A database for one run: a SQLite file or a fresh PostgreSQL or MySQL
/// database, removed or dropped by [`Database::remove`].
pub struct Database {
    /// The URL (or path) the runner gets.
    pub url: String,
    kind: DatabaseKind,
}

enum DatabaseKind {
    Sqlite(PathBuf),
    Postgres { server: String, name: String },
    Mysql { server: String, name: String },
}

impl Database {
    /// A new, empty database.
    pub fn create(backend: Backend, dir: &Path, server: &str) -> Result<Database, String> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("revchain_bench_{}_{n}", std::process::id());
        match backend {
            Backend::Sqlite => {
                fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                let path = dir.join(format!("{name}.db"));
                remove_sqlite(&path)?;
                Ok(Database {
                    url: path.to_string_lossy().into_owned(),
                    kind: DatabaseKind::Sqlite(path),
                })
            }
            Backend::Postgres => {
                let mut conn = diesel::PgConnection::establish(&format!("{server}/postgres"))
                    .map_err(|e| format!("connecting to {}: {e}", redact_url(server)))?;
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .map_err(|e| format!("creating database {name}: {e}"))?;
                Ok(Database {
                    url: format!("{server}/{name}"),
                    kind: DatabaseKind::Postgres {
                        server: server.to_owned(),
                        name,
                    },
                })
            }
            Backend::Mysql => {
                let mut conn = diesel::MysqlConnection::establish(server)
                    .map_err(|e| format!("connecting to {}: {e}", redact_url(server)))?;
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .map_err(|e| format!("creating database {name}: {e}"))?;
                Ok(Database {
                    url: format!("{server}/{name}"),
                    kind: DatabaseKind::Mysql {
                        server: server.to_owned(),
                        name,
                    },
                })
            }
        }
    }

    /// The database's name on its server (`None` for a SQLite file).
    pub fn name(&self) -> Option<&str> {
        match &self.kind {
            DatabaseKind::Sqlite(_) => None,
            DatabaseKind::Postgres { name, .. } | DatabaseKind::Mysql { name, .. } => Some(name),
        }
    }

    /// Deletes the file, or drops the database.
    pub fn remove(self) -> Result<(), String> {
        match self.kind {
            DatabaseKind::Sqlite(path) => remove_sqlite(&path),
            DatabaseKind::Postgres { server, name } => {
                let mut conn = diesel::PgConnection::establish(&format!("{server}/postgres"))
                    .map_err(|e| format!("connecting to {}: {e}", redact_url(&server)))?;
                conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .map_err(|e| format!("dropping database {name}: {e}"))
            }
            DatabaseKind::Mysql { server, name } => {
                let mut conn = diesel::MysqlConnection::establish(&server)
                    .map_err(|e| format!("connecting to {}: {e}", redact_url(&server)))?;
                conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
                    .map_err(|e| format!("dropping database {name}: {e}"))
            }
        }
    }
}

/// What the `mysql` client needs of a `mysql://user:password@host:port/db`
/// URL: the client takes no URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MysqlAddress {
    /// The host name or address, without IPv6 brackets.
    pub host: String,
    /// The port (3306 when the URL names none).
    pub port: String,
    /// The user, percent-decoded (`root` when the URL names none).
    pub user: String,
    /// The password, percent-decoded, if any: for `MYSQL_PWD`, never a
    /// command line.
    pub password: Option<String>,
    /// The database, if any.
    pub database: Option<String>,
}

impl MysqlAddress {
    /// Reads a `mysql://` URL; the query string, if any, is ignored.
    pub fn parse(url: &str) -> Result<MysqlAddress, String> {
        let rest = url
            .strip_prefix("mysql://")
            .ok_or_else(|| format!("`{}` is not a mysql:// URL", redact_url(url)))?;
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, database) = match rest.split_once('/') {
            Some((authority, database)) => (authority, Some(database)),
            None => (rest, None),
        };
        let (credentials, address) = match authority.rsplit_once('@') {
            Some((credentials, address)) => (Some(credentials), address),
            None => (None, authority),
        };
        let (user, password) = match credentials {
            Some(credentials) => match credentials.split_once(':') {
                Some((user, password)) => (user, Some(percent_decode(password))),
                None => (credentials, None),
            },
            None => ("root", None),
        };
        // `[::1]:3306`, `host:3306`, `host`.
        let (host, port) = match address.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (host, port),
            _ => (address, "3306"),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("`{}` names no host", redact_url(url)));
        }
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "`{}`: the port `{port}` is not a number",
                redact_url(url)
            ));
        }
        Ok(MysqlAddress {
            host: host.to_owned(),
            port: port.to_owned(),
            user: percent_decode(if user.is_empty() { "root" } else { user }),
            password,
            database: database.filter(|d| !d.is_empty()).map(percent_decode),
        })
    }
}

fn remove_sqlite(path: &Path) -> Result<(), String> {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        match fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("{}: {e}", file.display()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether a command-line client is on the `PATH`.
pub fn has_client(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run_raw(backend: Backend, history: &History, db: &Database) -> Result<Duration, String> {
    let mut command = match backend {
        Backend::Sqlite => {
            let mut command = Command::new("sqlite3");
            command.arg("-bail").arg(&db.url).stdin(
                fs::File::open(&history.raw)
                    .map_err(|e| format!("{}: {e}", history.raw.display()))?,
            );
            command
        }
        Backend::Postgres => {
            let mut command = Command::new("psql");
            command
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &db.url, "-f"])
                .arg(&history.raw)
                .stdin(Stdio::null());
            command
        }
        Backend::Mysql => {
            let address = MysqlAddress::parse(&db.url)?;
            let database = address
                .database
                .ok_or_else(|| format!("`{}` names no database", redact_url(&db.url)))?;
            // Batch mode (the script on standard input) stops at the first
            // error and exits with a failure; `--no-defaults` (first, as the
            // client requires) ignores option files, as `psql -X` does.
            let mut command = Command::new("mysql");
            command
                .args(["--no-defaults", "--protocol=tcp", "-h", &address.host])
                .args(["-P", &address.port, "-u", &address.user, &database])
                .stdin(
                    fs::File::open(&history.raw)
                        .map_err(|e| format!("{}: {e}", history.raw.display()))?,
                );
            if let Some(password) = &address.password {
                command.env("MYSQL_PWD", password);
            }
            command
        }
    };
    let started = Instant::now();
    let output = command.stdout(Stdio::null()).output().map_err(|e| {
        format!(
            "starting the {} client `{}`: {e}",
            backend.name(),
            backend.client()
        )
    })?;
    let elapsed = started.elapsed();
    if output.status.success() && output.stderr.is_empty() {
        Ok(elapsed)
    } else {
        Err(format!(
            "the raw script failed ({}): {}",
            output.status,
            tail(&String::from_utf8_lossy(&output.stderr), 10)
        ))
    }
}

/// Settings of measurements 2 and 3 for one backend.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// The backend.
    pub backend: Backend,
    /// Where SQLite files go.
    pub scratch: PathBuf,
    /// The server URL (PostgreSQL or MySQL), without a database; unused on
    /// SQLite.
    pub server: String,
    /// Repetitions of each applier, by history length.
    pub reps: fn(usize) -> usize,
    /// Measurement 2: applying.
    pub apply: bool,
    /// Measurement 3: the startup check.
    pub check: bool,
    /// Histories longer than this are not applied: the check runs on
    /// recorded bookkeeping.
    pub apply_max: usize,
    /// Histories longer than this are applied per revision only (revchain
    /// and diesel), without single-transaction mode and the raw script.
    pub single_max: usize,
    /// Rounds of the check.
    pub check_rounds: u64,
    /// Milliseconds per subject per round.
    pub check_round_ms: u64,
}

/// Measurements 2 and 3 at one size on one backend: applies the history to
/// empty databases with each applier in turn; then takes the last database
/// diesel migrated, lets revchain adopt it (so both tools' bookkeeping is
/// real and at head), and times the startup checks on it. Without
/// measurement 2 (`settings.apply`), the check runs on recorded bookkeeping;
/// each result is `None` when its measurement is off.
pub fn apply_and_check(
    runner: &RunnerKind,
    history: &History,
    settings: &RunSettings,
) -> Result<(Option<ApplyResult>, Option<CheckResult>), String> {
    let backend = settings.backend;
    let raw_client = backend.client();
    let with_raw = settings.apply && has_client(raw_client);
    if settings.apply && !with_raw {
        progress(&format!(
            "note: `{raw_client}` is not installed: no raw measurement"
        ));
    }
    let appliers: Vec<Applier> = Applier::ALL
        .iter()
        .copied()
        .filter(|&a| a != Applier::Raw || with_raw)
        .filter(|&a| a != Applier::RevchainSingle || backend.single_transaction())
        .filter(|&a| {
            history.len <= settings.single_max || matches!(a, Applier::Revchain | Applier::Diesel)
        })
        .filter(|_| settings.apply && history.len <= settings.apply_max)
        .collect();
    let mut samples: [Vec<Duration>; 4] = Default::default();
    let reps = (settings.reps)(history.len).max(1);
    let mut kept: Option<Database> = None;
    for rep in 0..reps {
        for applier in rotated(&appliers, rep) {
            let db = Database::create(backend, &settings.scratch, &settings.server)?;
            let elapsed = match applier {
                Applier::Raw => run_raw(backend, history, &db),
                tool => {
                    let started = Instant::now();
                    runner
                        .run(backend, history, &["apply", tool.name(), &db.url])
                        .map(|_| started.elapsed())
                }
            };
            let elapsed = match elapsed {
                Ok(elapsed) => elapsed,
                Err(error) => {
                    let _ = db.remove();
                    return Err(error);
                }
            };
            progress(&format!(
                "apply {} {}: {} {:.3} s",
                backend.name(),
                history.len,
                applier.name(),
                elapsed.as_secs_f64()
            ));
            samples[Applier::ALL.iter().position(|&a| a == applier).unwrap_or(0)].push(elapsed);
            if applier == Applier::Diesel && rep + 1 == reps && settings.check {
                kept = Some(db);
            } else {
                db.remove()?;
            }
        }
    }
    let apply = settings.apply.then_some(ApplyResult {
        backend,
        len: history.len,
        samples,
    });
    if !settings.check {
        return Ok((apply, None));
    }
    let (db, schema) = match kept {
        Some(db) => (db, true),
        None => {
            let db = Database::create(backend, &settings.scratch, &settings.server)?;
            if let Err(error) = runner.run(backend, history, &["record", &db.url]) {
                let _ = db.remove();
                return Err(error);
            }
            (db, false)
        }
    };
    let checked = check(runner, history, settings, &db, schema);
    let removed = db.remove();
    let check = checked?;
    removed?;
    Ok((apply, Some(check)))
}

fn check(
    runner: &RunnerKind,
    history: &History,
    settings: &RunSettings,
    db: &Database,
    schema: bool,
) -> Result<CheckResult, String> {
    runner.run(settings.backend, history, &["adopt", &db.url])?;
    let output = runner.run(
        settings.backend,
        history,
        &[
            "check",
            &db.url,
            &settings.check_rounds.to_string(),
            &settings.check_round_ms.to_string(),
        ],
    )?;
    let field = |subject: &str| subject_line(&output, subject);
    let result = CheckResult {
        backend: settings.backend,
        len: history.len,
        revchain: field("revchain")?,
        diesel: field("diesel")?,
        floor_select1: field("floor_select1")?,
        floor_same_shape: field("floor_same_shape")?,
        floor_cached: field("floor_cached")?,
        schema,
    };
    progress(&format!(
        "check {} {}: revchain {} ns, diesel {} ns, SELECT 1 {} ns, same query {} ns, prepared {} ns",
        settings.backend.name(),
        history.len,
        result.revchain.0,
        result.diesel.0,
        result.floor_select1.0,
        result.floor_same_shape.0,
        result.floor_cached.0
    ));
    Ok(result)
}

/// The median and the number of calls of `subject` in the output of the
/// runner's `check` or `check-locks` (`<subject> <median_ns> <calls>`).
fn subject_line(output: &str, subject: &str) -> Result<(u64, u64), String> {
    let line = output
        .lines()
        .find(|l| l.split_whitespace().next() == Some(subject))
        .ok_or_else(|| format!("the runner printed no `{subject}` line: {output}"))?;
    let mut words = line.split_whitespace().skip(1);
    let mut number = || -> Result<u64, String> {
        words
            .next()
            .ok_or_else(|| format!("short line `{line}`"))?
            .parse()
            .map_err(|e| format!("`{line}`: {e}"))
    };
    Ok((number()?, number()?))
}

/// Per-call medians (ns) and call counts of `is_at_head` under each lock
/// strategy, on one database at head.
#[derive(Clone, Debug)]
pub struct LockCheckResult {
    /// The backend.
    pub backend: Backend,
    /// Revisions applied.
    pub len: usize,
    /// `lock(LockStrategy::Advisory)`.
    pub advisory: (u64, u64),
    /// `lock(LockStrategy::Table)`.
    pub table: (u64, u64),
    /// `lock(LockStrategy::None)`.
    pub none: (u64, u64),
    /// `SELECT 1 AS value` through `sql_query`.
    pub floor_select1: (u64, u64),
}

/// The startup check with each lock strategy: applies `history` to a fresh
/// database with revchain, then runs the runner's `check-locks` on it (the
/// same timing loop as measurement 3), and drops the database.
pub fn lock_check(
    runner: &RunnerKind,
    history: &History,
    settings: &RunSettings,
) -> Result<LockCheckResult, String> {
    let backend = settings.backend;
    let db = Database::create(backend, &settings.scratch, &settings.server)?;
    let output = runner
        .run(backend, history, &["apply", "revchain", &db.url])
        .and_then(|_| {
            runner.run(
                backend,
                history,
                &[
                    "check-locks",
                    &db.url,
                    &settings.check_rounds.to_string(),
                    &settings.check_round_ms.to_string(),
                ],
            )
        });
    let removed = db.remove();
    let output = output?;
    removed?;
    let result = LockCheckResult {
        backend,
        len: history.len,
        advisory: subject_line(&output, "advisory")?,
        table: subject_line(&output, "table")?,
        none: subject_line(&output, "none")?,
        floor_select1: subject_line(&output, "floor_select1")?,
    };
    progress(&format!(
        "check by lock strategy {} {}: advisory {} ns, table {} ns, none {} ns, SELECT 1 {} ns",
        backend.name(),
        history.len,
        result.advisory.0,
        result.table.0,
        result.none.0,
        result.floor_select1.0
    ));
    Ok(result)
}

/// Decodes `%XX` escapes (invalid UTF-8 becomes U+FFFD).
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_addresses() {
        assert_eq!(
            MysqlAddress::parse("mysql://root@127.0.0.1:3306/revchain_bench_1"),
            Ok(MysqlAddress {
                host: "127.0.0.1".to_owned(),
                port: "3306".to_owned(),
                user: "root".to_owned(),
                password: None,
                database: Some("revchain_bench_1".to_owned()),
            })
        );
        let full = MysqlAddress::parse("mysql://app:p%40ss:w@[::1]/db?ssl_mode=DISABLED");
        assert_eq!(
            full,
            Ok(MysqlAddress {
                host: "::1".to_owned(),
                port: "3306".to_owned(),
                user: "app".to_owned(),
                password: Some("p@ss:w".to_owned()),
                database: Some("db".to_owned()),
            })
        );
        let bare = MysqlAddress::parse("mysql://db.example").map(|a| (a.user, a.database));
        assert_eq!(bare, Ok(("root".to_owned(), None)));
        let error = MysqlAddress::parse("mysql://app:s3cret@host:port/db").unwrap_err();
        assert!(
            error.contains("port") && !error.contains("s3cret"),
            "{error}"
        );
        assert!(MysqlAddress::parse("postgres://x").is_err());
    }

    #[test]
    fn subject_lines() {
        let output = "advisory 120 40\ntable 118 41\n";
        assert_eq!(subject_line(output, "table"), Ok((118, 41)));
        assert!(subject_line(output, "none").is_err());
        assert!(subject_line("table 1\n", "table").is_err());
    }

    #[test]
    fn rotation() {
        assert_eq!(rotated(&[1, 2, 3], 0), vec![1, 2, 3]);
        assert_eq!(rotated(&[1, 2, 3], 1), vec![2, 3, 1]);
        assert_eq!(rotated(&[1, 2, 3], 4), vec![2, 3, 1]);
    }
}
