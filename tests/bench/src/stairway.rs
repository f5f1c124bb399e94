//! `revchain-bench stairway`: issue 16's benchmark. The stairway of
//! `revchain test` (each revision upgraded, downgraded and upgraded again,
//! the schema read twice per revision and compared, then head to base)
//! against a plain upgrade from base to head of the same history, on
//! SQLite and PostgreSQL (MySQL with `--mysql`, for information). Target:
//! at most 3.5×.
//!
//! ```text
//! revchain-bench stairway [--size 1000] [--reps 3] [--mysql] [--no-postgres] [--no-sqlite]
//!                          [--sqlite-dir DIR]
//! ```
//!
//! `--sqlite-dir` puts the SQLite files elsewhere than
//! `target/bench/stairway` (on a tmpfs such as `/dev/shm`, to time the
//! work without the disk's flushes). The section is written to
//! `tests/bench/STAIRWAY.md` only with the default directory.
//!
//! The history is the benchmark's synthetic one (`target/bench/histories`),
//! loaded at run time; each measurement gets a fresh database. Each run
//! times the plain upgrade and the stairway back to back, in alternating
//! order (upgrade first in odd runs, stairway first in even ones), and the
//! ratio reported is the median of the runs' own ratios: on a shared
//! machine the disk's latency drifts over tens of seconds, and a ratio of
//! two medians taken at different times would carry that drift. Prints a
//! Markdown table for BENCHMARKS.md on stdout.

use std::path::Path;
use std::time::{Duration, Instant};

use diesel::Connection;
use revchain::testing::{Stairway, StairwayTime};
use revchain::{Migrator, Revisions};

use crate::history;
use crate::measure::{Backend, Database, progress};
use crate::stats::median;

/// A connection to the benchmark's database.
enum Conn {
    Sqlite(diesel::SqliteConnection),
    Postgres(diesel::PgConnection),
    Mysql(diesel::MysqlConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection.
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            Conn::Sqlite($c) => $body,
            Conn::Postgres($c) => $body,
            Conn::Mysql($c) => $body,
        }
    };
}

/// One backend's results.
struct Row {
    backend: Backend,
    /// The median upgrade.
    upgrade: Duration,
    /// The median stairway.
    stairway: Duration,
    /// Each run's stairway over its upgrade, sorted.
    ratios: Vec<f64>,
    /// The breakdown of the run whose ratio is the median (the lower
    /// middle of an even count), and that run's stairway.
    time: StairwayTime,
    breakdown_total: Duration,
}

/// Runs the benchmark with its arguments.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut size = 1_000;
    let mut reps = 3;
    let mut backends = vec![Backend::Sqlite, Backend::Postgres];
    let mut sqlite_dir = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = |name: &str| -> Result<usize, String> {
            iter.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--size" => size = value("--size")?,
            "--reps" => reps = value("--reps")?.max(1),
            "--mysql" => backends.push(Backend::Mysql),
            "--no-postgres" => backends.retain(|b| *b != Backend::Postgres),
            "--no-sqlite" => backends.retain(|b| *b != Backend::Sqlite),
            "--sqlite-dir" => {
                let dir = iter.next().ok_or("--sqlite-dir needs a directory")?;
                sqlite_dir = Some(std::path::PathBuf::from(dir));
            }
            other => {
                return Err(format!(
                    "unknown option `{other}` (see tests/bench/src/stairway.rs)"
                ));
            }
        }
    }
    let history = history::generate(&root.join("target/bench/histories"), size)?;
    let revisions =
        Revisions::load(&history.revchain, "migrations").map_err(|defects| defects.to_string())?;
    let default_dir = sqlite_dir.is_none();
    let dir = sqlite_dir.unwrap_or_else(|| root.join("target/bench/stairway"));
    let mut rows = Vec::new();
    for backend in backends {
        let server = match backend {
            Backend::Sqlite => String::new(),
            Backend::Postgres => std::env::var("REVCHAIN_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned()),
            Backend::Mysql => std::env::var("REVCHAIN_TEST_MYSQL_URL")
                .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned()),
        };
        let (mut upgrades, mut stairways, mut times) = (Vec::new(), Vec::new(), Vec::new());
        for rep in 0..reps {
            let upgrade = || {
                measure(backend, &dir, &server, |conn| {
                    on_conn!(conn, |c| Migrator::new(&revisions)
                        .upgrade(c, "head")
                        .map(drop)
                        .map_err(|e| e.to_string()))
                })
            };
            let mut time = StairwayTime::default();
            let mut stairway = || {
                measure(backend, &dir, &server, |conn| {
                    let report = on_conn!(conn, |c| Stairway::new(&revisions).run(c))
                        .map_err(|e| e.to_string())?;
                    if !report.is_ok() {
                        return Err(format!("the stairway failed: {report}"));
                    }
                    time = report.time;
                    Ok(())
                })
            };
            let (upgrade, stairway) = if rep % 2 == 0 {
                let upgrade = upgrade()?;
                (upgrade, stairway()?)
            } else {
                let stairway = stairway()?;
                (upgrade()?, stairway)
            };
            progress(&format!(
                "stairway of {size} revisions on {}, run {}: upgrade {:.2} s, stairway {:.2} s ({:.2}×)",
                backend.name(),
                rep + 1,
                upgrade.as_secs_f64(),
                stairway.as_secs_f64(),
                stairway.as_secs_f64() / upgrade.as_secs_f64()
            ));
            upgrades.push(upgrade);
            stairways.push(stairway);
            times.push(time);
        }
        let ratio = |i: usize| stairways[i].as_secs_f64() / upgrades[i].as_secs_f64().max(1e-9);
        let mut order: Vec<usize> = (0..stairways.len()).collect();
        order.sort_by(|a, b| ratio(*a).total_cmp(&ratio(*b)));
        // The run whose ratio is the median (the lower middle of an even
        // count).
        let middle = order[(order.len() - 1) / 2];
        rows.push(Row {
            backend,
            upgrade: median(&upgrades).unwrap_or_default(),
            stairway: median(&stairways).unwrap_or_default(),
            ratios: order.iter().map(|i| ratio(*i)).collect(),
            time: times[middle],
            breakdown_total: stairways[middle],
        });
    }
    let section = section(size, reps, &rows);
    if default_dir {
        let path = root.join("tests/bench/STAIRWAY.md");
        std::fs::write(&path, &section).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    println!("{section}");
    Ok(())
}

/// The section of BENCHMARKS.md (`tests/bench/STAIRWAY.md`, which
/// `run.sh`'s report includes).
fn section(size: usize, reps: usize, rows: &[Row]) -> String {
    format!(
        "## The stairway (`revchain test`)\n\n\
         ```sh\ncargo build --release -p revchain-bench && target/release/revchain-bench stairway --size {size} --reps {reps}\n```\n\n\
         The stairway of the benchmark's {size}-revision history (each revision upgraded, downgraded and upgraded again; per revision the list of tables and the tables its SQL names read twice and compared; then head to base in batches of 100 revisions per transaction) against a plain `Migrator::upgrade(\"head\")` of the same history, each on a fresh database, in one process (`Revisions::load`, release build), wall time; {reps} runs, each timing the two back to back in alternating order; the ratio is the median of the runs' own ratios, and the breakdown (`StairwayReport::time`) is that of the run whose ratio is the median. Target: at most 3.5×.\n\n{}\n\
         Where the time goes: the last four columns, for the run whose ratio is the median. Applying is three steps per revision, the checks of a run made once per stairway; reading the schema is, per revision, twice the list of tables and the definition of the tables its SQL names.\n\n\
         What changed since the first measurement, and why SQLite on a tmpfs costs more: [Findings](#the-stairway-issue-16-where-its-time-goes-and-what-brought-it-under-35).\n",
        table(size, reps, rows)
    )
}

/// Times `f` on a fresh database of `backend`, which is removed afterwards.
fn measure(
    backend: Backend,
    dir: &Path,
    server: &str,
    f: impl FnOnce(&mut Conn) -> Result<(), String>,
) -> Result<Duration, String> {
    let database = Database::create(backend, dir, server)?;
    let url = database.url.clone();
    let connect =
        |e: diesel::ConnectionError| format!("connecting to the benchmark's database: {e}");
    let mut conn = match backend {
        Backend::Sqlite => {
            Conn::Sqlite(diesel::SqliteConnection::establish(&url).map_err(connect)?)
        }
        Backend::Postgres => {
            Conn::Postgres(diesel::PgConnection::establish(&url).map_err(connect)?)
        }
        Backend::Mysql => Conn::Mysql(diesel::MysqlConnection::establish(&url).map_err(connect)?),
    };
    let started = Instant::now();
    let result = f(&mut conn);
    let elapsed = started.elapsed();
    drop(conn);
    database.remove()?;
    result.map(|()| elapsed)
}

/// The median of `sorted`.
fn median_of(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The Markdown table.
fn table(size: usize, reps: usize, rows: &[Row]) -> String {
    let s = |d: Duration| format!("{:.2} s", d.as_secs_f64());
    let share = |part: Duration, whole: Duration| {
        format!(
            "{} ({:.0} %)",
            s(part),
            100.0 * part.as_secs_f64() / whole.as_secs_f64().max(1e-9)
        )
    };
    let mut out = format!(
        "| {size} revisions, {reps} runs | upgrade base → head (median) | stairway (median) | ratio: median of the runs' (target ≤ 3.5×) | the runs' ratios | upgrading | downgrading | reading the schema | comparing |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
    );
    for row in rows {
        let ratios: Vec<String> = row.ratios.iter().map(|r| format!("{r:.2}")).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {:.2}× | {} | {} | {} | {} | {} |\n",
            row.backend.name(),
            s(row.upgrade),
            s(row.stairway),
            median_of(&row.ratios),
            ratios.join(", "),
            share(row.time.upgrading, row.breakdown_total),
            share(row.time.downgrading, row.breakdown_total),
            share(row.time.introspecting, row.breakdown_total),
            share(row.time.comparing, row.breakdown_total),
        ));
    }
    out
}
