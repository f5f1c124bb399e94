//! `lock status` and `lock release [--force]`, as text and JSON, with
//! their exit statuses, in the binary and in the embedded `db` subcommand.

use diesel::Connection;
use diesel::connection::SimpleConnection;

use crate::Project;

/// Writes the lock row by hand: held by pid 4242 on `elsewhere`, its lease
/// ending `expires` (SQLite's clock).
fn hold_by_hand(project: &Project, expires: &str) {
    let mut conn = diesel::SqliteConnection::establish(
        &project.path().join("db.sqlite").display().to_string(),
    )
    .unwrap();
    conn.batch_execute(&format!(
        "UPDATE revchain_version_lock SET token = 'by-hand', host = 'elsewhere', pid = '4242', application = 'hand', taken_at = datetime('now'), expires_at = datetime('now', '{expires}') WHERE id = 1"
    ))
    .unwrap();
}

const HELD: &str =
    "lock: table (`revchain_version_lock`), held by pid 4242 on `elsewhere` (`hand`) since ";

#[test]
fn lock_status_and_release_of_a_table_lock() {
    let project = Project::new();
    let url = project.sqlite_url("db.sqlite");
    let on = |args: &[&str]| {
        let mut all = vec!["--lock", "table"];
        all.extend_from_slice(args);
        project.run_on(&url, &all)
    };
    // A reading command: a missing file is an error, and stays missing.
    on(&["lock", "status"])
        .code(1)
        .stderr_has("error: the SQLite database `");
    assert!(!project.path().join("db.sqlite").exists());
    on(&["upgrade", "base"]).ok();
    let run = on(&["lock", "status"]).ok();
    assert_eq!(run.stdout, "lock: table (`revchain_version_lock`), free\n");
    assert_eq!(run.stderr, "");

    hold_by_hand(&project, "+1 hour");
    on(&["lock", "status"])
        .ok()
        .stdout_has(HELD)
        .stdout_has(", lease expires at ");
    let status = on(&["lock", "status", "--format", "json"]).ok().json();
    assert_eq!(status["strategy"], "table");
    assert_eq!(status["table"], "revchain_version_lock");
    assert_eq!(status["state"], "held");
    assert_eq!(status["expired"], false);
    assert_eq!(status["holder"]["pid"], "4242");
    assert_eq!(status["holder"]["host"], "elsewhere");
    assert_eq!(status["holder"]["application"], "hand");
    assert!(status["expires_at"].is_string(), "{status}");

    let run = on(&["lock", "release"])
        .code(1)
        .stderr_has("error: the migration lock in `revchain_version_lock` is held by pid 4242 on `elsewhere` (`hand`)")
        .stderr_has("`--force` frees it now anyway");
    assert_eq!(run.stdout, "");
    let error = on(&["lock", "release", "--format", "json"]).code(1).json();
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("held by pid 4242"), "{message}");
    on(&["lock", "status"]).ok().stdout_has(HELD);

    on(&["lock", "release", "--force"])
        .ok()
        .stdout_has("released the migration lock in `revchain_version_lock`, held by pid 4242 on `elsewhere` (`hand`) since ")
        .stdout_has(" (forced)\n");
    on(&["lock", "status"])
        .ok()
        .stdout_has("lock: table (`revchain_version_lock`), free\n");

    hold_by_hand(&project, "-1 hour");
    on(&["lock", "status"])
        .ok()
        .stdout_has(", lease expired at ");
    let released = on(&["lock", "release", "--format", "json"]).ok().json();
    assert_eq!(released["released"], true);
    assert_eq!(released["forced"], false);
    assert_eq!(released["state"], "expired");
    assert_eq!(released["holder"]["pid"], "4242");
    let run = on(&["lock", "release"]).ok();
    assert_eq!(run.stdout, "lock: free, nothing to release\n");
    let free = on(&["lock", "release", "--format", "json"]).ok().json();
    assert_eq!(free["released"], false);
}

#[test]
fn lock_commands_honour_the_config_files() {
    let project = Project::new();
    std::fs::write(
        project.path().join("revchain.toml"),
        "lock = \"table\"\nversion_table = \"app_version\"\n",
    )
    .unwrap();
    // An empty file is an empty SQLite database, which reading commands
    // read.
    std::fs::write(project.path().join("db.sqlite"), "").unwrap();
    let url = project.sqlite_url("db.sqlite");
    project
        .run_on(&url, &["--config-file", "revchain.toml", "lock", "status"])
        .ok()
        .stdout_has("lock: table (`app_version_lock`), free\n");
    project
        .run_on(
            &url,
            &[
                "--config-file",
                "revchain.toml",
                "--lock",
                "none",
                "lock",
                "status",
            ],
        )
        .ok()
        .stdout_has("lock: none: no lock is taken");
}

#[test]
fn sqlite_advisory_and_none_cannot_be_released() {
    let project = Project::new();
    std::fs::write(project.path().join("db.sqlite"), "").unwrap();
    let url = project.sqlite_url("db.sqlite");
    let status = project
        .run_on(&url, &["lock", "status", "--format", "json"])
        .ok()
        .json();
    assert_eq!(status["strategy"], "advisory");
    assert_eq!(status["state"], "unknown");
    project
        .run_on(&url, &["lock", "release"])
        .code(1)
        .stderr_has("error: cannot release the migration lock: SQLite's `advisory` strategy holds no lock between steps");
    project
        .run_on(&url, &["--lock", "none", "lock", "release", "--force"])
        .code(1)
        .stderr_has("the lock strategy is `none`")
        .stderr_has("pass `--lock table`");
}

#[test]
fn the_embedded_db_lock_status_names_the_holder() {
    let project = Project::new();
    let url = project.sqlite_url("db.sqlite");
    project
        .app(&["upgrade", "--lock", "table", "--database-url", &url])
        .ok();
    hold_by_hand(&project, "+1 hour");
    project
        .app(&["lock", "status", "--lock", "table", "--database-url", &url])
        .ok()
        .stdout_has(HELD);
    project
        .app(&["lock", "release", "--lock", "table", "--database-url", &url])
        .code(1)
        .stderr_has("held by pid 4242");
    project
        .app(&[
            "lock",
            "release",
            "--force",
            "--lock",
            "table",
            "--database-url",
            &url,
        ])
        .ok()
        .stdout_has("(forced)");
}
