//! `revchain-bench stairway`: issue 16's benchmark. The stairway of
//! `revchain test` (each revision upgraded, downgraded and upgraded again,
//! the schema read twice per revision and compared, then head to base)
//! against a plain upgrade from base to head of the same history, on
//! SQLite and PostgreSQL (MySQL with `--mysql`, for information). Target:
//! at most 3.5×.
//!
//! ```text
//! revchain-bench stairway [--size 1000] [--reps 3] [--mysql] [--no-postgres] [--no-sqlite]
//! ```
//!
//! The history is the benchmark's synthetic one (`target/bench/histories`),
//! loaded at run time; each measurement gets a fresh database. Prints a
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

/// One backend's medians.
struct Row {
    backend: Backend,
    upgrade: Duration,
    stairway: Duration,
    time: StairwayTime,
}

/// Runs the benchmark with its arguments.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut size = 1_000;
    let mut reps = 3;
    let mut backends = vec![Backend::Sqlite, Backend::Postgres];
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
    let dir = root.join("target/bench/stairway");
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
            let upgrade = measure(backend, &dir, &server, |conn| {
                on_conn!(conn, |c| Migrator::new(&revisions)
                    .upgrade(c, "head")
                    .map(drop)
                    .map_err(|e| e.to_string()))
            })?;
            let mut time = StairwayTime::default();
            let stairway = measure(backend, &dir, &server, |conn| {
                let report = on_conn!(conn, |c| Stairway::new(&revisions).run(c))
                    .map_err(|e| e.to_string())?;
                if !report.is_ok() {
                    return Err(format!("the stairway failed: {report}"));
                }
                time = report.time;
                Ok(())
            })?;
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
        let stairway = median(&stairways).unwrap_or_default();
        // The breakdown of the run whose total is the median.
        let time = stairways
            .iter()
            .position(|s| *s == stairway)
            .map(|i| times[i])
            .unwrap_or_default();
        rows.push(Row {
            backend,
            upgrade: median(&upgrades).unwrap_or_default(),
            stairway,
            time,
        });
    }
    let section = section(size, reps, &rows);
    let path = root.join("tests/bench/STAIRWAY.md");
    std::fs::write(&path, &section).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("{section}");
    Ok(())
}

/// The section of BENCHMARKS.md (`tests/bench/STAIRWAY.md`, which
/// `run.sh`'s report includes).
fn section(size: usize, reps: usize, rows: &[Row]) -> String {
    format!(
        "## The stairway (`revchain test`)\n\n\
         ```sh\ncargo build --release -p revchain-bench && target/release/revchain-bench stairway --size {size} --reps {reps}\n```\n\n\
         The stairway of the benchmark's {size}-revision history (each revision upgraded, downgraded and upgraded again; per revision the list of tables and the tables its SQL names read twice and compared; then head to base in batches of 100 revisions per transaction) against a plain `Migrator::upgrade(\"head\")` of the same history, each on a fresh database, in one process (`Revisions::load`, release build), wall time; the median of {reps} runs, and the breakdown of the median run (`StairwayReport::time`). Target: at most 3.5×.\n\n{}\n\
         Where the time goes: the columns after the ratio, for the median run. Applying is three steps per revision, the checks of a run made once per stairway; reading the schema is, per revision, twice the list of tables and the definition of the tables its SQL names.\n",
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
        "| {size} revisions (median of {reps}) | upgrade base → head | stairway | ratio (target ≤ 3.5×) | upgrading | downgrading | reading the schema | comparing |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n"
    );
    for row in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {:.2}× | {} | {} | {} | {} |\n",
            row.backend.name(),
            s(row.upgrade),
            s(row.stairway),
            row.stairway.as_secs_f64() / row.upgrade.as_secs_f64().max(1e-9),
            share(row.time.upgrading, row.stairway),
            share(row.time.downgrading, row.stairway),
            share(row.time.introspecting, row.stairway),
            share(row.time.comparing, row.stairway),
        ));
    }
    out
}
