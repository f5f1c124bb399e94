//! The files on disk, as the `revchain` command reads them: `check` (and
//! `upgrade`) refuse a FIFO, a file over its cap, a link that leads nowhere,
//! a NUL byte and an unreadable directory with exit 1 and a message that
//! names the file, and never hang.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::time::Duration;

use revchain_tests::{Probe, TestDatabase};

use crate::{HEAD, IDS, Project, Run, run};

/// The revision directory of the example's second revision.
const POSTS: &str = "2026-01-12-141500_create_posts";

/// The most a run may take before it is killed and the test fails: a
/// liveness guard against a read that blocks, not a timing assertion.
const LIVENESS: Duration = Duration::from_secs(30);

/// Runs `revchain ARGS` in `project`, killed after [`LIVENESS`].
fn live(project: &Project, args: &[&str]) -> Run {
    let run = run(project.revchain().args(args).timeout(LIVENESS));
    assert_ne!(
        run.code,
        -1,
        "`revchain {}` was killed after {LIVENESS:?}: it blocked",
        args.join(" ")
    );
    run
}

fn mkfifo(path: &Path) {
    let _ = fs::remove_file(path);
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

#[test]
fn check_refuses_a_fifo_head_without_hanging() {
    let project = Project::new();
    mkfifo(&project.migrations().join("HEAD"));
    live(&project, &["check"])
        .code(1)
        .stderr_has("error: `migrations/HEAD` is a FIFO (named pipe), not a regular file\n  --> migrations/HEAD\n  = help: replace it with a regular file");
    let json = live(&project, &["check", "--format", "json"])
        .code(1)
        .json();
    assert!(json.to_string().contains("\"not_regular_file\""), "{json}");
}

#[test]
fn upgrade_refuses_a_fifo_sql_file_without_hanging_or_applying_anything() {
    for file in ["up.sql", "down.sql", "metadata.toml"] {
        let project = Project::new();
        mkfifo(&project.migrations().join(POSTS).join(file));
        live(&project, &["check"]).code(1).stderr_has(&format!(
            "`migrations/{POSTS}/{file}` is a FIFO (named pipe), not a regular file"
        ));
        let url = project.sqlite_url("db.sqlite");
        live(&project, &["--database-url", &url, "upgrade"])
            .code(1)
            .stderr_has("is a FIFO (named pipe), not a regular file");
        assert!(
            !project.path().join("db.sqlite").exists(),
            "nothing is applied (the database is not even opened) when the chain cannot be read"
        );
    }
}

#[test]
fn check_refuses_an_sql_file_over_the_cap() {
    let project = Project::new();
    let up = project.migrations().join(POSTS).join("up.sql");
    // Sparse: its size without writing it.
    fs::File::create(&up)
        .unwrap()
        .set_len(revchain_internals::MAX_SQL_FILE_BYTES + 1)
        .unwrap();
    live(&project, &["check"]).code(1).stderr_has(&format!(
        "error: `migrations/{POSTS}/up.sql` is too large: 16777217 bytes, over the 16 MiB (16777216 bytes) that revchain reads of an SQL file"
    ));
}

#[test]
fn check_names_dangling_and_looping_links_as_links() {
    let project = Project::new();
    let head = project.migrations().join("HEAD");
    fs::remove_file(&head).unwrap();
    symlink("../elsewhere/HEAD", &head).unwrap();
    let up = project.migrations().join(POSTS).join("up.sql");
    fs::remove_file(&up).unwrap();
    symlink("up.sql", &up).unwrap();
    let run = live(&project, &["check"]).code(1)
        .stderr_has("error: `migrations/HEAD` is a dangling symbolic link: nothing exists at `../elsewhere/HEAD`, where it points")
        .stderr_has(&format!("error: `migrations/{POSTS}/up.sql` is a symbolic link that never reaches a file: following it (to `up.sql`) loops"));
    assert!(!run.stderr.contains("missing"), "{}", run.stderr);
    assert!(!run.stderr.contains("has no `up.sql`"), "{}", run.stderr);
}

#[test]
fn check_follows_links_that_lead_out_of_the_directory() {
    let project = Project::new();
    let shared = project.path().join("shared");
    fs::create_dir(&shared).unwrap();
    let dir = project.migrations().join(POSTS);
    fs::rename(&dir, shared.join(POSTS)).unwrap();
    symlink(shared.join(POSTS), &dir).unwrap();
    live(&project, &["check"]).ok().stdout_has(&format!(
        "ok: 7 revisions in one straight line, from `{}` to `{HEAD}` (head)",
        IDS[0]
    ));
}

/// The example history with a NUL byte in its second revision's `up.sql`.
fn with_nul_byte() -> Project {
    let project = Project::new();
    let up = project.migrations().join(POSTS).join("up.sql");
    let mut sql = fs::read(&up).unwrap();
    sql.extend_from_slice(b"SELECT '\0';\n");
    fs::write(&up, sql).unwrap();
    project
}

#[test]
fn check_refuses_a_nul_byte_with_its_line() {
    let project = with_nul_byte();
    live(&project, &["check"])
        .code(1)
        .stderr_has(&format!(
            "error: `migrations/{POSTS}/up.sql` holds a NUL byte at line"
        ))
        .stderr_has("which no database accepts in SQL text");
}

/// Runs `revchain ARGS` in `project` with `locked` (a directory) at mode
/// 000, where permissions are enforced: as root they are not, so the command
/// then runs under `setpriv` without the capabilities that bypass them.
/// `None`, after a notice, when neither is possible.
fn run_locked(project: &Project, locked: &Path, args: &[&str]) -> Option<Run> {
    fs::set_permissions(locked, fs::Permissions::from_mode(0o000)).unwrap();
    let enforced = fs::read_dir(locked).is_err();
    let run = if enforced {
        live(project, args)
    } else {
        let mut command = assert_cmd::Command::new("setpriv");
        command
            .current_dir(project.path())
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .args(["--inh-caps=-all", "--bounding-set=-all", "--"])
            .arg(env!("CARGO_BIN_EXE_revchain-test-cli"))
            .args(args)
            .timeout(LIVENESS);
        run(&mut command)
    };
    fs::set_permissions(locked, fs::Permissions::from_mode(0o755)).unwrap();
    if !enforced && run.stderr.starts_with("setpriv:") {
        eprintln!(
            "notice: permissions are not enforced (root) and `setpriv` cannot drop the capabilities: skipped\n{}",
            run.stderr
        );
        return None;
    }
    Some(run)
}

/// Runs `upgrade` on `url` with a NUL byte in the second revision, and checks
/// that the rules refuse it.
fn upgrade_refuses_a_nul_byte(url: &str) {
    let project = with_nul_byte();
    live(&project, &["--database-url", url, "upgrade"])
        .code(1)
        .stderr_has(&format!(
            "error: `migrations/{POSTS}/up.sql` holds a NUL byte at line"
        ));
}

#[test]
fn a_nul_byte_stops_upgrade_before_any_revision_runs_on_every_backend() {
    // Before, the first revision ran, and the server refused the second
    // halfway through the upgrade.
    let project = Project::empty();
    let sqlite = project.path().join("db.sqlite");
    upgrade_refuses_a_nul_byte(&project.sqlite_url("db.sqlite"));
    assert!(!sqlite.exists(), "the SQLite file is not even created");
    if let Some(db) = TestDatabase::postgres() {
        upgrade_refuses_a_nul_byte(&db.url);
        assert_eq!(db.pg().tables(), Vec::<String>::new());
    }
    if let Some(db) = TestDatabase::mysql() {
        upgrade_refuses_a_nul_byte(&db.url);
        assert_eq!(db.mysql_conn().tables(), Vec::<String>::new());
    }
}

#[test]
fn an_unreadable_migrations_directory_says_permission_denied() {
    let project = Project::new();
    let Some(run) = run_locked(&project, &project.migrations(), &["check"]) else {
        return;
    };
    let run = run
        .code(1)
        .stderr_has("error: migrations directory `migrations` cannot be read: permission denied");
    assert!(!run.stderr.contains("does not exist"), "{}", run.stderr);
    assert!(!run.stderr.contains("create it"), "{}", run.stderr);
}

#[test]
fn revision_never_starts_a_new_history_where_it_cannot_read_one() {
    // Behind a directory that cannot be entered.
    let project = Project::new();
    let db = project.path().join("db");
    fs::create_dir(&db).unwrap();
    fs::rename(project.migrations(), db.join("migrations")).unwrap();
    let before = fs::read_dir(db.join("migrations")).unwrap().count();
    let Some(run) = run_locked(
        &project,
        &db,
        &["--dir", "db/migrations", "revision", "-m", "add bio"],
    ) else {
        return;
    };
    run.code(1).stderr_has(
        "error: migrations directory `db/migrations` cannot be read: permission denied",
    );
    assert_eq!(fs::read_dir(db.join("migrations")).unwrap().count(), before);

    // A dangling link: reported, and left as it was.
    let project = Project::empty();
    symlink("db/migrations", project.migrations()).unwrap();
    live(&project, &["revision", "-m", "first"])
        .code(1)
        .stderr_has("error: `migrations` is a dangling symbolic link: nothing exists at `db/migrations`, where it points");
    assert_eq!(
        fs::read_link(project.migrations()).unwrap(),
        Path::new("db/migrations")
    );
}

#[test]
fn import_reads_other_tools_sql_files_by_the_same_rules_without_hanging() {
    for (tool, fifo, nul) in [
        ("sqlx", "1_fifo.sql", "2_nul.sql"),
        ("refinery", "V1__fifo.sql", "V2__nul.sql"),
    ] {
        let project = Project::empty();
        let dir = project.path().join(tool);
        fs::create_dir_all(&dir).unwrap();
        mkfifo(&dir.join(fifo));
        fs::write(dir.join(nul), "SELECT 1;\0").unwrap();
        let run = live(&project, &["import", "--from", tool, tool]).code(1);
        assert!(
            run.stderr.contains(&format!(
                "{fifo}` is a FIFO (named pipe), not a regular file"
            )),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("NUL byte"), "{}", run.stderr);
        assert!(!project.migrations().join("HEAD").exists());
    }
}
