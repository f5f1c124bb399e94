//! The commands embedded in an application (`revchain-test-app db …`, which
//! embeds `../migrations`) print what `revchain --dir ../migrations` prints
//! for the same state: one implementation.

use crate::{Project, Run, run, without_durations};

/// Runs `revchain --dir ../migrations ARGS` and `revchain-test-app db ARGS`
/// from the tests crate's directory (where the app's embedded paths start),
/// each on its own SQLite file, and returns both.
fn both(binary_db: &Project, app_db: &Project, args: &[&str]) -> (Run, Run) {
    let here = env!("CARGO_MANIFEST_DIR");
    let binary = run(
        assert_cmd::Command::new(env!("CARGO_BIN_EXE_revchain-test-cli"))
            .current_dir(here)
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .args(["--dir", "../migrations", "--database-url"])
            .arg(binary_db.path().join("db.sqlite"))
            .args(args),
    );
    let app = run(
        assert_cmd::Command::new(env!("CARGO_BIN_EXE_revchain-test-app"))
            .current_dir(here)
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .arg("db")
            .args(args)
            .arg("--database-url")
            .arg(app_db.path().join("db.sqlite")),
    );
    (binary, app)
}

/// Output with the database's path and the durations left out.
fn normalized(run: &Run, db: &Project) -> (i32, String, String) {
    let path = db.path().join("db.sqlite").display().to_string();
    (
        run.code,
        without_durations(&run.stdout.replace(&path, "<db>")),
        without_durations(&run.stderr.replace(&path, "<db>")),
    )
}

#[test]
fn the_binary_and_the_embedded_command_print_the_same() {
    let binary_db = Project::empty();
    let app_db = Project::empty();
    for args in [
        &["history"][..],
        &["history", "-v"],
        &["heads"],
        &["check"],
        &["show", "2026-02-20"],
        &["current"],
        &["current", "-v"],
        &["upgrade", "+3"],
        &["current", "-v"],
        &["history", "-i", "-r", "-1:current"],
        &["upgrade"],
        &["upgrade"],
        &["current"],
        &["current", "--format", "json"],
        &["history", "-i"],
        &["downgrade", "--delta", "2"],
        &["stamp", "head"],
        &["verify"],
        &["show", "2026-0"],
        &["upgrade", "nope"],
        &["downgrade", "base:head"],
        &["stamp", "--purge", "base"],
        &["upgrade", "--sql", "--dialect", "sqlite"],
        &["downgrade", "head:-2", "--sql"],
        &["stamp", "head:-1", "--sql", "--purge"],
        &["lock", "status"],
        &["lock", "status", "--lock", "table", "--format", "json"],
        &["lock", "release", "--lock", "table"],
        &["lock", "release"],
    ] {
        let (binary, app) = both(&binary_db, &app_db, args);
        assert_eq!(
            normalized(&binary, &binary_db),
            normalized(&app, &app_db),
            "`{}` differs",
            args.join(" ")
        );
        assert!(
            binary.code != 0
                || !binary.stdout.is_empty()
                || !binary.stderr.is_empty()
                || args == ["current"]
                || args == ["stamp", "--purge", "base"],
            "`{}` printed nothing",
            args.join(" ")
        );
    }
}

#[test]
fn the_embedded_command_reports_usage_errors_with_2() {
    let project = Project::new();
    let run = project.app(&["downgrade"]).code(2);
    assert!(
        run.stderr.contains("Usage: revchain-test-app db downgrade"),
        "{}",
        run.stderr
    );
    project.app(&["revision", "-m", "x"]).code(2);
    project.app(&["heads", "--help"]).ok();
}
