//! One plan for online and offline runs: for every operation (upgrade,
//! downgrade, stamp, single-transaction mode, ranges that start midway) and
//! every dialect, the statements the online command sends, captured through
//! diesel's `Instrumentation`, equal the statements of the `--sql` script,
//! transaction boundaries included; through diesel's connections and
//! through diesel-async's `AsyncConnectionWrapper`.
//!
//! What is compared is what changes the database: reads (`SELECT`, the
//! version row, the migration lock, `PRAGMA`) are left out, and so are the
//! session settings the script sets and diesel sets when it connects. Three
//! things only a live run knows are normalised:
//! - the duration in each log line (the script records 0);
//! - the spelling of `BEGIN` (`BEGIN IMMEDIATE` on SQLite, `START
//!   TRANSACTION` in a MySQL script);
//! - online, the bookkeeping tables are created in one transaction where
//!   DDL is transactional (one commit on a fresh database); the script
//!   creates them statement by statement (on PostgreSQL with the `ALTER
//!   TABLE … ADD COLUMN IF NOT EXISTS` that migrates an older log).
//!
//! SQLite always runs; PostgreSQL and MySQL/MariaDB use the servers named by
//! `REVCHAIN_TEST_POSTGRES_URL` and `REVCHAIN_TEST_MYSQL_URL`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use diesel::Connection;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use revchain::{Dialect, MigrationConnection, Migrator, Revisions};
use revchain_internals::sql::split;
use revchain_tests::fixtures::{NO_TRANSACTION, histories};
use revchain_tests::{EXAMPLE, TestDatabase, TestSqlite};

/// Every query text a connection sends, in order.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

impl Instrumentation for Capture {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            self.0.lock().unwrap().push(query.to_string());
        }
    }
}

impl Capture {
    /// The texts captured since the last call.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// What a statement list compares as.
fn normalise(texts: &[String], dialect: Dialect, log_table: &str) -> Vec<String> {
    let mut statements = Vec::new();
    for text in texts {
        for statement in split(text, dialect).unwrap_or_else(|e| panic!("{e}: {text}")) {
            let sql = statement.text.trim();
            let keyword = sql
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            match keyword.as_str() {
                // A revision's `SET LOCAL lock_timeout` is compared: it is
                // part of the plan.
                "SET" if !is_set_local(sql) => continue,
                "SELECT" | "PRAGMA" | "SHOW" => continue,
                "BEGIN" | "START" if is_transaction_start(sql) => {
                    statements.push("BEGIN".to_owned());
                }
                _ => statements.push(zero_duration(sql, log_table)),
            }
        }
    }
    unwrap_setup_transaction(statements)
}

/// `SET LOCAL …`: a setting of one transaction, such as the DDL lock
/// timeout.
fn is_set_local(sql: &str) -> bool {
    let mut words = sql.split_whitespace().map(str::to_ascii_uppercase);
    words.next().as_deref() == Some("SET") && words.next().as_deref() == Some("LOCAL")
}

/// `BEGIN`, `BEGIN IMMEDIATE`, `START TRANSACTION`, but not a trigger's
/// `BEGIN … END` body.
fn is_transaction_start(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    matches!(
        words
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["BEGIN"] | ["BEGIN", "IMMEDIATE"] | ["START", "TRANSACTION"]
    )
}

/// The log line with its duration (the last value) set to 0.
fn zero_duration(sql: &str, log_table: &str) -> String {
    if !sql.starts_with(&format!("INSERT INTO {log_table} ")) {
        return sql.to_owned();
    }
    let body = sql.trim_end_matches(')');
    let cut = body.rfind(", ").expect("a log line has values");
    assert!(body[cut + 2..].bytes().all(|b| b.is_ascii_digit()), "{sql}");
    format!("{}, 0)", &body[..cut])
}

/// Removes the `BEGIN`/`COMMIT` around a run of bookkeeping-table creation.
fn unwrap_setup_transaction(statements: Vec<String>) -> Vec<String> {
    let is_setup = |s: &str| {
        s.starts_with("CREATE TABLE IF NOT EXISTS")
            || (s.starts_with("ALTER TABLE") && s.contains("ADD COLUMN IF NOT EXISTS down_sql"))
            || s.starts_with("INSERT OR IGNORE INTO")
            || s.starts_with("INSERT IGNORE INTO")
            || s.ends_with("ON CONFLICT (id) DO NOTHING")
    };
    let mut out = Vec::with_capacity(statements.len());
    let mut i = 0;
    while i < statements.len() {
        if statements[i] == "BEGIN" {
            let run = statements[i + 1..]
                .iter()
                .take_while(|s| is_setup(s))
                .count();
            if run > 0 && statements.get(i + 1 + run).map(String::as_str) == Some("COMMIT") {
                out.extend(statements[i + 1..=i + run].iter().cloned());
                i += run + 2;
                continue;
            }
        }
        out.push(statements[i].clone());
        i += 1;
    }
    out
}

/// One operation, run online and rendered offline.
enum Op {
    Upgrade(&'static str),
    Downgrade(&'static str),
    Stamp(&'static str, bool),
}

/// Runs `ops` in order on a fresh database through `conn`, and checks each
/// against its script from the state the database was in.
fn check<C: MigrationConnection + Connection>(
    mut conn: C,
    dialect: Dialect,
    name: &str,
    migrator: &Migrator<'_>,
    ops: &[Op],
) {
    let capture = Capture::default();
    conn.set_instrumentation(capture.clone());
    let log_table =
        revchain::quote_identifier(dialect, &format!("{}_log", migrator.version_table_name()));
    for (i, op) in ops.iter().enumerate() {
        let from = migrator.current(&mut conn).unwrap();
        capture.take();
        let script = match op {
            Op::Upgrade(to) => {
                migrator.upgrade(&mut conn, to).unwrap();
                migrator.upgrade_sql(dialect, from.as_deref(), to).unwrap()
            }
            Op::Downgrade(to) => {
                migrator.downgrade(&mut conn, to).unwrap();
                migrator
                    .downgrade_sql(dialect, from.as_deref().unwrap_or("base"), to)
                    .unwrap()
            }
            Op::Stamp(to, purge) => {
                migrator.stamp(&mut conn, to, *purge).unwrap();
                migrator
                    .stamp_sql(dialect, from.as_deref(), to, *purge)
                    .unwrap()
            }
        };
        let online = normalise(&capture.take(), dialect, &log_table);
        let offline = normalise(&[script], dialect, &log_table);
        assert!(
            online.iter().any(|s| s != "BEGIN" && s != "COMMIT"),
            "{dialect} {name} op {i}: nothing was captured"
        );
        assert_eq!(
            online, offline,
            "{dialect} {name} op {i}: the online statements differ from the script's"
        );
    }
}

/// The operations every history goes through.
fn operations(revisions: &Revisions) -> Vec<Op> {
    let reversible = revisions.iter().all(|r| r.down_sql().is_some());
    let mut ops = vec![Op::Upgrade("+1"), Op::Upgrade("head")];
    if reversible {
        ops.extend([
            Op::Downgrade("-1"),
            Op::Downgrade("base"),
            Op::Upgrade("head"),
        ]);
    }
    ops.extend([Op::Stamp("base", false), Op::Stamp("head", true)]);
    ops
}

fn check_dialect<C: MigrationConnection + Connection>(
    dialect: Dialect,
    connect: impl Fn() -> Option<C>,
) {
    for (name, revisions) in histories(dialect) {
        let Some(conn) = connect() else { return };
        check(
            conn,
            dialect,
            name,
            &Migrator::new(revisions),
            &operations(revisions),
        );
    }
    if dialect != Dialect::Mysql {
        let Some(conn) = connect() else { return };
        let single = Migrator::new(&EXAMPLE).single_transaction(true);
        check(
            conn,
            dialect,
            "example, single transaction",
            &single,
            &[
                Op::Upgrade("+2"),
                Op::Upgrade("head"),
                Op::Downgrade("base"),
            ],
        );
    }
    if dialect == Dialect::Postgres {
        // Each revision's transaction starts with `SET LOCAL lock_timeout`;
        // not those of `run_in_transaction = false`, which are not retried.
        for (name, revisions) in [
            ("example, DDL lock timeout", &EXAMPLE),
            ("no_transaction, DDL lock timeout", &NO_TRANSACTION),
        ] {
            let Some(conn) = connect() else { return };
            let ddl = Migrator::new(revisions)
                .ddl_lock_timeout(Some(std::time::Duration::from_millis(1500)))
                .ddl_retries(2);
            let script = ddl.upgrade_sql(dialect, None, "head").unwrap();
            assert!(
                script.contains("BEGIN;\nSET LOCAL lock_timeout = '1500ms';\n"),
                "{name}: {script}"
            );
            check(conn, dialect, name, &ddl, &operations(revisions));
        }
    }
    let Some(conn) = connect() else { return };
    let other_table = Migrator::new(&EXAMPLE).version_table("other \"versions\"");
    check(
        conn,
        dialect,
        "example, another version table",
        &other_table,
        &[Op::Upgrade("head"), Op::Stamp("-1", false)],
    );
}

#[test]
fn online_statements_equal_the_script_on_sqlite() {
    let databases = std::cell::RefCell::new(Vec::new());
    check_dialect(Dialect::Sqlite, || {
        let db = TestSqlite::new();
        let conn = db.conn();
        databases.borrow_mut().push(db);
        Some(conn)
    });
}

#[test]
fn online_statements_equal_the_script_on_postgres() {
    let databases = std::cell::RefCell::new(Vec::new());
    check_dialect(Dialect::Postgres, || {
        let db = TestDatabase::postgres()?;
        let conn = db.pg();
        databases.borrow_mut().push(db);
        Some(conn)
    });
}

#[test]
fn online_statements_equal_the_script_on_mysql() {
    let databases = std::cell::RefCell::new(Vec::new());
    check_dialect(Dialect::Mysql, || {
        let db = TestDatabase::mysql()?;
        let conn = db.mysql_conn();
        databases.borrow_mut().push(db);
        Some(conn)
    });
}

/// diesel-async's connection behind its `AsyncConnectionWrapper` sends the
/// same statements as diesel's `PgConnection`.
#[test]
fn online_statements_equal_the_script_through_diesel_async_on_postgres() {
    use diesel_async::AsyncPgConnection;
    use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;

    let databases = std::cell::RefCell::new(Vec::new());
    check_dialect(Dialect::Postgres, || {
        let db = TestDatabase::postgres()?;
        let conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&db.url).unwrap();
        databases.borrow_mut().push(db);
        Some(conn)
    });
}

/// diesel-async's connection behind its `AsyncConnectionWrapper` sends the
/// same statements as diesel's `MysqlConnection`.
#[test]
fn online_statements_equal_the_script_through_diesel_async_on_mysql() {
    use diesel_async::AsyncMysqlConnection;
    use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;

    let databases = std::cell::RefCell::new(Vec::new());
    check_dialect(Dialect::Mysql, || {
        let db = TestDatabase::mysql()?;
        let conn = AsyncConnectionWrapper::<AsyncMysqlConnection>::establish(&db.url).unwrap();
        databases.borrow_mut().push(db);
        Some(conn)
    });
}
