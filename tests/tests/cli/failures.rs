//! How a read-only database and a lost connection are printed: an error
//! with its help line, exit 1, in text and in JSON.

use std::process::{Command, Stdio};

use revchain_tests::{Probe, TestDatabase};

use crate::{IDS, Project};

#[test]
fn a_read_only_database_is_refused_with_help() {
    let project = Project::new();
    project
        .run_on(&project.sqlite_url("db.sqlite"), &["upgrade", IDS[0]])
        .ok();
    // A URI filename, opened read-only by SQLite (root ignores `chmod`).
    let url = format!(
        "file:{}?mode=ro",
        project.path().join("db.sqlite").display()
    );
    let run = project.run_on(&url, &["upgrade"]).code(1);
    assert!(
        run.stderr.starts_with(
            "error: cannot `upgrade`: the SQLite file is read-only (SQLite refused a write"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("nothing was written\n  = help: run this on the writable database file"),
        "{}",
        run.stderr
    );
    let json = project
        .run_on(&url, &["stamp", "head", "--format", "json"])
        .code(1)
        .json();
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("cannot `stamp`: the SQLite file is read-only")
            && !message.contains("help"),
        "{message}"
    );
    let help = json["error"]["help"].as_str().unwrap();
    assert!(
        help.starts_with("run this on the writable database file"),
        "{help}"
    );
    // Reading works.
    assert_eq!(
        project.run_on(&url, &["current"]).ok().stdout,
        format!("{}\n", IDS[0])
    );
}

#[test]
fn a_lost_connection_is_printed_with_help() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let project = Project::empty();
    project.add_revision(
        "1_sleep",
        None,
        "SELECT pg_sleep(300) FROM sleep_control;\n",
    );
    project.set_head("1");
    let mut admin = db.pg();
    admin.run("CREATE TABLE sleep_control (id INTEGER); INSERT INTO sleep_control VALUES (1)");
    let child = Command::new(env!("CARGO_BIN_EXE_revchain-test-cli"))
        .current_dir(project.path())
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .args(["--database-url", &db.url, "upgrade", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let query = "SELECT CAST(COALESCE(MAX(pid), 0) AS BIGINT) AS n FROM pg_stat_activity WHERE query LIKE '%SELECT pg_sleep(300) FROM sleep_control%' AND pid <> pg_backend_pid()";
    let mut pid = 0;
    for _ in 0..1200 {
        pid = admin.count(query);
        if pid != 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_ne!(pid, 0, "the revision never started");
    admin.run(&format!("SELECT pg_terminate_backend({pid})"));
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "the connection to the database was lost while running `1` (`migrations/1_sleep/up.sql` line 1): "
        ),
        "{message}"
    );
    assert!(
        message.ends_with("\n  = note: `1` runs in one transaction with its record, and the server rolled that transaction back: the database is still at `base`"),
        "{message}"
    );
    assert_eq!(
        json["error"]["help"],
        "run the command again: it resumes from where the database is"
    );
    // The text form, on a rerun that finds the database as the note says.
    admin.run("DELETE FROM sleep_control");
    let run = project.run_on(&db.url, &["upgrade"]).ok();
    assert!(
        run.stderr.starts_with("Running upgrade <base> -> 1"),
        "{}",
        run.stderr
    );
}

/// At head, a read-only database has nothing to write: `upgrade` succeeds
/// as it does on a writable one, and `downgrade` is refused.
#[test]
fn upgrade_at_head_on_a_read_only_database_succeeds() {
    let project = Project::new();
    project
        .run_on(&project.sqlite_url("db.sqlite"), &["upgrade"])
        .ok();
    let url = format!(
        "file:{}?mode=ro",
        project.path().join("db.sqlite").display()
    );
    let run = project.run_on(&url, &["upgrade"]).ok();
    assert_eq!(
        run.stderr,
        format!("Nothing to upgrade: the database is at `{}`\n", crate::HEAD)
    );
    let json = project
        .run_on(&url, &["upgrade", "head", "--format", "json"])
        .ok()
        .json();
    assert_eq!(json["steps"], serde_json::json!([]));
    project
        .run_on(&url, &["downgrade", "-1"])
        .code(1)
        .stderr_has("error: cannot `downgrade`: the SQLite file is read-only");
}
