//! `--init-sql`, `init_sql` in a config file and `Embedded::init_sql`: SQL
//! run on every connection before anything else, scratch databases
//! included.

use diesel::connection::SimpleConnection;
use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use revchain_schema::introspect;
use revchain_tests::TestDatabase;

use crate::{Project, copy_dir};

const FK_OFF: &str = "SET FOREIGN_KEY_CHECKS = 0";

/// A project whose `migrations/` is the import of a MySQL diesel history
/// whose first migration references a table a later one creates.
fn forward_reference() -> (Project, std::path::PathBuf) {
    let project = Project::empty();
    let original = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/import/diesel_mysql_forward_fk/migrations");
    copy_dir(&original, &project.path().join("diesel"));
    project.run(&["import", "--from", "diesel", "diesel"]).ok();
    (project, original)
}

#[test]
fn a_mysql_history_with_a_forward_reference_applies_with_init_sql_as_diesel_does() {
    let (project, original) = forward_reference();
    let (Some(plain), Some(revchain), Some(diesel)) = (
        TestDatabase::mysql(),
        TestDatabase::mysql(),
        TestDatabase::mysql(),
    ) else {
        return;
    };
    project
        .run_on(&plain.url, &["upgrade", "head"])
        .code(1)
        .stderr_has("2020-01-01-000000");
    project
        .run_on(&revchain.url, &["--init-sql", FK_OFF, "upgrade", "head"])
        .ok();
    project
        .run_on(&revchain.url, &["--init-sql", FK_OFF, "verify"])
        .ok();

    // The application runs the statement before diesel migrates.
    let mut conn = diesel.mysql_conn();
    conn.batch_execute(FK_OFF).unwrap();
    conn.run_pending_migrations(FileBasedMigrations::from_path(&original).unwrap())
        .unwrap();
    let expected = introspect(&mut conn, "revchain_version").unwrap();
    let actual = introspect(&mut revchain.mysql_conn(), "revchain_version").unwrap();
    assert_eq!(actual, expected);
    assert!(expected.table("posts").is_some());

    // The database diesel migrated is adopted: nothing runs again.
    drop(conn);
    project
        .run_on(&diesel.url, &["--init-sql", FK_OFF, "upgrade", "head"])
        .ok()
        .stderr_has("Adopted 2 revisions that diesel_migrations, sqlx or refinery applied, up to `2020-01-02-000000`")
        .stderr_has("Nothing to upgrade");
    project.run_on(&diesel.url, &["verify"]).ok();
}

#[test]
fn init_sql_from_a_config_file_runs_on_every_connection() {
    let (project, _) = forward_reference();
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    std::fs::write(
        project.path().join("revchain.toml"),
        format!("init_sql = [\"{FK_OFF}\"]\n"),
    )
    .unwrap();
    project
        .run_on(
            &db.url,
            &["--config-file", "revchain.toml", "upgrade", "head"],
        )
        .ok()
        .stderr_has("Running upgrade 2020-01-01-000000 -> 2020-01-02-000000");
}

#[test]
fn a_failing_init_statement_is_named_by_position_not_echoed() {
    let project = Project::new();
    let url = project.sqlite_url("app.db");
    // An empty file is an empty database; `current` only reads, and never
    // creates one.
    std::fs::write(project.path().join("app.db"), "").unwrap();
    let secret = "SELECT 'hunter2' FROM no_such_table";
    let run = project
        .run_on(
            &url,
            &["--init-sql", "SELECT 1", "--init-sql", secret, "current"],
        )
        .code(1)
        .stderr_has("the `init_sql` statement 2 of 2 failed");
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    project
        .run_on(
            &url,
            &["--init-sql", "CREATE TEMP TABLE t (x INTEGER)", "upgrade"],
        )
        .ok();
}

#[test]
fn scratch_databases_run_init_sql_too() {
    let project = Project::new();
    std::fs::create_dir_all(project.path().join("src")).unwrap();
    std::fs::write(project.path().join("src/schema.rs"), "").unwrap();
    project
        .run(&[
            "--init-sql",
            "SELECT * FROM no_such_table",
            "check",
            "--schema",
        ])
        .code(1)
        .stderr_has("the `init_sql` statement 1 of 1 failed");
}

#[test]
fn an_application_sets_init_sql_with_embedded_init_sql() {
    let project = Project::new();
    let url = project.sqlite_url("app.db");
    std::fs::write(project.path().join("app.db"), "").unwrap();
    let run = project.app(&["--database-url", &url, "current"]);
    // `revchain-test-app` sets `init_sql` when `REVCHAIN_TEST_APP_INIT_SQL`
    // asks it to.
    run.ok();
    let failing = crate::run(
        project
            .app_command()
            .env("REVCHAIN_TEST_APP_INIT_SQL", "SELECT * FROM no_such_table")
            .args(["db", "--database-url", &url, "current"]),
    );
    failing
        .code(1)
        .stderr_has("the `init_sql` statement 1 of 1 failed");
}
