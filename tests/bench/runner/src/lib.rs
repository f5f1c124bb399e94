//! The measuring process of `revchain-bench`: applies a history or times
//! the startup check, in process, on one database.
//!
//! The full benchmark generates one small crate per backend and history size
//! whose `main` embeds the history with both macros and calls [`main`]; it
//! enables only that backend's feature (`sqlite`, `postgres` or `mysql`), so
//! the process whose wall time is measured loads only the client library it
//! uses. The smoke run calls [`run`] from `revchain-bench`, with the history
//! loaded at run time and every backend. Either way the code that is timed
//! is the same.
//!
//! Commands (a URL starting with `postgres://` is PostgreSQL, one starting
//! with `mysql://` MySQL or MariaDB, anything else a SQLite file):
//!
//! - `apply <revchain|revchain-single|diesel> <url>`: applies everything to
//!   an empty database; prints `in_process_ns <n>`.
//! - `adopt <url>`: on a database diesel migrated, lets revchain adopt it, so
//!   that both tools' bookkeeping says "at head"; prints `ok`.
//! - `record <url>`: on an empty database, records every migration as
//!   applied in diesel's own table, without running them (diesel creates the
//!   table), for a check at a size too slow to apply; then `adopt`.
//! - `check <url> <rounds> <round_ms>`: times `Migrator::is_at_head`,
//!   diesel's `has_pending_migration` and three single-row `SELECT`s, one
//!   call at a time on one connection, alternating in rounds; prints one
//!   line per subject: `<subject> <median_ns> <calls>`.
//! - `check-locks <url> <rounds> <round_ms>`: on a database at head, times
//!   `Migrator::is_at_head` with `lock(Advisory)`, `lock(Table)` and
//!   `lock(None)` and the `SELECT 1` floor the same way (subjects
//!   `advisory`, `table`, `none`, `floor_select1`).
//!
//! Errors never repeat the URL (it may hold a password): the caller knows
//! which database it passed.

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!("enable the `sqlite`, `postgres` or `mysql` feature of revchain-bench-runner");

use std::process::ExitCode;
use std::time::{Duration, Instant};

use diesel::migration::{Migration, MigrationSource};
use diesel::query_builder::SqlQuery;
use diesel::query_dsl::LoadQuery;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::{Connection, QueryableByName};
use diesel_migrations::MigrationHarness;
use revchain::{Dialect, LockStrategy, MigrationConnection, Migrator, Revisions};

/// Declares the trait `$name`: "the migrations of diesel's side for
/// `$db`" when the runner is built with `$feature`, and a trait every type
/// implements when it is not. [`Source`] requires all of them, so it asks
/// for exactly the backends this runner is built with, with one pair of
/// definitions per backend instead of one per combination of features.
macro_rules! backend_source {
    ($feature:literal, $name:ident, $db:ty) => {
        /// The migrations of diesel's side for this backend, when the runner
        /// is built with its feature; anything, when it is not.
        #[cfg(feature = $feature)]
        pub trait $name: MigrationSource<$db> {}
        #[cfg(feature = $feature)]
        impl<S: MigrationSource<$db>> $name for S {}

        /// The migrations of diesel's side for this backend, when the runner
        /// is built with its feature; anything, when it is not.
        #[cfg(not(feature = $feature))]
        pub trait $name {}
        #[cfg(not(feature = $feature))]
        impl<S> $name for S {}
    };
}

backend_source!("sqlite", SqliteSource, diesel::sqlite::Sqlite);
backend_source!("postgres", PostgresSource, diesel::pg::Pg);
backend_source!("mysql", MysqlSource, diesel::mysql::Mysql);

/// The migrations of diesel's side, for every backend this runner is built
/// with.
pub trait Source: SqliteSource + PostgresSource + MysqlSource {}
impl<S: SqliteSource + PostgresSource + MysqlSource> Source for S {}

/// `&S` as a [`MigrationSource`]: diesel's harness takes its source by value
/// and `EmbeddedMigrations` is not `Clone`.
struct BySource<'s, S>(&'s S);

impl<DB: diesel::backend::Backend, S: MigrationSource<DB>> MigrationSource<DB> for BySource<'_, S> {
    fn migrations(&self) -> diesel::migration::Result<Vec<Box<dyn Migration<DB>>>> {
        self.0.migrations()
    }
}

/// The row of `SELECT 1 AS value`.
#[derive(QueryableByName)]
struct One {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

/// The same shape as revchain's version row, for the floor with the same
/// query.
#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = Nullable<Text>)]
    revision: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    chain_digest: Option<String>,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Nullable<Text>)]
    dirty_revision: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    dirty_direction: Option<String>,
}

/// A query diesel may prepare once and reuse (`sql_query` never is): the
/// floor of "read one row" with the statement prepared.
struct Cached(&'static str);

impl diesel::query_builder::QueryId for Cached {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for Cached {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> diesel::QueryResult<()> {
        out.push_sql(self.0);
        Ok(())
    }
}

impl diesel::query_builder::Query for Cached {
    type SqlType = diesel::sql_types::Untyped;
}

impl<Conn> diesel::RunQueryDsl<Conn> for Cached {}

/// The query revchain's check sends (`Bookkeeping::select_state`), with the
/// default version table quoted for `dialect` as revchain quotes it.
fn same_shape(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite | Dialect::Postgres => {
            "SELECT revision, chain_digest, state, dirty_revision, dirty_direction FROM \"revchain_version\" WHERE id = 1"
        }
        Dialect::Mysql => {
            "SELECT revision, chain_digest, state, dirty_revision, dirty_direction FROM `revchain_version` WHERE id = 1"
        }
    }
}

/// The floor `SELECT 1 AS value`, as a `BIGINT` (MySQL casts to `SIGNED`,
/// which is its `BIGINT`).
fn select_one(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite | Dialect::Postgres => "SELECT CAST(1 AS BIGINT) AS value",
        Dialect::Mysql => "SELECT CAST(1 AS SIGNED) AS value",
    }
}

/// The entry point of a generated runner: runs the command in the process's
/// arguments and prints its result, or the error.
pub fn main<S: Source>(revisions: &Revisions, migrations: S) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args, revisions, &migrations) {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one command (see the module documentation) and returns what it
/// prints.
pub fn run<S: Source>(
    args: &[String],
    revisions: &Revisions,
    migrations: &S,
) -> Result<String, String> {
    let url = args
        .get(if args.first().map(String::as_str) == Some("apply") { 2 } else { 1 })
        .ok_or_else(|| format!("usage: apply <tool> <url> | adopt <url> | record <url> | check[-locks] <url> <rounds> <round_ms>; got {args:?}"))?;
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        {
            let mut conn = diesel::PgConnection::establish(url)
                .map_err(|e| format!("connecting to PostgreSQL: {e}"))?;
            command(args, &mut conn, Dialect::Postgres, revisions, migrations)
        }
        #[cfg(not(feature = "postgres"))]
        Err(without("postgres"))
    } else if url.starts_with("mysql://") {
        #[cfg(feature = "mysql")]
        {
            let mut conn = diesel::MysqlConnection::establish(url)
                .map_err(|e| format!("connecting to MySQL: {e}"))?;
            command(args, &mut conn, Dialect::Mysql, revisions, migrations)
        }
        #[cfg(not(feature = "mysql"))]
        Err(without("mysql"))
    } else {
        #[cfg(feature = "sqlite")]
        {
            let mut conn = diesel::SqliteConnection::establish(url)
                .map_err(|e| format!("opening {url}: {e}"))?;
            command(args, &mut conn, Dialect::Sqlite, revisions, migrations)
        }
        #[cfg(not(feature = "sqlite"))]
        Err(without("sqlite"))
    }
}

/// The error for a URL of a backend this runner was built without.
#[cfg(not(all(feature = "sqlite", feature = "postgres", feature = "mysql")))]
fn without(feature: &str) -> String {
    format!("this runner was built without the `{feature}` feature")
}

fn command<C, S>(
    args: &[String],
    conn: &mut C,
    dialect: Dialect,
    revisions: &Revisions,
    migrations: &S,
) -> Result<String, String>
where
    C: Connection + MigrationConnection + MigrationHarness<<C as Connection>::Backend>,
    S: MigrationSource<<C as Connection>::Backend>,
    for<'a> SqlQuery: LoadQuery<'a, C, One> + LoadQuery<'a, C, VersionRow>,
    for<'a> Cached: LoadQuery<'a, C, VersionRow>,
{
    let word = |i: usize| args.get(i).map(String::as_str);
    match (word(0), word(1)) {
        (Some("apply"), Some(tool)) => {
            let started = Instant::now();
            match tool {
                "revchain" | "revchain-single" => {
                    let report = Migrator::new(revisions)
                        .single_transaction(tool == "revchain-single")
                        .upgrade(conn, "head")
                        .map_err(|e| e.to_string())?;
                    if report.steps.len() != revisions.len() {
                        return Err(format!(
                            "revchain applied {} of {} revisions",
                            report.steps.len(),
                            revisions.len()
                        ));
                    }
                }
                "diesel" => {
                    let applied = conn
                        .run_pending_migrations(BySource(migrations))
                        .map_err(|e| e.to_string())?
                        .len();
                    if applied != revisions.len() {
                        return Err(format!(
                            "diesel applied {applied} of {} migrations",
                            revisions.len()
                        ));
                    }
                }
                other => {
                    return Err(format!(
                        "unknown tool `{other}`: revchain, revchain-single or diesel"
                    ));
                }
            }
            Ok(format!("in_process_ns {}\n", started.elapsed().as_nanos()))
        }
        (Some("adopt"), Some(_)) => {
            let migrator = Migrator::new(revisions);
            let report = migrator.upgrade(conn, "head").map_err(|e| e.to_string())?;
            if !report.steps.is_empty() || report.adopted.len() != revisions.len() {
                return Err(format!(
                    "expected revchain to adopt {} revisions and run none; it adopted {} and ran {}",
                    revisions.len(),
                    report.adopted.len(),
                    report.steps.len()
                ));
            }
            at_head(conn, revisions, migrations)?;
            Ok("ok\n".to_owned())
        }
        (Some("record"), Some(_)) => {
            let applied = conn.applied_migrations().map_err(|e| e.to_string())?;
            if !applied.is_empty() {
                return Err(format!(
                    "diesel already recorded {} migrations",
                    applied.len()
                ));
            }
            let all = migrations.migrations().map_err(|e| e.to_string())?;
            let mut sql = String::from("INSERT INTO __diesel_schema_migrations (version) VALUES ");
            for (i, migration) in all.iter().enumerate() {
                let version = migration.name().version().to_string();
                if !version.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(format!("unexpected version `{version}`"));
                }
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("('{version}')"));
            }
            if !all.is_empty() {
                diesel::connection::SimpleConnection::batch_execute(conn, &sql)
                    .map_err(|e| e.to_string())?;
            }
            Ok(format!("recorded {}\n", all.len()))
        }
        (Some("check" | "check-locks"), Some(_)) => {
            let number = |i: usize, what: &str| -> Result<u64, String> {
                word(i)
                    .ok_or_else(|| format!("missing {what}"))?
                    .parse()
                    .map_err(|e| format!("{what}: {e}"))
            };
            let rounds = number(2, "rounds")?;
            let round = Duration::from_millis(number(3, "round_ms")?);
            if word(0) == Some("check") {
                check(conn, dialect, revisions, migrations, rounds, round)
            } else {
                check_locks(conn, dialect, revisions, rounds, round)
            }
        }
        _ => Err(format!(
            "unknown command `{}`: apply, adopt, record, check or check-locks",
            word(0).unwrap_or_default()
        )),
    }
}

/// Fails unless both tools say the database is at head.
fn at_head<C, S>(conn: &mut C, revisions: &Revisions, migrations: &S) -> Result<(), String>
where
    C: Connection + MigrationConnection + MigrationHarness<<C as Connection>::Backend>,
    S: MigrationSource<<C as Connection>::Backend>,
{
    if !Migrator::new(revisions)
        .is_at_head(conn)
        .map_err(|e| e.to_string())?
    {
        return Err("revchain says the database is not at head".to_owned());
    }
    if conn
        .has_pending_migration(BySource(migrations))
        .map_err(|e| e.to_string())?
    {
        return Err("diesel says migrations are pending".to_owned());
    }
    Ok(())
}

/// The subjects of `check`, in the order of the first round.
const SUBJECTS: [&str; 5] = [
    "revchain",
    "diesel",
    "floor_select1",
    "floor_same_shape",
    "floor_cached",
];

/// The subjects of `check-locks`: `Migrator::is_at_head` with each lock
/// strategy (the check takes no lock, so they should not differ), and the
/// `SELECT 1` floor.
const LOCK_SUBJECTS: [(&str, Option<LockStrategy>); 4] = [
    ("advisory", Some(LockStrategy::Advisory)),
    ("table", Some(LockStrategy::Table)),
    ("none", Some(LockStrategy::None)),
    ("floor_select1", None),
];

fn check<C, S>(
    conn: &mut C,
    dialect: Dialect,
    revisions: &Revisions,
    migrations: &S,
    rounds: u64,
    round: Duration,
) -> Result<String, String>
where
    C: Connection + MigrationConnection + MigrationHarness<<C as Connection>::Backend>,
    S: MigrationSource<<C as Connection>::Backend>,
    for<'a> SqlQuery: LoadQuery<'a, C, One> + LoadQuery<'a, C, VersionRow>,
    for<'a> Cached: LoadQuery<'a, C, VersionRow>,
{
    at_head(conn, revisions, migrations)?;
    let migrator = Migrator::new(revisions);
    time_rounds(&SUBJECTS, rounds, round, |subject| {
        call(conn, dialect, &migrator, migrations, subject)
    })
}

/// `check-locks`: times `is_at_head` under each lock strategy and the
/// `SELECT 1` floor, as `check` times its subjects.
fn check_locks<C>(
    conn: &mut C,
    dialect: Dialect,
    revisions: &Revisions,
    rounds: u64,
    round: Duration,
) -> Result<String, String>
where
    C: Connection + MigrationConnection,
    for<'a> SqlQuery: LoadQuery<'a, C, One>,
{
    let migrators: Vec<Option<Migrator<'_>>> = LOCK_SUBJECTS
        .iter()
        .map(|(_, strategy)| strategy.map(|s| Migrator::new(revisions).lock(s)))
        .collect();
    let names: Vec<&str> = LOCK_SUBJECTS.iter().map(|(name, _)| *name).collect();
    time_rounds(&names, rounds, round, |subject| {
        let ok = match &migrators[subject] {
            Some(migrator) => migrator.is_at_head(conn).map_err(|e| e.to_string())?,
            None => select_one_is_one(conn, dialect)?,
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "`{}` did not find the database at head",
                names[subject]
            ))
        }
    })
}

/// Times single calls of each subject (`call(index)`), one at a time:
/// every subject once to warm up, then `rounds` rounds of `round` per
/// subject (at least 3 calls), rotating which goes first. Returns one line
/// per subject: `<subject> <median_ns> <calls>`.
fn time_rounds(
    subjects: &[&str],
    rounds: u64,
    round: Duration,
    mut call: impl FnMut(usize) -> Result<(), String>,
) -> Result<String, String> {
    let n = subjects.len();
    let mut samples: Vec<Vec<u64>> = vec![Vec::new(); n];
    // Warm up every path once (statement caches, page cache).
    for subject in 0..n {
        call(subject)?;
    }
    for r in 0..rounds {
        for k in 0..n {
            // Rotate the order each round, so no subject always runs first.
            let subject = (k + r as usize) % n;
            let started = Instant::now();
            let mut calls = 0;
            while calls < 3 || started.elapsed() < round {
                let before = Instant::now();
                call(subject)?;
                samples[subject].push(before.elapsed().as_nanos() as u64);
                calls += 1;
            }
        }
    }
    let mut output = String::new();
    for (subject, times) in subjects.iter().zip(samples.iter_mut()) {
        let median = median_u64(times).unwrap_or(0);
        output.push_str(&format!("{subject} {median} {}\n", times.len()));
    }
    Ok(output)
}

/// The floor: `SELECT 1 AS value` through `sql_query`.
fn select_one_is_one<C>(conn: &mut C, dialect: Dialect) -> Result<bool, String>
where
    C: Connection,
    for<'a> SqlQuery: LoadQuery<'a, C, One>,
{
    let rows: Vec<One> = diesel::RunQueryDsl::load(diesel::sql_query(select_one(dialect)), conn)
        .map_err(|e| e.to_string())?;
    Ok(rows.first().map(|row| row.value) == Some(1))
}

fn call<C, S>(
    conn: &mut C,
    dialect: Dialect,
    migrator: &Migrator<'_>,
    migrations: &S,
    subject: usize,
) -> Result<(), String>
where
    C: Connection + MigrationConnection + MigrationHarness<<C as Connection>::Backend>,
    S: MigrationSource<<C as Connection>::Backend>,
    for<'a> SqlQuery: LoadQuery<'a, C, One> + LoadQuery<'a, C, VersionRow>,
    for<'a> Cached: LoadQuery<'a, C, VersionRow>,
{
    let ok = match subject {
        0 => migrator.is_at_head(conn).map_err(|e| e.to_string())?,
        1 => !conn
            .has_pending_migration(BySource(migrations))
            .map_err(|e| e.to_string())?,
        2 => select_one_is_one(conn, dialect)?,
        _ => {
            let rows: Vec<VersionRow> = if subject == 3 {
                diesel::RunQueryDsl::load(diesel::sql_query(same_shape(dialect)), conn)
            } else {
                diesel::RunQueryDsl::load(Cached(same_shape(dialect)), conn)
            }
            .map_err(|e| e.to_string())?;
            rows.first().is_some_and(|row| {
                row.state == "clean"
                    && row.revision.is_some()
                    && row.chain_digest.is_some()
                    && row.dirty_revision.is_none()
                    && row.dirty_direction.is_none()
            })
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` did not find the database at head",
            SUBJECTS[subject]
        ))
    }
}

/// The median of `values` (the mean of the two middle ones for an even
/// count), or `None` when empty. Sorts `values`.
pub fn median_u64(values: &mut [u64]) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        values[mid - 1] / 2 + values[mid] / 2 + (values[mid - 1] % 2 + values[mid] % 2) / 2
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_shape_floor_is_revchains_query() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
            let table = revchain::quote_identifier(dialect, revchain::DEFAULT_VERSION_TABLE);
            assert_eq!(
                same_shape(dialect),
                format!(
                    "SELECT revision, chain_digest, state, dirty_revision, dirty_direction FROM {table} WHERE id = 1"
                ),
                "{dialect:?}"
            );
        }
    }

    #[test]
    fn medians() {
        assert_eq!(median_u64(&mut []), None);
        assert_eq!(median_u64(&mut [5, 1, 3]), Some(3));
        assert_eq!(median_u64(&mut [1, 4]), Some(2));
    }
}
