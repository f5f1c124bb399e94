//! The offline SQL mode: the script `upgrade_sql`/`downgrade_sql`/`stamp_sql` print,
//! applied with the database's own client (`sqlite3`, `psql`, `mysql`),
//! leaves the same schema, version row and log as the online command.
//!
//! SQLite always runs; PostgreSQL and MySQL/MariaDB use the servers named by
//! `REVCHAIN_TEST_POSTGRES_URL` and `REVCHAIN_TEST_MYSQL_URL`. A missing
//! client binary skips the test with a notice, or fails it when `CI` is set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

use diesel::sql_types::Text;
use revchain::{Dialect, Error, Migrator, quote_identifier};
use revchain_internals::sql::split;
use revchain_tests::fixtures::{
    IRREVERSIBLE, NO_TRANSACTION, REALWORLD_MYSQL, REALWORLD_POSTGRES, REALWORLD_SQLITE, histories,
};
use revchain_tests::{EXAMPLE, TestDatabase, TestSqlite};

const DIALECTS: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql];

// ---------------------------------------------------------------------------
// A fresh database of one backend, reached online through diesel and offline
// through the backend's command-line client.

enum Db {
    Sqlite(TestSqlite),
    Postgres(TestDatabase),
    Mysql(TestDatabase),
}

/// Runs `$body` with `$conn` bound to a new connection to `$db`.
macro_rules! with_conn {
    ($db:expr, |$conn:ident| $body:expr) => {
        match $db {
            Db::Sqlite(db) => {
                let mut $conn = db.conn();
                $body
            }
            Db::Postgres(db) => {
                let mut $conn = db.pg();
                $body
            }
            Db::Mysql(db) => {
                let mut $conn = db.mysql_conn();
                $body
            }
        }
    };
}

#[derive(diesel::QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// What must be equal after the online command and after the script.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    schema: Vec<String>,
    version: Vec<String>,
    log: Vec<String>,
}

impl Db {
    /// A fresh database, or `None` when the server is unreachable outside CI.
    fn new(dialect: Dialect) -> Option<Db> {
        Some(match dialect {
            Dialect::Sqlite => Db::Sqlite(TestSqlite::new()),
            Dialect::Postgres => Db::Postgres(TestDatabase::postgres()?),
            Dialect::Mysql => Db::Mysql(TestDatabase::mysql()?),
        })
    }

    fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
            Db::Mysql(_) => Dialect::Mysql,
        }
    }

    fn upgrade(&self, migrator: &Migrator<'_>, target: &str) -> usize {
        with_conn!(self, |conn| migrator.upgrade(&mut conn, target))
            .unwrap_or_else(|e| panic!("online upgrade to `{target}`: {e}"))
            .steps
            .len()
    }

    fn downgrade(&self, migrator: &Migrator<'_>, target: &str) {
        with_conn!(self, |conn| migrator.downgrade(&mut conn, target))
            .unwrap_or_else(|e| panic!("online downgrade to `{target}`: {e}"));
    }

    fn stamp(&self, migrator: &Migrator<'_>, target: &str, purge: bool) {
        with_conn!(self, |conn| migrator.stamp(&mut conn, target, purge))
            .unwrap_or_else(|e| panic!("online stamp of `{target}`: {e}"));
    }

    fn is_at_head(&self, migrator: &Migrator<'_>) -> bool {
        with_conn!(self, |conn| migrator.is_at_head(&mut conn)).unwrap()
    }

    fn verify(&self, migrator: &Migrator<'_>) {
        with_conn!(self, |conn| migrator.verify(&mut conn)).unwrap();
    }

    fn lines(&self, sql: &str) -> Vec<String> {
        with_conn!(self, |conn| diesel::RunQueryDsl::load::<Line>(
            diesel::sql_query(sql),
            &mut conn
        ))
        .unwrap_or_else(|e| panic!("{e}: {sql}"))
        .into_iter()
        .map(|row| row.line)
        .collect()
    }

    /// Applies `script` with the backend's own client.
    fn apply(&self, script: &str) {
        let mut command = match self {
            Db::Sqlite(db) => {
                let mut command = Command::new("sqlite3");
                command.arg("-bail").arg(&db.path);
                command
            }
            Db::Postgres(db) => {
                let mut command = Command::new("psql");
                command.args([
                    "-X",
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-d",
                    &db.url,
                    "-f",
                    "-",
                ]);
                command
            }
            Db::Mysql(db) => {
                let server = MysqlServer::parse(&revchain_tests::mysql_server_url());
                let name = db.url.rsplit('/').next().unwrap_or_default().to_owned();
                let mut command = Command::new("mysql");
                command.args([
                    "--protocol=tcp",
                    "-h",
                    &server.host,
                    "-P",
                    &server.port,
                    "-u",
                    &server.user,
                    &name,
                ]);
                if let Some(password) = &server.password {
                    // Through the environment, never on a command line.
                    command.env("MYSQL_PWD", password);
                }
                command
            }
        };
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting the `{}` client: {e}", self.client()));
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "`{}` refused the script ({}):\n{}\n--- script ---\n{script}",
            self.client(),
            output.status,
            String::from_utf8_lossy(&output.stderr),
        );
    }

    fn client(&self) -> &'static str {
        client(self.dialect())
    }

    /// The schema (every table's columns, with revchain's own tables, and
    /// the indexes, triggers and functions), the version row and the log.
    fn snapshot(&self, version_table: &str) -> Snapshot {
        let dialect = self.dialect();
        let version = quote_identifier(dialect, version_table);
        let log = quote_identifier(dialect, &format!("{version_table}_log"));
        let schema_queries: &[&str] = match dialect {
            Dialect::Sqlite => &[
                "SELECT m.name || '.' || p.name || ' ' || p.type || ' notnull=' || p.\"notnull\" || ' default=' || IFNULL(p.dflt_value, 'NULL') || ' pk=' || p.pk AS line FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.cid",
                "SELECT m.type || ' ' || m.name || ' ' || IFNULL(m.sql, '') AS line FROM sqlite_master m ORDER BY m.type, m.name",
            ],
            Dialect::Postgres => &[
                "SELECT CAST(table_name || '.' || column_name || ' ' || data_type || ' nullable=' || is_nullable || ' default=' || COALESCE(column_default, 'NULL') || ' identity=' || is_identity AS TEXT) AS line FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
                "SELECT CAST(CAST(c.relkind AS TEXT) || ' ' || c.relname AS TEXT) AS line FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() ORDER BY 1",
                "SELECT CAST(trigger_name || ' ' || event_manipulation || ' ' || event_object_table || ' ' || action_timing || ' ' || action_statement AS TEXT) AS line FROM information_schema.triggers WHERE trigger_schema = current_schema() ORDER BY 1",
                "SELECT CAST(p.proname || ' ' || p.prosrc AS TEXT) AS line FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema() ORDER BY 1",
            ],
            Dialect::Mysql => &[
                "SELECT CAST(CONCAT(table_name, '.', column_name, ' ', column_type, ' nullable=', is_nullable, ' default=', IFNULL(column_default, 'NULL'), ' ', extra) AS CHAR) AS line FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position",
                "SELECT CAST(CONCAT(table_name, '.', index_name, ' ', seq_in_index, ' ', column_name, ' ', non_unique) AS CHAR) AS line FROM information_schema.statistics WHERE table_schema = DATABASE() ORDER BY 1",
                "SELECT CAST(CONCAT(trigger_name, ' ', event_manipulation, ' ', event_object_table, ' ', action_timing, ' ', action_statement) AS CHAR) AS line FROM information_schema.triggers WHERE trigger_schema = DATABASE() ORDER BY 1",
            ],
        };
        let schema = schema_queries
            .iter()
            .flat_map(|sql| self.lines(sql))
            .collect();
        let row = |columns: &[&str]| -> String {
            let parts: Vec<String> = columns
                .iter()
                .map(|c| format!("COALESCE({c}, '-')"))
                .collect();
            match dialect {
                Dialect::Sqlite => parts.join(" || '|' || "),
                Dialect::Postgres => format!("CAST({} AS TEXT)", parts.join(" || '|' || ")),
                Dialect::Mysql => format!("CAST(CONCAT({}) AS CHAR)", parts.join(", '|', ")),
            }
        };
        let version = self.lines(&format!(
            "SELECT {} AS line FROM {version}",
            row(&[
                "CAST(id AS CHAR(4))",
                "revision",
                "chain_digest",
                "state",
                "dirty_revision",
                "dirty_direction"
            ])
        ));
        let log = self.lines(&format!(
            "SELECT {} AS line FROM {log} ORDER BY seq",
            row(&["revision", "direction", "checksum", "chain_digest"])
        ));
        Snapshot {
            schema,
            version,
            log,
        }
    }
}

fn client(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "sqlite3",
        Dialect::Postgres => "psql",
        Dialect::Mysql => "mysql",
    }
}

/// Whether the client binary for `dialect` can be run: with `CI` set a
/// missing client fails the test, elsewhere it is skipped with a notice.
fn client_available(dialect: Dialect) -> bool {
    let name = client(dialect);
    let version_flag = if dialect == Dialect::Sqlite {
        "-version"
    } else {
        "--version"
    };
    match Command::new(name)
        .arg(version_flag)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(_) => true,
        Err(error) => {
            if std::env::var_os("CI").is_some() {
                panic!("the `{name}` client cannot be run and CI is set: {error}");
            }
            eprintln!("note: skipping this test: the `{name}` client cannot be run: {error}");
            false
        }
    }
}

/// The parts of `REVCHAIN_TEST_MYSQL_URL` the `mysql` client needs.
struct MysqlServer {
    host: String,
    port: String,
    user: String,
    password: Option<String>,
}

impl MysqlServer {
    fn parse(url: &str) -> Self {
        let rest = url.strip_prefix("mysql://").unwrap_or(url);
        let rest = rest.split(['/', '?']).next().unwrap_or_default();
        let (credentials, address) = rest.rsplit_once('@').unwrap_or(("root", rest));
        let (user, password) = match credentials.split_once(':') {
            Some((user, password)) => (user, Some(percent_decode(password))),
            None => (credentials, None),
        };
        let (host, port) = match address.rsplit_once(':') {
            Some((host, port)) => (host, port),
            None => (address, "3306"),
        };
        MysqlServer {
            host: host.trim_matches(['[', ']']).to_owned(),
            port: port.to_owned(),
            user: percent_decode(user),
            password,
        }
    }
}

// ---------------------------------------------------------------------------
// The script against the online command, per backend.

/// Online on A and through the client on B: head, a range from a middle
/// revision, and back to base.
fn equivalent(dialect: Dialect, what: &str, migrator: &Migrator<'_>) {
    let table = migrator.version_table_name();
    let revisions = migrator.revisions();
    let (Some(a), Some(b), Some(c)) = (Db::new(dialect), Db::new(dialect), Db::new(dialect)) else {
        return;
    };

    // 1. From base to head.
    assert_eq!(a.upgrade(migrator, "head"), revisions.len());
    let script = migrator.upgrade_sql(dialect, None, "head").unwrap();
    b.apply(&script);
    let online = a.snapshot(table);
    assert_eq!(online.version.len(), 1, "{what}: one version row");
    assert!(
        online.version[0].contains("|clean|-|-"),
        "{what}: {:?}",
        online.version
    );
    assert_eq!(online.log.len(), revisions.len(), "{what}");
    assert_eq!(
        b.snapshot(table),
        online,
        "{what}: script from base to head"
    );
    assert!(
        b.is_at_head(migrator),
        "{what}: is_at_head after the script"
    );
    b.verify(migrator);
    assert_eq!(
        b.upgrade(migrator, "head"),
        0,
        "{what}: nothing left to run"
    );

    // 2. A range, on a database brought to a middle revision online.
    let middle = revisions.as_slice()[if revisions.len() > 2 { 1 } else { 0 }].id();
    c.upgrade(migrator, middle);
    let script = migrator.upgrade_sql(dialect, Some(middle), "head").unwrap();
    assert!(
        script.starts_with(&format!("-- revchain: upgrade {middle} -> ")),
        "{script}"
    );
    c.apply(&script);
    assert_eq!(c.snapshot(table), online, "{what}: script from `{middle}`");
    assert!(c.is_at_head(migrator));

    // 3. Back to base.
    a.downgrade(migrator, "base");
    let script = migrator.downgrade_sql(dialect, "head", "base").unwrap();
    b.apply(&script);
    let online = a.snapshot(table);
    assert!(online.version[0].starts_with("1|-|-|clean|"), "{online:?}");
    assert_eq!(online.log.len(), 2 * revisions.len());
    assert_eq!(
        b.snapshot(table),
        online,
        "{what}: downgrade script to base"
    );
}

/// `stamp_sql` through the client against `stamp` online: on a fresh
/// database, on one with history (with and without `--purge`), and to base.
fn stamp_equivalent(dialect: Dialect, what: &str, migrator: &Migrator<'_>) {
    let table = migrator.version_table_name();
    let revisions = migrator.revisions();
    let (Some(a), Some(b)) = (Db::new(dialect), Db::new(dialect)) else {
        return;
    };
    let middle = revisions.as_slice()[revisions.len() / 2].id();

    // On an empty database: only the bookkeeping, no schema of the history.
    a.stamp(migrator, "head", false);
    b.apply(&migrator.stamp_sql(dialect, None, "head", false).unwrap());
    let online = a.snapshot(table);
    assert_eq!(online.log.len(), 1, "{what}: one `stamp` line");
    assert!(online.log[0].contains("|stamp|"), "{what}: {online:?}");
    assert_eq!(b.snapshot(table), online, "{what}: stamp head");
    assert!(b.is_at_head(migrator), "{what}: at head after the script");
    b.verify(migrator);

    // A relative target counted from the range's start, then `--purge`.
    a.stamp(migrator, middle, false);
    let script = migrator
        .stamp_sql(dialect, Some("head"), "-1", false)
        .unwrap();
    let minus_one = revisions.as_slice()[revisions.len() - 2].id();
    assert!(
        script.starts_with(&format!("-- revchain: stamp -> {minus_one} ")),
        "{what}: {script}"
    );
    b.apply(&migrator.stamp_sql(dialect, None, middle, false).unwrap());
    assert_eq!(
        b.snapshot(table),
        a.snapshot(table),
        "{what}: stamp {middle}"
    );
    a.stamp(migrator, "head", true);
    b.apply(&migrator.stamp_sql(dialect, None, "head", true).unwrap());
    assert_eq!(
        b.snapshot(table),
        a.snapshot(table),
        "{what}: stamp --purge"
    );

    // To base: the version row says base, and the log gets no line.
    a.stamp(migrator, "base", false);
    b.apply(&migrator.stamp_sql(dialect, None, "base", false).unwrap());
    let online = a.snapshot(table);
    assert!(online.version[0].starts_with("1|-|-|clean|"), "{online:?}");
    assert_eq!(b.snapshot(table), online, "{what}: stamp base");
}

fn check_backend(dialect: Dialect) {
    if !client_available(dialect) {
        return;
    }
    stamp_equivalent(dialect, "example", &Migrator::new(&EXAMPLE));
    for (what, revisions) in histories(dialect) {
        equivalent(dialect, what, &Migrator::new(revisions));
    }
    // A version table whose name needs quoting, and single-transaction mode
    // where it is possible.
    let hostile = "app \"versions\"; `x`";
    let migrator = Migrator::new(&EXAMPLE)
        .version_table(hostile)
        .single_transaction(dialect != Dialect::Mysql);
    equivalent(dialect, "example, quoted table", &migrator);
    stamp_equivalent(dialect, "example, quoted table", &migrator);
}

#[test]
fn script_equals_online_sqlite() {
    check_backend(Dialect::Sqlite);
}

#[test]
fn script_equals_online_postgres() {
    check_backend(Dialect::Postgres);
}

#[test]
fn script_equals_online_mysql() {
    check_backend(Dialect::Mysql);
}

// ---------------------------------------------------------------------------
// The script itself, without a database.

#[test]
fn refusals_match_the_online_command() {
    for dialect in DIALECTS {
        let migrator = Migrator::new(&IRREVERSIBLE);
        match migrator.downgrade_sql(dialect, "head", "base") {
            Err(Error::Irreversible { id, file }) => {
                assert_eq!(id, "2");
                assert!(file.ends_with("2_backfill/down.sql"), "{file}");
            }
            other => panic!("{other:?}"),
        }
        // Down to `2` does not pass through it.
        assert!(migrator.downgrade_sql(dialect, "head", "2").is_ok());
        match migrator.downgrade_sql(dialect, "1", "head") {
            Err(Error::WrongDirection {
                operation,
                target,
                current,
            }) => {
                assert_eq!(
                    (operation, target.as_str(), current.as_str()),
                    ("downgrade", "3", "1")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            migrator.upgrade_sql(dialect, Some("head"), "base"),
            Err(Error::WrongDirection {
                operation: "upgrade",
                ..
            })
        ));
        assert!(matches!(
            migrator.upgrade_sql(dialect, None, "nope"),
            Err(Error::Target(_))
        ));
        assert!(matches!(
            migrator.upgrade_sql(dialect, None, "+4"),
            Err(Error::Target(_))
        ));

        let single = Migrator::new(&NO_TRANSACTION).single_transaction(true);
        match single.upgrade_sql(dialect, None, "head") {
            Err(Error::SingleTransaction { reason, .. }) => {
                if dialect == Dialect::Mysql {
                    assert!(reason.contains("MySQL"), "{reason}");
                } else {
                    assert!(reason.contains("`run_in_transaction = false`"), "{reason}");
                }
            }
            other => panic!("{other:?}"),
        }
        // As online, nothing to run is not refused, and single-transaction
        // mode without the revision that refuses it works, except on MySQL.
        assert!(single.upgrade_sql(dialect, Some("head"), "head").is_ok());
        assert_eq!(
            single.upgrade_sql(dialect, None, "1").is_ok(),
            dialect != Dialect::Mysql
        );
    }
}

#[test]
fn mysql_wraps_statements_with_semicolons_in_delimiter_lines() {
    let script = Migrator::new(&REALWORLD_MYSQL)
        .upgrade_sql(Dialect::Mysql, None, "head")
        .unwrap();
    assert!(
        script.contains(
            "DELIMITER //\nCREATE TRIGGER items_audit AFTER UPDATE ON items FOR EACH ROW\nBEGIN\n"
        ),
        "{script}"
    );
    assert!(
        script.contains(
            "  INSERT INTO audit (item_id, note) VALUES (NEW.id, 'second');\nEND\n//\nDELIMITER ;\n"
        ),
        "{script}"
    );
    assert_eq!(script.matches("DELIMITER //").count(), 1, "{script}");
    assert!(script.contains(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, touched INTEGER NOT NULL DEFAULT 0);\n"
    ));
    // The same trigger needs no DELIMITER for sqlite3 and psql.
    for (dialect, revisions) in [
        (Dialect::Sqlite, &REALWORLD_SQLITE),
        (Dialect::Postgres, &REALWORLD_POSTGRES),
    ] {
        let script = Migrator::new(revisions)
            .upgrade_sql(dialect, None, "head")
            .unwrap();
        assert!(!script.contains("DELIMITER"), "{script}");
    }
    let script = Migrator::new(&REALWORLD_POSTGRES)
        .upgrade_sql(Dialect::Postgres, None, "head")
        .unwrap();
    assert!(
        script.contains("RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n"),
        "{script}"
    );
}

/// Every statement of the script is followed by exactly one terminator, so
/// the client never sees an empty statement, and the revisions' statements
/// appear verbatim, in order.
#[test]
fn no_empty_statement_and_every_statement_verbatim() {
    for dialect in DIALECTS {
        for (what, revisions) in histories(dialect)
            .into_iter()
            .chain([("irreversible", &IRREVERSIBLE)])
        {
            let migrator = Migrator::new(revisions);
            let up = migrator.upgrade_sql(dialect, None, "head").unwrap();
            let down = migrator
                .downgrade_sql(
                    dialect,
                    "head",
                    if what == "irreversible" { "2" } else { "base" },
                )
                .unwrap();
            for script in [&up, &down] {
                let statements = split(script, dialect).unwrap();
                assert!(!statements.is_empty());
                assert!(script.starts_with("-- revchain: "));
                let before = &script[..statements[0].span.start];
                assert!(
                    before
                        .lines()
                        .all(|line| line.trim().is_empty() || line.starts_with("-- ")),
                    "{what} ({dialect}): {before:?}"
                );
                for (i, statement) in statements.iter().enumerate() {
                    let end = statements
                        .get(i + 1)
                        .map_or(script.len(), |next| next.span.start);
                    let gap = &script[statement.span.end..end];
                    let terminators: Vec<&str> = gap
                        .lines()
                        .filter(|line| !line.starts_with("--") && !line.starts_with("DELIMITER "))
                        .flat_map(str::split_whitespace)
                        .collect();
                    assert!(
                        terminators == [";"]
                            || (dialect == Dialect::Mysql
                                && terminators.len() == 1
                                && terminators[0].len() >= 2
                                && terminators[0].bytes().all(|b| b == b'/')),
                        "{what} ({dialect}): after `{}`: {gap:?}",
                        statement.text
                    );
                }
            }
            // The revisions' own statements, verbatim and in order.
            let texts: Vec<&str> = split(&up, dialect)
                .unwrap()
                .into_iter()
                .map(|s| s.text)
                .collect();
            let mut rest = texts.as_slice();
            for revision in revisions.iter() {
                for statement in split(revision.up_sql(), dialect).unwrap() {
                    let at = rest
                        .iter()
                        .position(|t| *t == statement.text)
                        .unwrap_or_else(|| panic!("{what}: missing {:?}", statement.text));
                    rest = &rest[at + 1..];
                }
            }
        }
    }
}

#[test]
fn header_and_revision_comments() {
    let migrator = Migrator::new(&EXAMPLE);
    let ids: Vec<&str> = EXAMPLE.iter().map(|r| r.id()).collect();
    let head = ids[ids.len() - 1];
    let script = migrator.upgrade_sql(Dialect::Sqlite, None, "head").unwrap();
    assert!(
        script.starts_with(&format!(
            "-- revchain: upgrade base -> {head} (sqlite)\n-- version table: revchain_version; apply with: sqlite3 -bail"
        )),
        "{script}"
    );
    let comments: Vec<&str> = script
        .lines()
        .filter(|line| line.starts_with("-- Running"))
        .collect();
    let expected: Vec<String> = EXAMPLE
        .iter()
        .map(|r| {
            format!(
                "-- Running upgrade {} -> {}, {}",
                r.parent().unwrap_or("base"),
                r.id(),
                r.message()
            )
        })
        .collect();
    assert_eq!(comments, expected);
    // Placeholders: bookkeeping only. The log records a duration of 0.
    let placeholder = EXAMPLE
        .iter()
        .find(|r| r.message().contains("placeholder"))
        .unwrap();
    let section = script
        .split("\n\n")
        .find(|s| s.contains(&format!("-> {}, ", placeholder.id())))
        .unwrap();
    let body = section.split_once('\n').unwrap().1;
    let statements: Vec<&str> = split(body, Dialect::Sqlite)
        .unwrap()
        .iter()
        .map(|statement| statement.text)
        .collect();
    assert_eq!(statements.len(), 4, "{section}");
    assert_eq!(statements[0], "BEGIN IMMEDIATE");
    assert!(statements[1].starts_with("UPDATE \"revchain_version\" SET revision = '"));
    assert!(statements[2].starts_with("INSERT INTO \"revchain_version_log\" "));
    // The log line holds the revision's `down.sql`, and a duration of 0.
    assert!(
        statements[2].contains("'-- Nothing to revert.\n'"),
        "{}",
        statements[2]
    );
    assert!(statements[2].ends_with(", 0)"), "{}", statements[2]);
    assert_eq!(statements[3], "COMMIT");

    // Relative forms: `from` counts from base, `to` from `from`.
    let script = migrator
        .upgrade_sql(Dialect::Postgres, Some("base+2"), "+1")
        .unwrap();
    assert!(script.starts_with(&format!(
        "-- revchain: upgrade {} -> {} (postgres)\n",
        ids[1], ids[2]
    )));
    assert_eq!(script.matches("-- Running upgrade").count(), 1);
    assert!(script.contains(&format!("-- Running upgrade {} -> {}, ", ids[1], ids[2])));

    let script = migrator
        .downgrade_sql(Dialect::Mysql, "head", "-2")
        .unwrap();
    assert!(script.starts_with(&format!(
        "-- revchain: downgrade {head} -> {} (mysql)\n",
        ids[ids.len() - 3]
    )));
    let comments: Vec<&str> = script
        .lines()
        .filter(|line| line.starts_with("-- Running"))
        .collect();
    assert_eq!(comments.len(), 2);
    assert!(comments[0].starts_with(&format!(
        "-- Running downgrade {head} -> {}, ",
        ids[ids.len() - 2]
    )));

    // Nothing to run: the bookkeeping tables only.
    let script = migrator
        .upgrade_sql(Dialect::Sqlite, Some("head"), "head")
        .unwrap();
    assert!(!script.contains("-- Running"));
    assert_eq!(split(&script, Dialect::Sqlite).unwrap().len(), 3);
}

/// The transactions of each dialect, as the online command runs them.
#[test]
fn transactions_follow_the_online_command() {
    // The first word of each statement of a revision's section (`BEGIN;`
    // for a statement of one word): a log line's down SQL may span lines.
    let section = |script: &str, id: &str| -> Vec<String> {
        let dialect = if script.contains("START TRANSACTION;") {
            Dialect::Mysql
        } else {
            Dialect::Postgres
        };
        let text = script
            .split("\n\n")
            .find(|s| s.contains(&format!("-> {id}, ")))
            .unwrap();
        let body = text.split_once('\n').map_or("", |(_, body)| body);
        split(body, dialect)
            .unwrap()
            .iter()
            .map(|statement| {
                let mut words = statement.text.split_whitespace();
                let first = words.next().unwrap_or_default();
                match words.next() {
                    None => format!("{first};"),
                    Some(_) => first.to_owned(),
                }
            })
            .collect()
    };
    let migrator = Migrator::new(&NO_TRANSACTION);
    // Revision 1 rolls back on PostgreSQL: one transaction, whose
    // bookkeeping also marks revision 2 dirty (2 cannot be rolled back).
    let pg = migrator
        .upgrade_sql(Dialect::Postgres, None, "head")
        .unwrap();
    assert_eq!(
        section(&pg, "1"),
        ["BEGIN;", "CREATE", "UPDATE", "INSERT", "UPDATE", "COMMIT;"]
    );
    // Revision 2 runs outside a transaction, already marked dirty: the SQL
    // bare, then the bookkeeping.
    assert_eq!(
        section(&pg, "2"),
        ["CREATE", "BEGIN;", "UPDATE", "INSERT", "COMMIT;"]
    );
    assert!(pg.contains("SET state = 'dirty', dirty_revision = '2', dirty_direction = 'up'"));
    // A script that starts at revision 2 marks it dirty on its own.
    let from_1 = migrator
        .upgrade_sql(Dialect::Postgres, Some("1"), "head")
        .unwrap();
    assert_eq!(
        section(&from_1, "2"),
        [
            "BEGIN;", "UPDATE", "COMMIT;", "CREATE", "BEGIN;", "UPDATE", "INSERT", "COMMIT;"
        ]
    );
    // SQLite has no session lock: every step marks itself, as online.
    let lite = migrator.upgrade_sql(Dialect::Sqlite, None, "head").unwrap();
    assert_eq!(
        section(&lite, "2"),
        [
            "BEGIN", "UPDATE", "COMMIT;", "CREATE", "BEGIN", "UPDATE", "INSERT", "COMMIT;"
        ]
    );
    // MySQL marks every revision dirty before it runs (the first on its
    // own, the next with the bookkeeping of the one before) and records it
    // in a transaction of its own (the revision's DDL has committed by then).
    let my = migrator.upgrade_sql(Dialect::Mysql, None, "head").unwrap();
    assert_eq!(
        section(&my, "1"),
        [
            "START", "UPDATE", "COMMIT;", "START", "CREATE", "COMMIT;", "START", "UPDATE",
            "INSERT", "UPDATE", "COMMIT;"
        ]
    );
    assert_eq!(
        section(&my, "2"),
        ["CREATE", "START", "UPDATE", "INSERT", "COMMIT;"]
    );
    assert!(my.contains("START TRANSACTION;\n"));
    // Single-transaction mode: one transaction around every revision.
    let single = Migrator::new(&EXAMPLE).single_transaction(true);
    let script = single.upgrade_sql(Dialect::Postgres, None, "head").unwrap();
    assert_eq!(script.matches("BEGIN;").count(), 1);
    assert_eq!(script.matches("COMMIT;").count(), 1);
    assert!(script.trim_end().ends_with("COMMIT;"));
    // diesel's session settings come first on PostgreSQL and MySQL.
    assert!(pg.contains("\nSET TIME ZONE 'UTC';\n"));
    assert!(my.contains("\nSET time_zone = '+00:00';\n"));
}

/// Decodes `%XX` escapes (invalid UTF-8 becomes U+FFFD).
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}
