//! The command line.
//!
//! ```text
//! revchain-bench all   [options]   everything; rewrites BENCHMARKS.md and the chart
//! revchain-bench smoke [options]   100 revisions, applying and checking only,
//!                                  with the histories loaded at run time;
//!                                  writes under target/bench/smoke/
//! revchain-bench deployments [--reps N] [--smoke] …
//!                                  issue 12's benchmarks: the startup check
//!                                  with each lock strategy, applying through
//!                                  PgBouncer and on Galera; writes
//!                                  tests/bench/DEPLOYMENTS.md and its section
//!                                  of BENCHMARKS.md (see [`crate::deployments`])
//! revchain-bench stairway [--size 1000] [--reps 3] [--mysql]
//!                                  issue 16's benchmark: `revchain test`'s
//!                                  stairway against a plain upgrade (see
//!                                  [`crate::stairway`])
//! revchain-bench import [--smoke] [--reps N]
//!                                  `revchain import --from diesel` of the
//!                                  1,000-revision history (see [`crate::import`])
//! revchain-bench generate [--sizes 100,1000]
//! revchain-bench runner-loaded <revchain-dir> <diesel-dir> <runner command…>
//!
//! options:
//!   --sizes 100,1000,10000   history sizes
//!   --postgres-sizes …       sizes also measured on PostgreSQL (default: all)
//!   --mysql-sizes …          sizes also measured on MySQL (default: all)
//!   --only build,apply,check,size
//!                            only these measurements (1 build cost,
//!                            2 applying, 3 the startup check, 4 binary
//!                            size); without 2, the check runs on recorded
//!                            bookkeeping. `--only apply`: applying alone
//!   --no-build               skip measurement 1 (build cost)
//!   --no-size                skip measurement 4 (binary size)
//!   --no-postgres            no PostgreSQL
//!   --no-mysql               no MySQL
//!   --build-reps N           repetitions of each build (default 7)
//!   --sqlite-apply-max N     longest history applied on SQLite (default 1000)
//!   --postgres-apply-max N   longest history applied on PostgreSQL (default 10000)
//!   --mysql-apply-max N      longest history applied on MySQL (default 1000);
//!                            longer ones are checked on recorded bookkeeping
//!   --single-max N           longest history applied in one transaction
//!                            and as a raw script on SQLite (default 1000)
//!   --postgres-single-max N  the same on PostgreSQL (default 100)
//!   --report PATH            where the Markdown report goes
//!   --chart PATH             where the SVG chart goes
//! ```
//!
//! `REVCHAIN_TEST_POSTGRES_URL` names the PostgreSQL server (default
//! `postgres://postgres@127.0.0.1:5432`) and `REVCHAIN_TEST_MYSQL_URL` the
//! MySQL or MariaDB server (default `mysql://root@127.0.0.1:3306`); each run
//! gets a fresh database, dropped afterwards. A server that cannot be
//! reached is skipped with a note in the report, or fails the run when `CI`
//! is set. MySQL is measured for information: the targets are for SQLite and
//! PostgreSQL. revchain refuses single-transaction mode on MySQL (which
//! commits every DDL statement at once), so that applier is not run there.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use diesel_migrations::FileBasedMigrations;
use revchain::cli::redact_url;

use crate::history::{self, History};
use crate::measure::{self, Backend, RunSettings, RunnerKind, progress};
use crate::report::{self, Results};
use crate::workspace::{Workspace, runner_name};

/// What `all` and `smoke` do.
#[derive(Clone, Debug)]
pub struct Options {
    /// History sizes.
    pub sizes: Vec<usize>,
    /// Sizes also measured on PostgreSQL.
    pub postgres_sizes: Option<Vec<usize>>,
    /// Sizes also measured on MySQL.
    pub mysql_sizes: Option<Vec<usize>>,
    /// Measurement 1.
    pub build: bool,
    /// Measurement 2.
    pub apply: bool,
    /// Measurement 3.
    pub check: bool,
    /// Measurement 4.
    pub size: bool,
    /// PostgreSQL at all.
    pub postgres: bool,
    /// MySQL (or MariaDB) at all.
    pub mysql: bool,
    /// Repetitions of each build.
    pub build_reps: usize,
    /// The generated runners (embedded histories), or this binary with the
    /// histories loaded at run time.
    pub embedded: bool,
    /// The Markdown report.
    pub report: PathBuf,
    /// The SVG chart.
    pub chart: PathBuf,
    /// The full run (repetitions as documented) or the smoke run (one each).
    pub smoke: bool,
    /// SQLite histories longer than this are not applied (SQLite's DDL cost
    /// grows with the schema: quadratic in total).
    pub sqlite_apply_max: usize,
    /// PostgreSQL histories longer than this are not applied.
    pub postgres_apply_max: usize,
    /// MySQL histories longer than this are not applied (each `CREATE`
    /// commits and syncs on its own: 10,000 revisions would take too long);
    /// the check runs on recorded bookkeeping there, as on SQLite.
    pub mysql_apply_max: usize,
    /// Longer histories are applied per revision only: in one transaction,
    /// PostgreSQL runs out of lock slots (`max_locks_per_transaction`).
    pub single_max: usize,
    /// The same on PostgreSQL: 1,000 revisions in one transaction need
    /// about 4,000 relation locks (a table, its index, its TOAST table and
    /// index each), close to a default server's 6,400 (64
    /// `max_locks_per_transaction` × 100 connections), which every session
    /// shares: a run failed with "out of shared memory" at revision 975
    /// while another ran on the same server.
    pub postgres_single_max: usize,
}

/// The entry point of `revchain-bench`.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root: this crate is `tests/bench` in it.
pub(crate) fn repo_root() -> Result<PathBuf, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    root.canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))
}

fn dispatch(args: &[String]) -> Result<(), String> {
    let root = repo_root()?;
    match args.first().map(String::as_str) {
        Some("runner-loaded") => runner_loaded(&args[1..]),
        Some("import") => crate::import::run(&root, &args[1..]),
        Some("import-once") => crate::import::once(&args[1..]),
        Some("generate") => {
            let options = parse(&root, &args[1..], false)?;
            generate(&root, &options.sizes).map(drop)
        }
        Some("all") => all(&root, &parse(&root, &args[1..], false)?),
        Some("smoke") => all(&root, &parse(&root, &args[1..], true)?),
        Some("stairway") => crate::stairway::run(&root, &args[1..]),
        Some("deployments") => {
            crate::deployments::run(&root, &crate::deployments::parse(&root, &args[1..])?)
        }
        _ => Err(format!(
            "usage: revchain-bench all|smoke|deployments|stairway|import|generate [options] (see tests/bench/src/cli.rs); got {args:?}"
        )),
    }
}

/// The options of `all` (or `smoke`) from its arguments.
pub(crate) fn parse(root: &Path, args: &[String], smoke: bool) -> Result<Options, String> {
    let bench = root.join("target/bench");
    let mut options = Options {
        sizes: if smoke {
            vec![100]
        } else {
            vec![100, 1_000, 10_000]
        },
        postgres_sizes: None,
        mysql_sizes: None,
        build: !smoke,
        apply: true,
        check: true,
        size: !smoke,
        postgres: true,
        mysql: true,
        build_reps: if smoke { 1 } else { 7 },
        embedded: !smoke,
        report: if smoke {
            bench.join("smoke/BENCHMARKS.md")
        } else {
            root.join("BENCHMARKS.md")
        },
        chart: if smoke {
            bench.join("smoke/chart.svg")
        } else {
            root.join("tests/bench/chart.svg")
        },
        smoke,
        sqlite_apply_max: 1_000,
        postgres_apply_max: 10_000,
        mysql_apply_max: 1_000,
        single_max: 1_000,
        postgres_single_max: 100,
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = |name: &str| {
            iter.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--sizes" => options.sizes = sizes(&value("--sizes")?)?,
            "--postgres-sizes" => {
                options.postgres_sizes = Some(sizes(&value("--postgres-sizes")?)?)
            }
            "--mysql-sizes" => options.mysql_sizes = Some(sizes(&value("--mysql-sizes")?)?),
            "--only" => {
                let list = value("--only")?;
                options.build = false;
                options.apply = false;
                options.check = false;
                options.size = false;
                for name in list.split(',').map(str::trim) {
                    match name {
                        "build" => options.build = true,
                        "apply" => options.apply = true,
                        "check" => options.check = true,
                        "size" => options.size = true,
                        other => {
                            return Err(format!(
                                "--only: unknown measurement `{other}` (build, apply, check, size)"
                            ));
                        }
                    }
                }
            }
            "--no-build" => options.build = false,
            "--no-size" => options.size = false,
            "--no-postgres" => options.postgres = false,
            "--no-mysql" => options.mysql = false,
            "--build-reps" => {
                options.build_reps = value("--build-reps")?
                    .parse()
                    .map_err(|e| format!("--build-reps: {e}"))?
            }
            "--sqlite-apply-max" => options.sqlite_apply_max = number(&value(arg)?, arg)?,
            "--postgres-apply-max" => options.postgres_apply_max = number(&value(arg)?, arg)?,
            "--mysql-apply-max" => options.mysql_apply_max = number(&value(arg)?, arg)?,
            "--single-max" => options.single_max = number(&value(arg)?, arg)?,
            "--postgres-single-max" => options.postgres_single_max = number(&value(arg)?, arg)?,
            "--report" => options.report = PathBuf::from(value("--report")?),
            "--chart" => options.chart = PathBuf::from(value("--chart")?),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(options)
}

fn number(text: &str, option: &str) -> Result<usize, String> {
    text.replace('_', "")
        .parse()
        .map_err(|e| format!("{option}: {e}"))
}

fn sizes(text: &str) -> Result<Vec<usize>, String> {
    text.split(',')
        .map(|s| {
            s.trim()
                .replace('_', "")
                .parse::<usize>()
                .map_err(|e| format!("size `{s}`: {e}"))
                .and_then(|n| {
                    if n == 0 {
                        Err("sizes start at 1".to_owned())
                    } else {
                        Ok(n)
                    }
                })
        })
        .collect()
}

/// Generates the histories of `sizes`, and the empty one.
pub(crate) fn generate(root: &Path, sizes: &[usize]) -> Result<Vec<History>, String> {
    let dir = root.join("target/bench/histories");
    let mut histories = Vec::new();
    for &len in std::iter::once(&0).chain(sizes) {
        let started = Instant::now();
        histories.push(history::generate(&dir, len)?);
        progress(&format!(
            "history of {len} revisions in {} ({:.1} s)",
            dir.display(),
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(histories)
}

/// Repetitions of each applier on SQLite, by history length.
fn sqlite_reps(len: usize) -> usize {
    match len {
        0..=100 => 9,
        101..=1_000 => 5,
        _ => 3,
    }
}

/// Repetitions of each applier on PostgreSQL, by history length. Runs of
/// the same tool on the same history vary by 2x on a shared machine (the
/// server's DDL dominates, and competes with other builds for the CPU):
/// 7, 3 and 1 repetitions left the ratios to diesel inside that noise.
/// These cost about 6 more minutes than those on the full run.
fn postgres_reps(len: usize) -> usize {
    match len {
        0..=100 => 15,
        101..=1_000 => 7,
        _ => 3,
    }
}

/// Repetitions of each applier on MySQL, by history length (informational:
/// no target rides on it). Longer histories than 1,000 are not applied by
/// default (`--mysql-apply-max`).
fn mysql_reps(len: usize) -> usize {
    match len {
        0..=100 => 9,
        101..=1_000 => 5,
        _ => 3,
    }
}

fn once(_: usize) -> usize {
    1
}

fn all(root: &Path, options: &Options) -> Result<(), String> {
    let started = Instant::now();
    let bench = root.join("target/bench");
    let histories = generate(root, &options.sizes)?;
    let measured: Vec<&History> = histories.iter().filter(|h| h.len > 0).collect();
    let mut results = Results::new(options.clone());
    let backends = backends(options, &mut results)?;
    let runners = options.embedded && (options.apply || options.check);
    if options.build || options.size || runners {
        let workspace = Workspace::generate(root, &bench, &histories, runners)?;
        if options.build {
            results.build = measure::build_cost(&workspace, &histories, options.build_reps)?;
        }
        if options.size {
            results.size = measure::binary_size(&workspace, &histories)?;
        }
        if runners {
            // One cargo invocation per backend: cargo unifies the features
            // of the packages it builds together, and each backend's
            // runners must link that backend only.
            for &backend in &backends {
                progress(&format!(
                    "building the {} runners (release)",
                    backend.name()
                ));
                let mut args = vec!["build", "--quiet", "--release"];
                let names: Vec<String> = measured
                    .iter()
                    .map(|h| runner_name(backend, h.len))
                    .collect();
                for name in &names {
                    args.extend(["-p", name.as_str()]);
                }
                workspace.run_cargo(&args)?;
            }
            results.runner = RunnerKind::Embedded(workspace);
        }
    }
    if !options.embedded {
        let exe = std::env::current_exe().map_err(|e| format!("finding this binary: {e}"))?;
        results.runner = RunnerKind::Loaded(exe);
    }
    for backend in backends {
        if !(options.apply || options.check) {
            break;
        }
        let settings = RunSettings {
            backend,
            scratch: bench.join("db"),
            server: match backend {
                Backend::Sqlite => String::new(),
                Backend::Postgres => postgres_server_url(),
                Backend::Mysql => mysql_server_url(),
            },
            reps: match (options.smoke, backend) {
                (true, _) => once,
                (false, Backend::Sqlite) => sqlite_reps,
                (false, Backend::Postgres) => postgres_reps,
                (false, Backend::Mysql) => mysql_reps,
            },
            apply: options.apply,
            check: options.check,
            apply_max: match backend {
                Backend::Sqlite => options.sqlite_apply_max,
                Backend::Postgres => options.postgres_apply_max,
                Backend::Mysql => options.mysql_apply_max,
            },
            single_max: match backend {
                Backend::Sqlite => options.single_max,
                Backend::Postgres => options.postgres_single_max,
                // revchain has no single-transaction mode there, and the
                // raw script's `BEGIN` holds no locks across `CREATE`s (each
                // commits): the raw script runs at every applied size.
                Backend::Mysql => usize::MAX,
            },
            check_rounds: if options.smoke { 3 } else { 15 },
            check_round_ms: if options.smoke { 20 } else { 40 },
        };
        let only = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => options.postgres_sizes.as_ref(),
            Backend::Mysql => options.mysql_sizes.as_ref(),
        };
        for history in &measured {
            if only.is_some_and(|sizes| !sizes.contains(&history.len)) {
                continue;
            }
            let (apply, check) = measure::apply_and_check(&results.runner, history, &settings)?;
            results.apply.extend(apply);
            results.check.extend(check);
        }
    }
    results.elapsed = started.elapsed();
    report::write(root, &results)?;
    progress(&format!(
        "wrote {} and {} in {:.0} s",
        options.report.display(),
        options.chart.display(),
        results.elapsed.as_secs_f64()
    ));
    Ok(())
}

/// The backends to measure: SQLite, and PostgreSQL and MySQL unless turned
/// off or unreachable (an error with `CI` set, else a note in the report).
fn backends(options: &Options, results: &mut Results) -> Result<Vec<Backend>, String> {
    let mut backends = vec![Backend::Sqlite];
    if options.postgres {
        let server = postgres_server_url();
        let reached =
            <diesel::PgConnection as diesel::Connection>::establish(&format!("{server}/postgres"))
                .map(drop);
        server_reached(Backend::Postgres, &server, reached, &mut backends, results)?;
    }
    if options.mysql {
        let server = mysql_server_url();
        let reached = <diesel::MysqlConnection as diesel::Connection>::establish(&server).map(drop);
        server_reached(Backend::Mysql, &server, reached, &mut backends, results)?;
    }
    Ok(backends)
}

/// Adds `backend` if its server was reached; else fails with `CI` set, or
/// notes the skip (on standard error and in the report).
fn server_reached(
    backend: Backend,
    server: &str,
    reached: diesel::ConnectionResult<()>,
    backends: &mut Vec<Backend>,
    results: &mut Results,
) -> Result<(), String> {
    let shown = redact_url(server);
    match reached {
        Ok(()) => backends.push(backend),
        Err(error) => {
            if std::env::var_os("CI").is_some() {
                return Err(format!(
                    "{} at {shown} is unreachable and CI is set: {error}",
                    backend.name()
                ));
            }
            progress(&format!(
                "note: {} at {shown} is unreachable, skipped: {error}",
                backend.name()
            ));
            results.notes.push(format!(
                "{} at `{shown}` was unreachable: not measured.",
                backend.name()
            ));
        }
    }
    Ok(())
}

/// The PostgreSQL server, without a database: `REVCHAIN_TEST_POSTGRES_URL`,
/// as for the tests.
pub fn postgres_server_url() -> String {
    std::env::var("REVCHAIN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// The MySQL or MariaDB server, without a database:
/// `REVCHAIN_TEST_MYSQL_URL`, as for the tests.
pub fn mysql_server_url() -> String {
    std::env::var("REVCHAIN_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned())
}

/// `runner-loaded <revchain-dir> <diesel-dir> <command…>`: the runner with
/// the history read at run time.
fn runner_loaded(args: &[String]) -> Result<(), String> {
    let [revchain_dir, diesel_dir, rest @ ..] = args else {
        return Err("usage: runner-loaded <revchain-dir> <diesel-dir> <command…>".to_owned());
    };
    let revisions = revchain::Revisions::load(Path::new(revchain_dir), "migrations")
        .map_err(|defects| defects.to_string())?;
    let migrations =
        FileBasedMigrations::from_path(diesel_dir).map_err(|e| format!("{diesel_dir}: {e}"))?;
    let output = revchain_bench_runner::run(rest, &revisions, &migrations)?;
    print!("{output}");
    Ok(())
}
