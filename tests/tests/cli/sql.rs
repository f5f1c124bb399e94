//! `upgrade --sql` and `downgrade --sql`: the script instead of a
//! connection.

use diesel::Connection;
use diesel::connection::SimpleConnection;

use crate::{HEAD, IDS, Project};

#[test]
fn upgrade_sql_prints_a_script_that_brings_a_database_to_head() {
    let project = Project::new();
    let run = project
        .run(&["upgrade", "--sql", "--dialect", "sqlite"])
        .ok();
    assert!(
        run.stdout.starts_with("-- revchain: upgrade base -> "),
        "{}",
        run.stdout
    );
    assert_eq!(run.stderr, "");
    let path = project.path().join("offline.db");
    let mut conn = diesel::SqliteConnection::establish(&path.display().to_string()).unwrap();
    conn.batch_execute(&run.stdout).unwrap();
    let url = project.sqlite_url("offline.db");
    assert_eq!(
        project.run_on(&url, &["current"]).ok().stdout,
        format!("{HEAD} (head)\n")
    );
    project.run_on(&url, &["verify"]).ok();
}

#[test]
fn the_dialect_comes_from_the_url_without_connecting() {
    let project = Project::new();
    let run = project
        .run_on(
            "postgres://app:pa55-word@127.0.0.1:1/app",
            &["upgrade", "--sql"],
        )
        .ok();
    assert!(!run.stdout.contains("pa55-word"));
    let sqlite = project
        .run(&["upgrade", "--sql", "--dialect", "sqlite"])
        .ok();
    assert_ne!(
        run.stdout, sqlite.stdout,
        "the PostgreSQL script equals SQLite's"
    );
    let postgres = project
        .run(&["upgrade", "--sql", "--dialect", "postgres"])
        .ok();
    assert_eq!(run.stdout, postgres.stdout);
    project
        .run(&["upgrade", "--sql"])
        .code(1)
        .stderr_has("error: `--sql` needs a dialect");
}

#[test]
fn ranges_set_the_start_of_a_script() {
    let project = Project::new();
    let from_start = project
        .run(&[
            "upgrade",
            "--sql",
            "--dialect",
            "sqlite",
            &format!("{}:head", IDS[4]),
        ])
        .ok();
    assert!(
        from_start
            .stdout
            .starts_with(&format!("-- revchain: upgrade {} -> {HEAD}", IDS[4])),
        "{}",
        from_start.stdout
    );
    assert!(!from_start.stdout.contains(&format!("-> {},", IDS[1])));
    let down = project
        .run(&["downgrade", "--sql", "--dialect", "mysql", "head:base"])
        .ok();
    assert!(
        down.stdout
            .contains(&format!("Running downgrade {HEAD} -> ")),
        "{}",
        down.stdout
    );
    project
        .run(&["downgrade", "--sql", "--dialect", "mysql", "-1"])
        .code(1)
        .stderr_has("error: `downgrade --sql` needs a range `FROM:TO`, not `-1`");
    project
        .run(&["downgrade", "--sql", "--dialect", "mysql", "base:head"])
        .code(1)
        .stderr_has("error: cannot downgrade to");
    let json = project
        .run(&[
            "upgrade",
            "--sql",
            "--dialect",
            "postgres",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(json["dialect"], "postgres");
    assert!(json["sql"].as_str().unwrap().contains("CREATE TABLE"));
}

#[test]
fn stamp_sql_prints_a_script_that_records_a_revision_without_running_it() {
    let project = Project::new();
    let run = project
        .run(&["stamp", "--sql", "--dialect", "sqlite", "head"])
        .ok();
    assert!(
        run.stdout
            .starts_with(&format!("-- revchain: stamp -> {HEAD} ")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("-- Running stamp_revision -> {HEAD}\n"))
    );
    let path = project.path().join("stamped.db");
    let mut conn = diesel::SqliteConnection::establish(&path.display().to_string()).unwrap();
    conn.batch_execute(&run.stdout).unwrap();
    let url = project.sqlite_url("stamped.db");
    assert_eq!(
        project.run_on(&url, &["current"]).ok().stdout,
        format!("{HEAD} (head)\n")
    );
    // Nothing of the history ran: only revchain's two tables exist.
    let tables: i64 = diesel::RunQueryDsl::get_result::<Count>(
        diesel::sql_query("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'"),
        &mut conn,
    )
    .unwrap()
    .n;
    assert_eq!(tables, 2);

    // A range sets where a relative target counts from; online, it is refused.
    let range = project
        .run(&[
            "stamp",
            "--sql",
            "--dialect",
            "postgres",
            &format!("{HEAD}:-1"),
        ])
        .ok();
    assert!(
        range
            .stdout
            .starts_with(&format!("-- revchain: stamp -> {} ", IDS[IDS.len() - 2])),
        "{}",
        range.stdout
    );
    project
        .run_on(&url, &["stamp", "base:head"])
        .code(1)
        .stderr_has("error: the range `base:head` is only allowed with `--sql`");
    let purge = project
        .run(&["stamp", "--sql", "--dialect", "mysql", "--purge", "base"])
        .ok();
    assert!(
        purge.stdout.contains("DELETE FROM `revchain_version`;\n"),
        "{}",
        purge.stdout
    );
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[test]
fn a_dialect_that_disagrees_with_the_url_is_an_error_that_shows_no_password() {
    let project = Project::new();
    let url = "postgres://app:pa55-word@127.0.0.1:1/app";
    let run = project
        .run_on(url, &["upgrade", "--sql", "--dialect", "mysql"])
        .code(1)
        .stderr_has(
            "error: `--dialect mysql` disagrees with the database URL `postgres://app:***@127.0.0.1:1/app`, which is postgres",
        );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(!run.stderr.contains("pa55-word"), "{}", run.stderr);
    // An alias of the URL's own dialect agrees.
    project
        .run_on(url, &["upgrade", "--sql", "--dialect", "postgresql"])
        .ok();
    // The same through `DATABASE_URL`, and for `stamp --sql`.
    let run = crate::run(
        project
            .revchain()
            .env("DATABASE_URL", "sqlite://x.db")
            .args(["stamp", "head", "--sql", "--dialect", "postgres"]),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("disagrees"), "{}", run.stderr);
    assert!(!project.path().join("x.db").exists(), "a file was created");
}
