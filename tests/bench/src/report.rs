//! `BENCHMARKS.md` and the chart, from the samples.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use diesel::{Connection, QueryableByName, RunQueryDsl};

use crate::chart::{self, Panel, Series};
use crate::cli::{Options, mysql_server_url, postgres_server_url};
use crate::measure::{
    Applier, ApplyResult, Backend, BuildResult, CheckResult, RunnerKind, SizeResult,
};
use crate::stats::median;

/// Everything one run measured.
#[derive(Debug)]
pub struct Results {
    /// How it ran.
    pub options: Options,
    /// Measurement 1.
    pub build: Vec<BuildResult>,
    /// Measurement 2.
    pub apply: Vec<ApplyResult>,
    /// Measurement 3.
    pub check: Vec<CheckResult>,
    /// Measurement 4.
    pub size: Vec<SizeResult>,
    /// The runner used for 2 and 3.
    pub runner: RunnerKind,
    /// Anything to say in the report (a backend skipped, …).
    pub notes: Vec<String>,
    /// How long the whole run took.
    pub elapsed: Duration,
}

impl Results {
    /// No samples yet.
    pub fn new(options: Options) -> Self {
        Results {
            options,
            build: Vec::new(),
            apply: Vec::new(),
            check: Vec::new(),
            size: Vec::new(),
            runner: RunnerKind::Loaded(PathBuf::new()),
            notes: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }
}

/// Whether a target was met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Met,
    Missed,
    NotMeasured,
}

impl Verdict {
    fn of(ok: Option<bool>) -> Verdict {
        match ok {
            Some(true) => Verdict::Met,
            Some(false) => Verdict::Missed,
            None => Verdict::NotMeasured,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Verdict::Met => "**met**",
            Verdict::Missed => "**missed**",
            Verdict::NotMeasured => "not measured",
        }
    }
}

pub(crate) fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 {
        format!("{s:.1} s")
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.1} ms", s * 1e3)
    }
}

pub(crate) fn micros(ns: u64) -> String {
    let us = ns as f64 / 1e3;
    if us >= 100.0 {
        format!("{us:.0} µs")
    } else {
        format!("{us:.1} µs")
    }
}

/// `n` with a comma between groups of three digits, as the text writes
/// sizes: `10,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut text = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

pub(crate) fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0 && a.is_finite()).then(|| a / b)
}

pub(crate) fn ratio_text(r: Option<f64>) -> String {
    r.map_or_else(|| "–".to_owned(), |r| format!("{r:.2}×"))
}

fn med(samples: &[Duration]) -> Option<Duration> {
    median(samples)
}

fn dur_ratio(a: &[Duration], b: &[Duration]) -> Option<f64> {
    ratio(med(a)?.as_secs_f64(), med(b)?.as_secs_f64())
}

fn bytes(n: i64) -> String {
    let abs = n.unsigned_abs() as f64;
    let sign = if n < 0 { "-" } else { "" };
    if abs >= 1024.0 * 1024.0 {
        format!("{sign}{:.2} MiB", abs / 1024.0 / 1024.0)
    } else {
        format!("{sign}{:.1} KiB", abs / 1024.0)
    }
}

pub(crate) fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn proc_field(file: &str, key: &str) -> Option<String> {
    let text = fs::read_to_string(file).ok()?;
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_once([':', '=']))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
}

#[derive(QueryableByName)]
struct VersionText {
    #[diesel(sql_type = diesel::sql_types::Text)]
    version: String,
}

fn postgres_version(server: &str) -> Option<String> {
    let mut conn = diesel::PgConnection::establish(&format!("{server}/postgres")).ok()?;
    let rows: Vec<VersionText> =
        diesel::sql_query("SELECT CAST(current_setting('server_version') AS TEXT) AS version")
            .load(&mut conn)
            .ok()?;
    rows.into_iter().next().map(|r| r.version)
}

fn mysql_version(server: &str) -> Option<String> {
    let mut conn = diesel::MysqlConnection::establish(server).ok()?;
    let rows: Vec<VersionText> = diesel::sql_query("SELECT CAST(VERSION() AS CHAR) AS version")
        .load(&mut conn)
        .ok()?;
    rows.into_iter().next().map(|r| r.version)
}

fn sqlite_version() -> Option<String> {
    let mut conn = diesel::SqliteConnection::establish(":memory:").ok()?;
    let rows: Vec<VersionText> = diesel::sql_query("SELECT sqlite_version() AS version")
        .load(&mut conn)
        .ok()?;
    rows.into_iter().next().map(|r| r.version)
}

/// Today, UTC, as `YYYY-MM-DD HH:MM`.
pub(crate) fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, m, d) = crate::history::civil_from_days((secs / 86_400) as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        secs / 3_600 % 24,
        secs / 60 % 60
    )
}

pub(crate) fn machine() -> String {
    let mut text = String::new();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = proc_field("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown".to_owned());
    let memory = proc_field("/proc/meminfo", "MemTotal")
        .and_then(|kb| {
            kb.trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
                .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let os = proc_field("/etc/os-release", "PRETTY_NAME").unwrap_or_else(|| "unknown".to_owned());
    let kernel = command_line("uname", &["-r"]).unwrap_or_default();
    let rustc = command_line("rustc", &["-V"]).unwrap_or_else(|| "unknown".to_owned());
    let _ = writeln!(text, "| | |\n| --- | --- |");
    let _ = writeln!(
        text,
        "| `nproc` | {cpus} (shared with other builds while measuring) |"
    );
    let _ = writeln!(text, "| CPU | {model} |");
    let _ = writeln!(text, "| memory | {memory} |");
    let _ = writeln!(text, "| OS | {os}, Linux {kernel} |");
    let _ = writeln!(text, "| rustc | {rustc} |");
    let _ = writeln!(
        text,
        "| SQLite | {} (bundled by `libsqlite3-sys`); client `sqlite3` {} |",
        sqlite_version().unwrap_or_else(|| "unknown".to_owned()),
        command_line("sqlite3", &["--version"])
            .and_then(|v| v.split_whitespace().next().map(str::to_owned))
            .unwrap_or_else(|| "missing".to_owned())
    );
    let _ = writeln!(
        text,
        "| PostgreSQL | server {}; client {} |",
        postgres_version(&postgres_server_url()).unwrap_or_else(|| "unreachable".to_owned()),
        command_line("psql", &["--version"]).unwrap_or_else(|| "missing".to_owned())
    );
    let _ = writeln!(
        text,
        "| MySQL | server {}; client {} |",
        mysql_version(&mysql_server_url()).unwrap_or_else(|| "unreachable".to_owned()),
        command_line("mysql", &["--version"]).unwrap_or_else(|| "missing".to_owned())
    );
    text
}

/// The link from the report to the chart.
fn chart_link(report: &Path, chart: &Path) -> String {
    let from = report.parent().unwrap_or(Path::new("."));
    chart
        .strip_prefix(from)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| chart.to_string_lossy().into_owned())
}

/// Writes the report and the chart where the options say.
pub fn write(root: &Path, results: &Results) -> Result<(), String> {
    let options = &results.options;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Benchmarks: revchain and diesel_migrations, side by side\n"
    );
    let _ = writeln!(
        md,
        "Generated by `tests/bench/run.sh` on {} in {:.0} s; do not edit by hand (the stairway section comes from `tests/bench/STAIRWAY.md`, written by `revchain-bench stairway`, the deployments section from `tests/bench/DEPLOYMENTS.md`, written by `revchain-bench deployments`, and the findings at the end from `tests/bench/FINDINGS.md`).{}\n",
        now(),
        results.elapsed.as_secs_f64(),
        if options.smoke {
            " **Smoke run**: one repetition, histories loaded at run time; the numbers mean little."
        } else {
            ""
        }
    );
    let _ = writeln!(
        md,
        "```sh\ntests/bench/run.sh        # everything: about 17 minutes on the machine below\n```\n"
    );
    let _ = writeln!(md, "## Machine\n\n{}", machine());
    methodology(&mut md, results);
    let _ = writeln!(
        md,
        "![apply time and check time against the number of revisions]({})\n",
        chart_link(&options.report, &options.chart)
    );
    targets(&mut md, results);
    build_table(&mut md, &results.build);
    apply_table(&mut md, &results.apply);
    check_table(&mut md, &results.check);
    size_table(&mut md, &results.size);
    if !results.notes.is_empty() {
        let _ = writeln!(md, "## Notes\n");
        for note in &results.notes {
            let _ = writeln!(md, "- {note}");
        }
        md.push('\n');
    }
    let stairway = root.join("tests/bench/STAIRWAY.md");
    if let Ok(text) = fs::read_to_string(&stairway) {
        md.push_str(text.trim_end());
        md.push_str("\n\n");
    }
    if let Some(section) = crate::deployments::last_section(root) {
        md.push_str(section.trim_end());
        md.push_str("\n\n");
    }
    let findings = root.join("tests/bench/FINDINGS.md");
    if let Ok(text) = fs::read_to_string(&findings) {
        md.push_str(text.trim_end());
        md.push('\n');
    }
    let svg = chart::render(
        "revchain and diesel_migrations: time against the number of revisions",
        &panels(results),
    );
    for (path, content) in [(&options.report, md), (&options.chart, svg)] {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        fs::write(path, content).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn methodology(md: &mut String, results: &Results) {
    let options = &results.options;
    let sizes = options
        .sizes
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let runner = match &results.runner {
        RunnerKind::Embedded(_) => {
            "a generated runner per backend and size (release build) that embeds the history with both `revchain::embed_revisions!` and `diesel_migrations::embed_migrations!`, as users do, \
             and is built with that backend's cargo feature only, as an application for one database is: a runner linking libpq too would load it and the libraries it needs \
             (OpenSSL, Kerberos, LDAP, GnuTLS: about 5 ms on this machine) at the start of every SQLite run"
        }
        RunnerKind::Loaded(_) => {
            "this binary with the history loaded at run time (`Revisions::load` and diesel's `FileBasedMigrations`)"
        }
    };
    let _ = writeln!(
        md,
        "## Method\n\n\
         - **Histories** ({sizes} revisions, generated into `target/bench/histories/`): each `up.sql` is about 1 KiB \
           (a `CREATE TABLE` with ten columns, a `CREATE INDEX` and an `INSERT` of seed rows), each `down.sql` drops both; \
           the same files in revchain's format (`<id>_<slug>/metadata.toml` with `parent`, `HEAD`) and in diesel's \
           (`<version>_<name>/`). Ids are zero-padded timestamps (`2020-01-01-000000`, one an hour), so both tools order them the same.\n\
         - **Fairness**: the machine is shared (other builds run at the same time), so every measurement alternates the tools, \
           rotating which goes first in each repetition, and reports medians; no run asserts anything about time.\n\
         - **1. Build cost**: a generated binary crate per tool and size whose `main` embeds the history and applies it to a SQLite file \
           (`revchain::upgrade_to_head` / `run_pending_migrations(MIGRATIONS)` with diesel's documented `pub const MIGRATIONS`), \
           in a workspace of its own under `target/bench/work` with `CARGO_TARGET_DIR=target/bench/cargo-target`. \
           Dependencies are built once; then, {reps} times per tool: `cargo clean -p <crate> --profile dev` and a timed `cargo build -p <crate>` \
           (clean build of that crate alone), then one `up.sql` in the middle of the history gets a comment appended and `cargo build` is timed again (incremental rebuild).\n\
         - **2. Applying everything to an empty database**: {runner}. Wall time of the whole process (start, connect, apply, exit) for \
           `Migrator::upgrade(\"head\")` (one transaction per revision), `Migrator::single_transaction(true)`, diesel's `run_pending_migrations` \
           over `embed_migrations!`, and the raw concatenated `up.sql` files in one `BEGIN`/`COMMIT` through `sqlite3 -bail`, `psql -X -v ON_ERROR_STOP=1 -f` \
           or `mysql --no-defaults --protocol=tcp` (connection options from the URL, the script on standard input, stopping at the first error). \
           A fresh SQLite file (default settings: rollback journal, `synchronous=FULL`) or a fresh PostgreSQL or MySQL database per run, deleted or dropped afterwards. \
           Repetitions per applier: SQLite {sqlite}; PostgreSQL {pg}; MySQL {mysql}.\n\
         - **3. The startup check**: on the last database diesel migrated, revchain adopts diesel's bookkeeping (so both tools' tables are real and at head, \
           with the whole schema in place); then, on one connection in one process, {rounds} rounds in rotating order, each timing single calls for {ms} ms per subject: \
           `Migrator::is_at_head`, diesel's `has_pending_migration(MIGRATIONS)`, the floor `SELECT 1 AS value` and revchain's own one-row query through \
           `diesel::sql_query` without revchain around it. The median per call is reported. \
           At sizes that are not applied (by default SQLite and MySQL above 1,000 revisions), diesel's table is filled with every version without running the SQL, \
           and revchain adopts it: the database holds both tools' bookkeeping only.\n\
         - **4. Binary size**: release builds of the crates of measurement 1; the growth is the binary's size minus the same crate's over the empty history, \
           compared with the bytes of the history's `up.sql` and `down.sql` files.\n\
         - **MySQL** (`REVCHAIN_TEST_MYSQL_URL`; the server and client are in the table above) is measured in 2 and 3 for information only: \
           the targets are for SQLite and PostgreSQL, so its rows in the targets table say \"no target\". \
           revchain refuses single-transaction mode there (MySQL and MariaDB commit every DDL statement at once), so that applier is not run; \
           for the same reason the raw script's `BEGIN`/`COMMIT` does not make it one transaction.\n",
        reps = options.build_reps,
        sqlite = if options.smoke {
            "1".to_owned()
        } else {
            "9 at 100 revisions, 5 at 1,000, 3 at 10,000".to_owned()
        },
        pg = if options.smoke {
            "1".to_owned()
        } else {
            "15 at 100 revisions, 7 at 1,000, 3 at 10,000 (the same tool's runs vary by up to 2× on this shared machine, where the server's DDL competes with other builds; a 10,000-table database takes about a minute per run)".to_owned()
        },
        mysql = if options.smoke {
            "1".to_owned()
        } else {
            format!(
                "9 up to 100 revisions, 5 up to 1,000, 3 above; histories longer than {} revisions are not applied (`--mysql-apply-max`)",
                thousands(options.mysql_apply_max)
            )
        },
        rounds = if options.smoke { 3 } else { 15 },
        ms = if options.smoke { 20 } else { 40 },
    );
}

fn apply_of(results: &[ApplyResult], backend: Backend, applier: Applier) -> Vec<(usize, Duration)> {
    let index = Applier::ALL.iter().position(|&a| a == applier).unwrap_or(0);
    results
        .iter()
        .filter(|r| r.backend == backend)
        .filter_map(|r| med(&r.samples[index]).map(|m| (r.len, m)))
        .collect()
}

fn targets(md: &mut String, results: &Results) {
    let _ = writeln!(
        md,
        "## Targets\n\n| # | target | result | verdict |\n| --- | --- | --- | --- |"
    );
    // 1: build cost ≤ 1.0× diesel's.
    let mut worst: Option<(f64, String)> = None;
    for b in &results.build {
        for (what, r) in [
            ("clean", dur_ratio(&b.revchain.clean, &b.diesel.clean)),
            (
                "rebuild",
                dur_ratio(&b.revchain.incremental, &b.diesel.incremental),
            ),
        ] {
            if let Some(r) = r
                && worst.as_ref().is_none_or(|(w, _)| r > *w)
            {
                worst = Some((r, format!("{what} at {}", b.len)));
            }
        }
    }
    let _ = writeln!(
        md,
        "| 1 | build cost ≤ 1.0× diesel's (clean and incremental, every size) | {} | {} |",
        worst.as_ref().map_or("–".to_owned(), |(r, at)| format!(
            "worst ratio {r:.2}× ({at})"
        )),
        Verdict::of(worst.as_ref().map(|(r, _)| *r <= 1.0)).text()
    );
    // 2a: apply ≤ 1.1× diesel's; 2b: single ≤ 1.2× raw.
    for (label, applier, reference, limit) in [
        (
            "apply ≤ 1.1× diesel's (per-revision transactions)",
            Applier::Revchain,
            Applier::Diesel,
            1.1,
        ),
        (
            "single-transaction mode ≤ 1.2× the raw script",
            Applier::RevchainSingle,
            Applier::Raw,
            1.2,
        ),
    ] {
        let mut worst: Option<(f64, String)> = None;
        for r in results.apply.iter().filter(|r| r.backend.has_targets()) {
            let a = Applier::ALL.iter().position(|&x| x == applier).unwrap_or(0);
            let b = Applier::ALL
                .iter()
                .position(|&x| x == reference)
                .unwrap_or(0);
            if let Some(ratio) = dur_ratio(&r.samples[a], &r.samples[b])
                && worst.as_ref().is_none_or(|(w, _)| ratio > *w)
            {
                worst = Some((ratio, format!("{} at {}", r.backend.name(), r.len)));
            }
        }
        let _ = writeln!(
            md,
            "| 2 | {label} | {} | {} |",
            worst.as_ref().map_or("–".to_owned(), |(r, at)| format!(
                "worst ratio {r:.2}× ({at})"
            )),
            Verdict::of(worst.as_ref().map(|(r, _)| *r <= limit)).text()
        );
    }
    for backend in Backend::ALL.into_iter().filter(|b| !b.has_targets()) {
        informational_apply(md, results, backend);
    }
    // 3: flat, ≥ 20× diesel at the largest size, ≤ 2× the floor.
    for backend in Backend::ALL.into_iter().filter(|b| b.has_targets()) {
        let checks = checks_of(results, backend);
        let Some((first, last)) = check_extremes(results, backend) else {
            continue;
        };
        let flat = ratio(last.revchain.0 as f64, first.revchain.0 as f64);
        let _ = writeln!(
            md,
            "| 3 | {}: check flat in N ({} within 1.5× of {}) | {} vs {}: {} | {} |",
            backend.name(),
            last.len,
            first.len,
            micros(last.revchain.0),
            micros(first.revchain.0),
            ratio_text(flat),
            Verdict::of((last.len > first.len).then_some(flat.is_some_and(|r| r <= 1.5))).text()
        );
        let faster = ratio(last.diesel.0 as f64, last.revchain.0 as f64);
        let _ = writeln!(
            md,
            "| 3 | {}: ≥ 20× faster than diesel's at 10,000 | at {}: {} vs {}: {} faster | {} |",
            backend.name(),
            last.len,
            micros(last.revchain.0),
            micros(last.diesel.0),
            ratio_text(faster),
            Verdict::of((last.len >= 10_000).then_some(faster.is_some_and(|r| r >= 20.0))).text()
        );
        let worst = checks
            .iter()
            .filter_map(|c| {
                ratio(c.revchain.0 as f64, c.floor_select1.0 as f64).map(|r| (r, c.len))
            })
            .fold(None::<(f64, usize)>, |w, x| {
                if w.is_none_or(|w| x.0 > w.0) {
                    Some(x)
                } else {
                    w
                }
            });
        let _ = writeln!(
            md,
            "| 3 | {}: within 2× of the single-row `SELECT 1` floor | {} | {} |",
            backend.name(),
            worst.map_or("–".to_owned(), |(r, n)| format!("worst {r:.2}× (at {n})")),
            Verdict::of(worst.map(|(r, _)| r <= 2.0)).text()
        );
        let worst = checks
            .iter()
            .filter_map(|c| ratio(c.revchain.0 as f64, c.floor_cached.0 as f64).map(|r| (r, c.len)))
            .fold(None::<(f64, usize)>, |w, x| {
                if w.is_none_or(|w| x.0 > w.0) {
                    Some(x)
                } else {
                    w
                }
            });
        let _ = writeln!(
            md,
            "| 3 | {}: (reference) within 2× of reading its row with a prepared statement | {} | {} |",
            backend.name(),
            worst.map_or("–".to_owned(), |(r, n)| format!("worst {r:.2}× (at {n})")),
            Verdict::of(worst.map(|(r, _)| r <= 2.0)).text()
        );
    }
    for backend in Backend::ALL.into_iter().filter(|b| !b.has_targets()) {
        informational_check(md, results, backend);
    }
    // 4: growth ≤ 1.02× SQL + 64 KiB.
    let worst = results
        .size
        .iter()
        .map(|s| {
            let budget = s.sql_bytes as f64 * 1.02 + 65_536.0;
            (s.revchain_growth as f64 / budget, s)
        })
        .fold(None::<(f64, &SizeResult)>, |w, x| {
            if w.is_none_or(|w| x.0 > w.0) {
                Some(x)
            } else {
                w
            }
        });
    let _ = writeln!(
        md,
        "| 4 | binary growth ≤ 1.02× the SQL bytes + 64 KiB | {} | {} |\n",
        worst.map_or("–".to_owned(), |(r, s)| format!(
            "at {}: {} for {} of SQL ({:.2}× the SQL; {:.0}% of the budget)",
            s.len,
            bytes(s.revchain_growth),
            bytes(s.sql_bytes as i64),
            s.revchain_growth as f64 / s.sql_bytes as f64,
            r * 100.0
        )),
        Verdict::of(worst.map(|(r, _)| r <= 1.0)).text()
    );
}

/// The verdict column of a backend without targets.
const INFORMATIONAL: &str = "no target (informational)";

/// The worst (largest) of `values`, with what it is at.
fn worst_of<T>(values: impl IntoIterator<Item = (f64, T)>) -> Option<(f64, T)> {
    values.into_iter().fold(None, |worst: Option<(f64, T)>, x| {
        if worst.as_ref().is_none_or(|w| x.0 > w.0) {
            Some(x)
        } else {
            worst
        }
    })
}

/// Measurement 2's rows of the targets table for a backend without targets:
/// the same ratios, labelled informational.
fn informational_apply(md: &mut String, results: &Results, backend: Backend) {
    let applies: Vec<&ApplyResult> = results
        .apply
        .iter()
        .filter(|r| r.backend == backend)
        .collect();
    if applies.iter().all(|r| r.samples.iter().all(Vec::is_empty)) {
        return;
    }
    let index = |applier: Applier| Applier::ALL.iter().position(|&a| a == applier).unwrap_or(0);
    for (label, applier, reference) in [
        (
            "apply, revchain ÷ diesel (per-revision transactions)",
            Applier::Revchain,
            Applier::Diesel,
        ),
        (
            "single-transaction mode ÷ the raw script",
            Applier::RevchainSingle,
            Applier::Raw,
        ),
    ] {
        let result = if applier == Applier::RevchainSingle && !backend.single_transaction() {
            "– (revchain refuses single-transaction mode here: DDL commits at once)".to_owned()
        } else {
            worst_of(applies.iter().filter_map(|r| {
                dur_ratio(&r.samples[index(applier)], &r.samples[index(reference)])
                    .map(|ratio| (ratio, r.len))
            }))
            .map_or("–".to_owned(), |(r, n)| {
                format!("worst ratio {r:.2}× (at {n})")
            })
        };
        let _ = writeln!(
            md,
            "| 2 | {}: {label} | {result} | {INFORMATIONAL} |",
            backend.name()
        );
    }
}

/// The check results of one backend.
fn checks_of(results: &Results, backend: Backend) -> Vec<&CheckResult> {
    results
        .check
        .iter()
        .filter(|c| c.backend == backend)
        .collect()
}

/// The check results of one backend at its smallest and largest history.
fn check_extremes(results: &Results, backend: Backend) -> Option<(&CheckResult, &CheckResult)> {
    let checks = checks_of(results, backend);
    Some((
        *checks.iter().min_by_key(|c| c.len)?,
        *checks.iter().max_by_key(|c| c.len)?,
    ))
}

/// Measurement 3's rows of the targets table for a backend without targets:
/// the same ratios as the targeted backends', labelled informational.
fn informational_check(md: &mut String, results: &Results, backend: Backend) {
    let checks = checks_of(results, backend);
    let Some((first, last)) = check_extremes(results, backend) else {
        return;
    };
    let name = backend.name();
    let _ = writeln!(
        md,
        "| 3 | {name}: check at {} against {} revisions | {} vs {}: {} | {INFORMATIONAL} |",
        last.len,
        first.len,
        micros(last.revchain.0),
        micros(first.revchain.0),
        ratio_text(ratio(last.revchain.0 as f64, first.revchain.0 as f64)),
    );
    let _ = writeln!(
        md,
        "| 3 | {name}: diesel's check ÷ revchain's at the largest size | at {}: {} vs {}: {} faster | {INFORMATIONAL} |",
        last.len,
        micros(last.revchain.0),
        micros(last.diesel.0),
        ratio_text(ratio(last.diesel.0 as f64, last.revchain.0 as f64)),
    );
    for (label, floor) in [
        (
            "revchain ÷ the single-row `SELECT 1` floor",
            (|c| c.floor_select1.0) as fn(&CheckResult) -> u64,
        ),
        (
            "(reference) revchain ÷ reading its row with a prepared statement",
            |c| c.floor_cached.0,
        ),
    ] {
        let worst = worst_of(
            checks
                .iter()
                .filter_map(|c| ratio(c.revchain.0 as f64, floor(c) as f64).map(|r| (r, c.len))),
        );
        let _ = writeln!(
            md,
            "| 3 | {name}: {label} | {} | {INFORMATIONAL} |",
            worst.map_or("–".to_owned(), |(r, n)| format!("worst {r:.2}× (at {n})")),
        );
    }
}

fn build_table(md: &mut String, build: &[BuildResult]) {
    let _ = writeln!(md, "## 1. Build cost (`cargo build`, debug)\n");
    if build.is_empty() {
        let _ = writeln!(md, "Not measured in this run.\n");
        return;
    }
    let _ = writeln!(
        md,
        "| revisions | clean: revchain | clean: diesel | ratio | after one edit: revchain | after one edit: diesel | ratio | runs |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for b in build {
        let m = |s: &[Duration]| med(s).map_or("–".to_owned(), secs);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            b.len,
            m(&b.revchain.clean),
            m(&b.diesel.clean),
            ratio_text(dur_ratio(&b.revchain.clean, &b.diesel.clean)),
            m(&b.revchain.incremental),
            m(&b.diesel.incremental),
            ratio_text(dur_ratio(&b.revchain.incremental, &b.diesel.incremental)),
            b.revchain.clean.len()
        );
    }
    md.push('\n');
}

fn apply_table(md: &mut String, apply: &[ApplyResult]) {
    let _ = writeln!(
        md,
        "## 2. Applying everything to an empty database (wall time, median)\n"
    );
    if apply.is_empty() {
        let _ = writeln!(md, "Not measured in this run.\n");
        return;
    }
    let _ = writeln!(
        md,
        "| database | revisions | revchain | revchain, single transaction | diesel | raw script | revchain ÷ diesel | single ÷ raw | runs |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for r in apply {
        if r.samples.iter().all(Vec::is_empty) {
            let _ = writeln!(
                md,
                "| {} | {} | not applied: {} | | | | | | 0 |",
                r.backend.name(),
                r.len,
                if r.backend.has_targets() {
                    "too slow on this machine (see the findings)"
                } else {
                    "longer than `--mysql-apply-max`"
                }
            );
            continue;
        }
        let m = |i: usize| med(&r.samples[i]).map_or("–".to_owned(), secs);
        let single = if r.backend.single_transaction() {
            m(1)
        } else {
            format!("–{REFUSED}")
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.backend.name(),
            r.len,
            m(0),
            single,
            m(2),
            m(3),
            ratio_text(dur_ratio(&r.samples[0], &r.samples[2])),
            ratio_text(dur_ratio(&r.samples[1], &r.samples[3])),
            r.samples[0].len()
        );
    }
    md.push('\n');
    if apply.iter().any(|r| !r.backend.has_targets()) {
        let _ = writeln!(
            md,
            "MySQL rows are informational: the targets are for SQLite and PostgreSQL. \
             {REFUSED} revchain refuses single-transaction mode on MySQL and MariaDB, which commit every DDL statement at once \
             (`Migrator::single_transaction(true)` fails with \"single-transaction mode is not possible here\" before running any revision): not measured. \
             On MySQL, revchain marks the database dirty before each revision and records it after, since a failed revision cannot be rolled back; \
             the raw script's `BEGIN`/`COMMIT` does not make it one transaction either.\n"
        );
    }
}

/// The footnote mark of single-transaction mode where revchain refuses it.
const REFUSED: &str = "¹";

fn check_table(md: &mut String, check: &[CheckResult]) {
    let _ = writeln!(
        md,
        "## 3. The startup check, at head (median per call, one connection)\n"
    );
    if check.is_empty() {
        let _ = writeln!(md, "Not measured in this run.\n");
        return;
    }
    let _ = writeln!(
        md,
        "| database | revisions | database holds | revchain `is_at_head` | diesel `has_pending_migration` | floor: `SELECT 1` | floor: revchain's query via `sql_query` | floor: the same, prepared once | diesel ÷ revchain | revchain ÷ `SELECT 1` | revchain ÷ prepared query | calls (revchain / diesel) |\n| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for c in check {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} |",
            c.backend.name(),
            c.len,
            if c.schema {
                "schema and bookkeeping"
            } else {
                "bookkeeping only"
            },
            micros(c.revchain.0),
            micros(c.diesel.0),
            micros(c.floor_select1.0),
            micros(c.floor_same_shape.0),
            micros(c.floor_cached.0),
            ratio_text(ratio(c.diesel.0 as f64, c.revchain.0 as f64)),
            ratio_text(ratio(c.revchain.0 as f64, c.floor_select1.0 as f64)),
            ratio_text(ratio(c.revchain.0 as f64, c.floor_cached.0 as f64)),
            c.revchain.1,
            c.diesel.1
        );
    }
    md.push('\n');
    if check.iter().any(|c| !c.backend.has_targets()) {
        let _ = writeln!(
            md,
            "MySQL rows are informational: the targets are for SQLite and PostgreSQL.\n"
        );
    }
}

fn size_table(md: &mut String, size: &[SizeResult]) {
    let _ = writeln!(
        md,
        "## 4. Binary size (release; growth over the same binary with an empty history)\n"
    );
    if size.is_empty() {
        let _ = writeln!(md, "Not measured in this run.\n");
        return;
    }
    let _ = writeln!(
        md,
        "| revisions | SQL bytes | revchain growth | ÷ SQL | diesel growth | ÷ SQL | budget (1.02× SQL + 64 KiB) |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for s in size {
        let sql = s.sql_bytes as f64;
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            s.len,
            bytes(s.sql_bytes as i64),
            bytes(s.revchain_growth),
            ratio_text(ratio(s.revchain_growth as f64, sql)),
            bytes(s.diesel_growth),
            ratio_text(ratio(s.diesel_growth as f64, sql)),
            bytes((sql * 1.02 + 65_536.0) as i64)
        );
    }
    md.push('\n');
}

const COLORS: [(&str, &str, bool); 4] = [
    ("revchain", "#1f77b4", false),
    ("revchain, single transaction", "#2ca02c", false),
    ("diesel_migrations", "#d62728", false),
    ("raw script", "#7f7f7f", true),
];

/// The chart's panels: applying on SQLite and PostgreSQL side by side, then
/// their checks, as before MySQL was measured; then MySQL's applying and
/// check (informational) on a row of their own.
fn panels(results: &Results) -> Vec<Panel> {
    let (targeted, informational): (Vec<Backend>, Vec<Backend>) =
        Backend::ALL.into_iter().partition(|b| b.has_targets());
    let mut panels = Vec::new();
    panels.extend(targeted.iter().filter_map(|&b| apply_panel(results, b)));
    panels.extend(targeted.iter().filter_map(|&b| check_panel(results, b)));
    for backend in informational {
        panels.extend(apply_panel(results, backend));
        panels.extend(check_panel(results, backend));
    }
    panels
}

/// The title suffix of a backend without targets.
fn panel_note(backend: Backend) -> &'static str {
    if backend.has_targets() {
        ""
    } else {
        ", informational"
    }
}

fn apply_panel(results: &Results, backend: Backend) -> Option<Panel> {
    if !results.apply.iter().any(|r| r.backend == backend) {
        return None;
    }
    let series = Applier::ALL
        .iter()
        .zip(COLORS)
        .filter(|(applier, _)| **applier != Applier::RevchainSingle || backend.single_transaction())
        .map(|(&applier, (name, color, dashed))| Series {
            name: name.to_owned(),
            color,
            dashed,
            points: apply_of(&results.apply, backend, applier)
                .into_iter()
                .map(|(n, d)| (n as f64, d.as_secs_f64()))
                .collect(),
        })
        .collect();
    Some(Panel {
        title: format!(
            "Applying everything, {} (wall time{})",
            backend.name(),
            panel_note(backend)
        ),
        series,
    })
}

fn check_panel(results: &Results, backend: Backend) -> Option<Panel> {
    let checks = checks_of(results, backend);
    if checks.is_empty() {
        return None;
    }
    let line = |name: &str, color: &'static str, dashed: bool, f: fn(&CheckResult) -> u64| Series {
        name: name.to_owned(),
        color,
        dashed,
        points: checks
            .iter()
            .map(|c| (c.len as f64, f(c) as f64 / 1e9))
            .collect(),
    };
    Some(Panel {
        title: format!(
            "Startup check at head, {} (per call{})",
            backend.name(),
            panel_note(backend)
        ),
        series: vec![
            line("revchain is_at_head", "#1f77b4", false, |c| c.revchain.0),
            line("diesel has_pending_migration", "#d62728", false, |c| {
                c.diesel.0
            }),
            line("floor: SELECT 1", "#7f7f7f", true, |c| c.floor_select1.0),
            line("floor: its query, prepared once", "#9467bd", true, |c| {
                c.floor_cached.0
            }),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(backend: Backend, millis: [u64; 4]) -> ApplyResult {
        ApplyResult {
            backend,
            len: 100,
            samples: millis.map(|ms| {
                if ms == 0 {
                    Vec::new()
                } else {
                    vec![Duration::from_millis(ms)]
                }
            }),
        }
    }

    fn check(backend: Backend, revchain: u64, diesel: u64) -> CheckResult {
        CheckResult {
            backend,
            len: 100,
            revchain: (revchain, 10),
            diesel: (diesel, 10),
            floor_select1: (revchain, 10),
            floor_same_shape: (revchain, 10),
            floor_cached: (revchain, 10),
            schema: true,
        }
    }

    #[test]
    fn mysql_is_informational_in_the_targets() {
        let options = crate::cli::parse(Path::new("/repo"), &[], true).unwrap();
        let mut results = Results::new(options);
        results.apply = vec![
            apply(Backend::Sqlite, [100, 50, 100, 50]),
            apply(Backend::Postgres, [100, 50, 100, 50]),
            // Far worse than any target, and no single-transaction samples.
            apply(Backend::Mysql, [300, 0, 100, 100]),
        ];
        results.check = vec![
            check(Backend::Sqlite, 10_000, 1_000_000),
            check(Backend::Postgres, 10_000, 1_000_000),
            check(Backend::Mysql, 10_000, 1_000_000),
        ];
        let mut md = String::new();
        targets(&mut md, &results);
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| 2 ")).collect();
        assert_eq!(rows.len(), 4, "{md}");
        // The targets of 2 are SQLite's and PostgreSQL's alone: both met.
        assert!(rows[0].ends_with("| **met** |"), "{}", rows[0]);
        assert!(rows[1].ends_with("| **met** |"), "{}", rows[1]);
        assert!(
            rows[2].contains("MySQL") && rows[2].contains("3.00×"),
            "{}",
            rows[2]
        );
        assert!(rows[3].contains("refuses"), "{}", rows[3]);
        assert!(!md.contains("(MySQL at"), "{md}");
        let mysql: Vec<&str> = md.lines().filter(|l| l.contains("MySQL:")).collect();
        assert_eq!(mysql.len(), 6, "{md}");
        assert!(
            mysql
                .iter()
                .all(|l| l.ends_with("| no target (informational) |")),
            "{md}"
        );
        let mut table = String::new();
        apply_table(&mut table, &results.apply);
        assert!(table.contains("| MySQL | 100 | 300.0 ms | –¹ |"), "{table}");
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(100), "100");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
