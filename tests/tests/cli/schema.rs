//! `check --schema` and `revision --autogenerate`, end to end, as processes,
//! on SQLite, PostgreSQL and MariaDB: diesel's `schema.rs` against a scratch
//! database upgraded to head.
//!
//! The history and models are the engine's fixture
//! (`runtime/schema/tests/fixtures/library`); the engine's own tests cover
//! every kind of difference at library level, these prove the command's
//! path: edit `schema.rs`, `check --schema` fails and names the operation,
//! `revision --autogenerate` writes the revision on top of the old head,
//! `upgrade` on the real database gives the models, `downgrade -1` gives
//! the schema before.
//!
//! Every command runs with `TMPDIR` inside the test's directory, and after
//! each one the test asserts that the process left no scratch database
//! behind: no `revchain_scratch_<its pid>_*` file in `TMPDIR`, and no such
//! database on the server.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use diesel::Connection;
use revchain_schema::{Introspect, Schema, compare, introspect, parse_str};
use revchain_tests::{Probe, TestDatabase};

use crate::{HEAD, Project, Run, copy_dir, example_dir};

/// The engine's fixture: `migrations/` (one revision, `1`) and `schema.rs`.
fn library() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/schema/tests/fixtures/library")
}

/// The models at the fixture's head.
fn base_models() -> String {
    std::fs::read_to_string(library().join("schema.rs")).unwrap()
}

/// The blog example's models.
fn blog_schema() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/examples/blog/schema.rs")
}

/// A database for a test: a SQLite file in the project, or a fresh
/// database on a server.
pub(crate) enum Db {
    Sqlite(String),
    Postgres(TestDatabase),
    Mysql(TestDatabase),
}

impl Db {
    pub(crate) fn sqlite(project: &Project) -> Db {
        Db::Sqlite(project.path().join("app.db").display().to_string())
    }

    pub(crate) fn url(&self) -> String {
        match self {
            Db::Sqlite(path) => format!("sqlite://{path}"),
            Db::Postgres(db) | Db::Mysql(db) => db.url.clone(),
        }
    }

    /// The real database's schema.
    fn schema(&self) -> Schema {
        fn read<C: Introspect>(mut conn: C) -> Schema {
            introspect(&mut conn, "revchain_version").unwrap_or_else(|e| panic!("{e}"))
        }
        match self {
            Db::Sqlite(path) => read(diesel::SqliteConnection::establish(path).unwrap()),
            Db::Postgres(db) => read(db.pg()),
            Db::Mysql(db) => read(db.mysql_conn()),
        }
    }

    /// The real database's tables, revchain's included.
    pub(crate) fn tables(&self) -> Vec<String> {
        match self {
            Db::Sqlite(path) => {
                if !Path::new(path).exists() {
                    return Vec::new();
                }
                diesel::SqliteConnection::establish(path).unwrap().tables()
            }
            Db::Postgres(db) => db.pg().tables(),
            Db::Mysql(db) => db.mysql_conn().tables(),
        }
    }

    /// How many scratch databases of process `pid` the server holds.
    fn scratch_databases(&self, pid: u32) -> i64 {
        let pattern = format!("revchain\\_scratch\\_{pid}\\_%");
        match self {
            Db::Sqlite(_) => 0,
            Db::Postgres(db) => db.pg().count(&format!(
                "SELECT COUNT(*) AS n FROM pg_database WHERE datname LIKE '{pattern}'"
            )),
            Db::Mysql(db) => db.mysql_conn().count(&format!(
                "SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name LIKE '{pattern}'"
            )),
        }
    }
}

/// Runs `program ARGS` in `dir` with a clean environment and `TMPDIR` set
/// to `dir/tmp`, then asserts that it left no scratch database: neither a
/// file in `TMPDIR` nor a database on `db`'s server.
pub(crate) fn run_clean(program: &str, dir: &Path, db: Option<&Db>, args: &[&str]) -> Run {
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let child = Command::new(program)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .env("TMPDIR", &tmp)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running the command");
    let pid = child.id();
    let output = child.wait_with_output().unwrap();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    let prefix = format!("revchain_scratch_{pid}_");
    let files: Vec<String> = std::fs::read_dir(&tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&prefix))
        .collect();
    assert!(files.is_empty(), "scratch files left: {files:?}\n{run:?}");
    if let Some(db) = db {
        assert_eq!(
            db.scratch_databases(pid),
            0,
            "a scratch database of {pid} is left on the server\n{run:?}"
        );
    }
    run
}

/// A project holding a copy of the fixture's history and its models in
/// `src/schema.rs`, with a database.
struct Case {
    project: Project,
    db: Db,
}

impl Case {
    fn new(db: impl FnOnce(&Project) -> Option<Db>) -> Option<Case> {
        let project = Project::empty();
        let db = db(&project)?;
        copy_dir(&library().join("migrations"), &project.migrations());
        std::fs::create_dir_all(project.path().join("src")).unwrap();
        let case = Case { project, db };
        case.write_models(&base_models());
        Some(case)
    }

    fn write_models(&self, source: &str) {
        std::fs::write(self.project.path().join("src/schema.rs"), source).unwrap();
    }

    /// `revchain --database-url URL ARGS`.
    fn run(&self, args: &[&str]) -> Run {
        let url = self.db.url();
        let mut all = vec!["--database-url", url.as_str()];
        all.extend_from_slice(args);
        run_clean(
            env!("CARGO_BIN_EXE_revchain-test-cli"),
            self.project.path(),
            Some(&self.db),
            &all,
        )
    }

    fn file(&self, path: &str) -> String {
        std::fs::read_to_string(self.project.migrations().join(path))
            .unwrap_or_else(|e| panic!("`{path}`: {e}"))
    }
}

pub(crate) fn sqlite_db(project: &Project) -> Option<Db> {
    Some(Db::sqlite(project))
}

pub(crate) fn postgres_db(_: &Project) -> Option<Db> {
    TestDatabase::postgres().map(Db::Postgres)
}

pub(crate) fn mysql_db(_: &Project) -> Option<Db> {
    TestDatabase::mysql().map(Db::Mysql)
}

/// The fixture's models with `from` replaced by `to`, once.
fn edit(from: &str, to: &str) -> String {
    let base = base_models();
    assert_eq!(
        base.matches(from).count(),
        1,
        "`{from}` not in the fixture once"
    );
    base.replacen(from, to, 1)
}

/// The edited models of a kind of difference, and the operation `check`
/// names.
fn kind(name: &str) -> (String, &'static str) {
    match name {
        "add_column" => (
            edit(
                "bio -> Nullable<Text>,",
                "bio -> Nullable<Text>,\n        email -> Nullable<Text>,",
            ),
            "('add_column', 'authors', 'email')",
        ),
        "add_table" => (
            edit(
                "diesel::joinable!(books -> authors (author_id));",
                "diesel::table! {\n    reviews (id) {\n        id -> Integer,\n        book_id -> Integer,\n        stars -> SmallInt,\n        body -> Nullable<Text>,\n    }\n}\n\ndiesel::joinable!(books -> authors (author_id));\ndiesel::joinable!(reviews -> books (book_id));",
            ),
            "('add_table', 'reviews')",
        ),
        "drop_column" => (
            edit("        bio -> Nullable<Text>,\n", ""),
            "('remove_column', 'authors', 'bio')",
        ),
        "set_not_null" => (
            edit("pages -> Nullable<Integer>,", "pages -> Integer,"),
            "('modify_nullable', 'books', 'pages', 'null', 'not null')",
        ),
        "add_foreign_key" => (
            edit(
                "diesel::joinable!(books -> authors (author_id));",
                "diesel::joinable!(books -> authors (author_id));\ndiesel::joinable!(notes -> authors (author_id));",
            ),
            "('add_fk', 'notes', ['author_id'], 'authors', ['id'])",
        ),
        other => panic!("no kind `{other}`"),
    }
}

/// The whole path for one kind of difference on one database.
fn round_trip(db: fn(&Project) -> Option<Db>, name: &str) {
    let Some(case) = Case::new(db) else {
        return;
    };
    let (models, operation) = kind(name);
    let old = parse_str(&base_models(), "schema.rs").unwrap();
    let new = parse_str(&models, "schema.rs").unwrap();

    // The models match the history: nothing to do, and the real database
    // is not touched.
    case.run(&["check", "--schema"]).ok().stdout_has(
        "ok: no new upgrade operations detected: `src/schema.rs` matches the database at `1`",
    );
    case.run(&["revision", "-m", "nothing", "--autogenerate"])
        .ok()
        .stdout_has("no changes in schema detected");
    assert_eq!(case.db.tables(), Vec::<String>::new());
    assert_eq!(case.file("HEAD"), "1\n");

    case.run(&["upgrade", "head"]).ok();
    let before = case.db.schema();

    // 1. the models are edited; 2. `check --schema` fails and names it.
    case.write_models(&models);
    let run = case.run(&["check", "--schema"]).code(1);
    assert!(
        run.stderr
            .starts_with("error: new upgrade operations detected: ["),
        "{run:?}"
    );
    let run = run.stderr_has(operation).stderr_has(
        "= help: `src/schema.rs` and the database at `1` differ: write a revision with `revchain revision -m MESSAGE --autogenerate`",
    );
    assert_eq!(run.stdout, "");

    // 3. the revision, on top of the old head.
    let run = case
        .run(&[
            "revision",
            "-m",
            &format!("autogenerated {name}"),
            "--autogenerate",
            "--rev-id",
            "2",
        ])
        .ok();
    let dir = format!("2_autogenerated_{name}");
    assert_eq!(
        run.stdout,
        format!("Generating migrations/{dir} ...  done\nUpdating migrations/HEAD -> 2 ...  done\n")
    );
    assert!(
        run.stderr.contains(&format!("Detected {operation}")),
        "{run:?}"
    );
    assert_eq!(case.file("HEAD"), "2\n");
    assert_eq!(
        case.file(&format!("{dir}/metadata.toml")),
        format!("parent = \"1\"\nmessage = \"autogenerated {name}\"\n")
    );
    let up = case.file(&format!("{dir}/up.sql"));
    assert!(up.starts_with(revchain_schema::HEADER), "{up}");
    let down = case.file(&format!("{dir}/down.sql"));
    assert!(down.starts_with(revchain_schema::HEADER), "{down}");
    case.run(&["check"]).ok();
    case.run(&["check", "--schema"]).ok();

    // 4. the real database, upgraded, matches the models.
    case.run(&["upgrade", "head"]).ok();
    case.run(&["current"]).ok().stdout_has("2 (head)");
    let upgraded = case.db.schema();
    let left = compare(&new, &upgraded, &[]);
    assert!(
        left.is_empty(),
        "after the upgrade: {}\n{up}",
        left.describe()
    );

    // 5. downgraded, it equals the schema before.
    case.run(&["downgrade", "-1"]).ok();
    case.run(&["current"]).ok().stdout_has("1\n");
    let downgraded = case.db.schema();
    let left = compare(&before, &downgraded, &[]);
    assert!(
        left.is_empty(),
        "after the downgrade: {}\n{down}",
        left.describe()
    );
    let left = compare(&old, &downgraded, &[]);
    assert!(
        left.is_empty(),
        "after the downgrade: {}\n{down}",
        left.describe()
    );
}

macro_rules! kinds {
    ($($kind:ident),* $(,)?) => {
        mod on_sqlite {
            $( #[test] fn $kind() { super::round_trip(super::sqlite_db, stringify!($kind)); } )*
        }
        mod on_postgres {
            $( #[test] fn $kind() { super::round_trip(super::postgres_db, stringify!($kind)); } )*
        }
        mod on_mariadb {
            $( #[test] fn $kind() { super::round_trip(super::mysql_db, stringify!($kind)); } )*
        }
    };
}

kinds!(
    add_column,
    add_table,
    drop_column,
    set_not_null,
    add_foreign_key
);

/// Held for writing while a test plants a stale scratch database on a
/// server: any comparison on that server removes it and says so on stderr,
/// so a test that asserts an empty stderr holds it for reading.
static PLANTED_SCRATCH: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// The repository's history at head against the blog example's models: no
/// difference; the real database stays empty.
fn example(db: fn(&Project) -> Option<Db>) {
    let _quiet = PLANTED_SCRATCH.read().unwrap_or_else(|e| e.into_inner());
    let project = Project::empty();
    let Some(db) = db(&project) else {
        return;
    };
    let url = db.url();
    let dir = example_dir().display().to_string();
    let schema = blog_schema().display().to_string();
    let run = run_clean(
        env!("CARGO_BIN_EXE_revchain-test-cli"),
        project.path(),
        Some(&db),
        &[
            "--database-url",
            &url,
            "--dir",
            &dir,
            "check",
            "--schema",
            &schema,
        ],
    )
    .ok();
    assert_eq!(
        run.stdout,
        format!(
            "ok: 7 revisions in one straight line, from `2026-01-05-090000` to `{HEAD}` (head)\n\
             ok: no new upgrade operations detected: `{schema}` matches the database at `{HEAD}`\n"
        )
    );
    assert_eq!(run.stderr, "");
    assert_eq!(db.tables(), Vec::<String>::new());
}

#[test]
fn the_example_matches_the_blog_models_on_sqlite() {
    example(sqlite_db);
}

#[test]
fn the_example_matches_the_blog_models_on_postgres() {
    example(postgres_db);
}

#[test]
fn the_example_matches_the_blog_models_on_mariadb() {
    example(mysql_db);
}

#[test]
fn without_a_database_url_the_scratch_database_is_sqlite() {
    let project = Project::new();
    let schema = blog_schema().display().to_string();
    run_clean(
        env!("CARGO_BIN_EXE_revchain-test-cli"),
        project.path(),
        None,
        &["check", "--schema", &schema],
    )
    .ok()
    .stdout_has("ok: no new upgrade operations detected");
    // The blog's models in a config file, relative to it.
    std::fs::create_dir_all(project.path().join("conf")).unwrap();
    std::fs::write(
        project.path().join("conf/revchain.toml"),
        "schema = \"models/schema.rs\"\ndir = \"../migrations\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(project.path().join("conf/models")).unwrap();
    std::fs::copy(blog_schema(), project.path().join("conf/models/schema.rs")).unwrap();
    run_clean(
        env!("CARGO_BIN_EXE_revchain-test-cli"),
        project.path(),
        None,
        &["--config-file", "conf/revchain.toml", "check", "--schema"],
    )
    .ok()
    .stdout_has("`conf/models/schema.rs` matches the database at");
}

#[test]
fn the_embedded_db_subcommand_checks_the_schema_too() {
    let project = Project::empty();
    let schema = blog_schema().display().to_string();
    let run = run_clean(
        env!("CARGO_BIN_EXE_revchain-test-app"),
        project.path(),
        None,
        &["db", "check", "--schema", &schema],
    )
    .ok();
    assert_eq!(
        run.stdout,
        format!(
            "ok: 7 revisions in one straight line, from `2026-01-05-090000` to `{HEAD}` (head)\n\
             ok: no new upgrade operations detected: `{schema}` matches the database at `{HEAD}`\n"
        )
    );
    // An edit is found the same way.
    let edited = std::fs::read_to_string(blog_schema()).unwrap().replace(
        "        name -> Text,\n        created_at",
        "        created_at",
    );
    std::fs::write(project.path().join("schema.rs"), edited).unwrap();
    run_clean(
        env!("CARGO_BIN_EXE_revchain-test-app"),
        project.path(),
        None,
        &["db", "check", "--schema", "schema.rs"],
    )
    .code(1)
    .stderr_has("error: new upgrade operations detected: [('remove_column', 'users', 'name')]");
}

#[test]
fn no_difference_writes_nothing() {
    let case = Case::new(sqlite_db).unwrap();
    let snapshot = case.project.snapshot();
    let run = case
        .run(&["revision", "-m", "nothing to do", "--autogenerate"])
        .ok();
    assert_eq!(
        run.stdout,
        "no changes in schema detected: `src/schema.rs` matches the database at `1`; nothing written\n"
    );
    assert_eq!(case.project.snapshot(), snapshot);
    let run = case
        .run(&["--format", "json", "revision", "-m", "x", "--autogenerate"])
        .ok();
    assert_eq!(run.json()["operations"], serde_json::json!([]));
    assert_eq!(run.json()["dir"], serde_json::Value::Null);
}

#[test]
fn ignored_tables_are_left_out_on_both_sides() {
    let case = Case::new(sqlite_db).unwrap();
    // `notes` is gone from the models, and `reviews` is new.
    case.write_models(
        &edit(
            "diesel::table! {\n    notes (id) {\n        id -> Integer,\n        author_id -> Nullable<Integer>,\n        body -> Text,\n    }\n}\n",
            "diesel::table! {\n    reviews (id) {\n        id -> Integer,\n    }\n}\n",
        ),
    );
    case.run(&["check", "--schema"])
        .code(1)
        .stderr_has("('remove_table', 'notes')")
        .stderr_has("('add_table', 'reviews')");
    case.run(&["check", "--schema", "--ignore-tables", "notes,reviews"])
        .ok();
    case.run(&["check", "--schema", "--ignore-tables", "notes"])
        .code(1)
        .stderr_has("error: new upgrade operations detected: [('add_table', 'reviews')]");
    // Written: only what is not ignored.
    case.run(&[
        "revision",
        "-m",
        "add reviews",
        "--autogenerate",
        "--ignore-tables",
        "notes",
        "--rev-id",
        "2",
    ])
    .ok();
    let up = case.file("2_add_reviews/up.sql");
    assert!(up.contains("CREATE TABLE \"reviews\""), "{up}");
    assert!(!up.contains("notes"), "{up}");
}

#[test]
fn ignored_tables_come_from_a_config_file_and_the_flag_wins() {
    let case = Case::new(sqlite_db).unwrap();
    case.write_models(
        &edit(
            "diesel::table! {\n    notes (id) {\n        id -> Integer,\n        author_id -> Nullable<Integer>,\n        body -> Text,\n    }\n}\n",
            "diesel::table! {\n    reviews (id) {\n        id -> Integer,\n    }\n}\n",
        ),
    );
    std::fs::write(
        case.project.path().join("revchain.toml"),
        "ignore_tables = [\"notes\", \"reviews\"]\n",
    )
    .unwrap();
    case.run(&["--config-file", "revchain.toml", "check", "--schema"])
        .ok();
    case.run(&[
        "--config-file",
        "revchain.toml",
        "check",
        "--schema",
        "--ignore-tables",
        "notes",
    ])
    .code(1)
    .stderr_has("error: new upgrade operations detected: [('add_table', 'reviews')]");
    // The same key drives `revision --autogenerate`: nothing to write.
    let run = case
        .run(&[
            "--config-file",
            "revchain.toml",
            "revision",
            "-m",
            "nothing",
            "--autogenerate",
        ])
        .ok();
    assert!(
        run.stdout.contains("no changes in schema detected"),
        "{run:?}"
    );
    std::fs::write(
        case.project.path().join("bad.toml"),
        "ignore_tables = \"notes\"\n",
    )
    .unwrap();
    case.run(&["--config-file", "bad.toml", "check", "--schema"])
        .code(1)
        .stderr_has("error: invalid config file `bad.toml`:");
}

#[test]
fn json_reports_the_differences_as_an_error() {
    let case = Case::new(sqlite_db).unwrap();
    case.write_models(&kind("add_column").0);
    let run = case.run(&["--format", "json", "check", "--schema"]).code(1);
    assert_eq!(run.stderr, "");
    let message = run.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        message
            .starts_with("new upgrade operations detected: [('add_column', 'authors', 'email')]"),
        "{message}"
    );
    let run = case
        .run(&[
            "--format",
            "json",
            "revision",
            "-m",
            "email",
            "--autogenerate",
            "--rev-id",
            "2",
        ])
        .ok();
    let json = run.json();
    assert_eq!(json["parent"], "1");
    assert_eq!(json["dir"], "migrations/2_email");
    assert_eq!(
        json["operations"],
        serde_json::json!(["('add_column', 'authors', 'email')"])
    );
}

#[test]
fn a_not_null_column_without_a_default_is_a_warning_in_up_sql_and_on_stderr() {
    let case = Case::new(sqlite_db).unwrap();
    case.write_models(&edit(
        "published -> Bool,",
        "published -> Bool,\n        isbn -> Text,",
    ));
    let run = case
        .run(&["revision", "-m", "isbn", "--autogenerate", "--rev-id", "2"])
        .ok();
    let warning = "column `books`.`isbn` is added `NOT NULL` without a default";
    assert!(
        run.stderr.contains(&format!("warning: {warning}")),
        "{run:?}"
    );
    let up = case.file("2_isbn/up.sql");
    let second = up.lines().nth(1).unwrap_or("");
    assert!(
        second.starts_with(&format!("-- warning: {warning}")),
        "{up}"
    );
}

#[test]
fn every_parse_error_of_the_models_is_printed_with_its_position() {
    let case = Case::new(sqlite_db).unwrap();
    case.write_models(
        "diesel::table! {\n    users (id) {\n        id -> ,\n    }\n}\n\ndiesel::table! {\n    posts (id) {\n        id -> Integer\n        title -> Text,\n    }\n}\n",
    );
    let snapshot = case.project.snapshot();
    let run = case.run(&["revision", "-m", "x", "--autogenerate"]).code(1);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(lines.len() >= 2, "{run:?}");
    for line in &lines {
        assert!(line.starts_with("error: src/schema.rs:"), "{run:?}");
    }
    assert!(run.stderr.contains("error: src/schema.rs:3:"), "{run:?}");
    assert!(
        run.stderr.contains("error: src/schema.rs:9:")
            || run.stderr.contains("error: src/schema.rs:10:"),
        "{run:?}"
    );
    assert_eq!(case.project.snapshot(), snapshot);
    let run = case.run(&["check", "--schema"]).code(1);
    assert!(run.stderr.starts_with("error: src/schema.rs:3:"), "{run:?}");
    let run = case.run(&["--format", "json", "check", "--schema"]).code(1);
    assert_eq!(run.json()["error"]["schema_errors"][0]["line"], 3);
}

#[test]
fn a_missing_schema_file_says_where_to_point() {
    let case = Case::new(sqlite_db).unwrap();
    case.run(&["check", "--schema", "nowhere/schema.rs"])
        .code(1)
        .stderr_has("error: cannot read the models `nowhere/schema.rs`: ")
        .stderr_has("= help: pass diesel's `schema.rs` with `--schema FILE`, or set `schema` in a config file");
    // `--schema` needs `--autogenerate` on `revision`: bad usage.
    case.run(&["revision", "-m", "x", "--schema", "src/schema.rs"])
        .code(2);
}

#[test]
fn a_scratch_database_that_cannot_be_created_names_the_server_without_the_password() {
    let case = Case::new(sqlite_db).unwrap();
    for (url, server) in [
        (
            "postgres://app:hunter2@127.0.0.1:1/app",
            "postgres://app:***@127.0.0.1:1",
        ),
        (
            "mysql://app:hunter2@127.0.0.1:1/app",
            "mysql://app:***@127.0.0.1:1",
        ),
    ] {
        let run = run_clean(
            env!("CARGO_BIN_EXE_revchain-test-cli"),
            case.project.path(),
            None,
            &["--database-url", url, "check", "--schema"],
        )
        .code(1)
        .stderr_has(&format!(
            "error: cannot create a scratch database on `{server}`"
        ));
        assert!(!run.stderr.contains("hunter2"), "{run:?}");
        assert!(!run.stdout.contains("hunter2"), "{run:?}");
    }
}

/// A head revision that fails: the scratch database is dropped anyway, and
/// the real one is never touched.
fn failing_head(db: fn(&Project) -> Option<Db>) {
    let Some(case) = Case::new(db) else {
        return;
    };
    case.project.add_revision(
        "2_broken",
        Some("1"),
        "CREATE TABLE fine (id INTEGER);\nINSERT INTO missing_table VALUES (1);\n",
    );
    case.project.set_head("2");
    let run = case
        .run(&["check", "--schema"])
        .code(1)
        .stderr_has("error: cannot upgrade a scratch database to `2`")
        .stderr_has("revision `2` failed at `migrations/2_broken/up.sql` line 2");
    assert_eq!(run.stdout, "");
    let snapshot = case.project.snapshot();
    case.run(&["revision", "-m", "x", "--autogenerate"]).code(1);
    assert_eq!(case.project.snapshot(), snapshot);
    assert_eq!(case.db.tables(), Vec::<String>::new());
}

#[test]
fn a_failing_head_drops_the_scratch_database_on_sqlite() {
    failing_head(sqlite_db);
}

#[test]
fn a_failing_head_drops_the_scratch_database_on_postgres() {
    failing_head(postgres_db);
}

#[test]
fn a_failing_head_drops_the_scratch_database_on_mariadb() {
    failing_head(mysql_db);
}

#[test]
fn a_first_revision_from_models_without_a_migrations_directory() {
    let project = Project::empty();
    std::fs::create_dir_all(project.path().join("src")).unwrap();
    std::fs::write(project.path().join("src/schema.rs"), base_models()).unwrap();
    let run = run_clean(
        env!("CARGO_BIN_EXE_revchain-test-cli"),
        project.path(),
        None,
        &[
            "revision",
            "-m",
            "create library",
            "--autogenerate",
            "--rev-id",
            "1",
        ],
    )
    .ok();
    assert!(
        run.stderr.contains("Detected ('add_table', 'authors')"),
        "{run:?}"
    );
    let metadata =
        std::fs::read_to_string(project.migrations().join("1_create_library/metadata.toml"))
            .unwrap();
    assert_eq!(metadata, "message = \"create library\"\n");
    run_clean(
        env!("CARGO_BIN_EXE_revchain-test-cli"),
        project.path(),
        None,
        &["check", "--schema"],
    )
    .ok();
}

/// A scratch database a killed run left behind (planted here: named as
/// revchain names them, created two days ago on another machine) is removed
/// by the next comparison, which says so; a recent one of another machine,
/// whose run may still be going, is kept.
fn stale_scratch_is_removed(db: fn(&Project) -> Option<Db>) {
    let _planting = PLANTED_SCRATCH.write().unwrap_or_else(|e| e.into_inner());
    let Some(case) = Case::new(db) else {
        return;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let two_days = 2 * 24 * 3600 * 1_000_000_000_u128;
    let stale = format!(
        "revchain_scratch_{}_{}_0badcafe",
        std::process::id(),
        now - two_days
    );
    let running = format!("revchain_scratch_{}_{now}_0badcafe", u32::MAX);
    let tmp = case.project.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let exists = |name: &str| -> bool {
        match &case.db {
            Db::Sqlite(_) => tmp.join(format!("{name}.db")).exists(),
            Db::Postgres(db) => {
                db.pg().count(&format!(
                    "SELECT COUNT(*) AS n FROM pg_database WHERE datname = '{name}'"
                )) == 1
            }
            Db::Mysql(db) => db.mysql_conn().count(&format!(
                "SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name = '{name}'"
            )) == 1,
        }
    };
    let run_sql = |sql: &str| match &case.db {
        Db::Sqlite(_) => unreachable!(),
        Db::Postgres(db) => db.pg().run(&sql.replace('`', "\"")),
        Db::Mysql(db) => db.mysql_conn().run(sql),
    };
    for name in [&stale, &running] {
        match &case.db {
            Db::Sqlite(_) => std::fs::write(tmp.join(format!("{name}.db")), "").unwrap(),
            _ => run_sql(&format!("CREATE DATABASE `{name}`")),
        }
        assert!(exists(name), "{name} was not planted");
    }

    let run = case.run(&["check", "--schema"]).ok();
    assert!(
        !exists(&stale),
        "the stale scratch database is left\n{run:?}"
    );
    assert!(
        exists(&running),
        "a recent scratch database of another machine was removed\n{run:?}"
    );
    if matches!(case.db, Db::Sqlite(_)) {
        // Only this test's processes use this `TMPDIR`, so the notice is this
        // run's (on a server, a concurrent test's run may remove it first).
        run.stderr_has(&format!(
            "warning: removed the scratch database `{}` that an interrupted run (process {}) left behind 2 days ago",
            tmp.join(format!("{stale}.db")).display(),
            std::process::id()
        ));
    } else {
        run_sql(&format!("DROP DATABASE `{running}`"));
    }
}

#[test]
fn a_stale_scratch_database_is_removed_on_sqlite() {
    stale_scratch_is_removed(sqlite_db);
}

#[test]
fn a_stale_scratch_database_is_removed_on_postgres() {
    stale_scratch_is_removed(postgres_db);
}

#[test]
fn a_stale_scratch_database_is_removed_on_mariadb() {
    stale_scratch_is_removed(mysql_db);
}
