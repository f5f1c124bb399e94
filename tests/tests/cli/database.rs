//! `upgrade`, `downgrade`, `current`, `stamp` and `verify` against SQLite,
//! PostgreSQL and MariaDB.

use diesel::Connection;
use diesel::connection::SimpleConnection;

use crate::{HEAD, IDS, Project, upgrade_lines, without_durations};

/// The same walk on every backend: upgrade in steps, current, downgrade,
/// stamp, stamp --purge.
fn walk(url: &str) {
    let project = Project::new();
    if let Some(file) = sqlite_file(url) {
        // The commands that only read never create the file.
        for command in [
            &["current"][..],
            &["history", "-i"],
            &["verify"],
            &["show", "current"],
        ] {
            let run = project.run_on(url, command).code(1);
            assert_eq!(run.stdout, "");
            run.stderr_has(&format!(
                "error: the SQLite database `{url}` does not exist"
            ))
            .stderr_has("`upgrade head` creates and migrates a new database");
            assert!(!file.exists(), "{command:?} created {}", file.display());
        }
        project.run_on(url, &["upgrade", "base"]).ok();
    }
    let run = project.run_on(url, &["current"]).ok();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));

    let run = project.run_on(url, &["upgrade", "+2"]).ok();
    assert_eq!(run.stdout, "");
    assert_eq!(without_durations(&run.stderr), upgrade_lines(None, 1));
    assert_eq!(
        project.run_on(url, &["current"]).ok().stdout,
        format!("{}\n", IDS[1])
    );

    let run = project.run_on(url, &["upgrade", "--delta", "1"]).ok();
    assert_eq!(without_durations(&run.stderr), upgrade_lines(Some(1), 2));

    let run = project.run_on(url, &["upgrade"]).ok();
    assert_eq!(without_durations(&run.stderr), upgrade_lines(Some(2), 6));
    assert_eq!(
        project.run_on(url, &["current"]).ok().stdout,
        format!("{HEAD} (head)\n")
    );

    let run = project.run_on(url, &["upgrade", "head"]).ok();
    assert_eq!(
        run.stderr,
        format!("Nothing to upgrade: the database is at `{HEAD}`\n")
    );

    let run = project.run_on(url, &["downgrade", "--delta", "2"]).ok();
    assert_eq!(
        without_durations(&run.stderr),
        format!(
            "Running downgrade {HEAD} -> {}, add published_at to posts (…)\n\
             Running downgrade {} -> {}, release 1.0 (placeholder, no statement) (…)",
            IDS[5], IDS[5], IDS[4]
        )
    );
    assert_eq!(
        project.run_on(url, &["current"]).ok().stdout,
        format!("{}\n", IDS[4])
    );
    project
        .run_on(url, &["downgrade", "head"])
        .code(1)
        .stderr_has(&format!(
            "error: cannot downgrade to `{HEAD}`: the database is at `{}`; to go forward, use `upgrade`",
            IDS[4]
        ));

    let run = project.run_on(url, &["stamp", "head"]).ok();
    assert_eq!(
        run.stderr,
        format!("Running stamp_revision {} -> {HEAD}\n", IDS[4])
    );
    assert_eq!(
        project.run_on(url, &["current"]).ok().stdout,
        format!("{HEAD} (head)\n")
    );
    project
        .run_on(url, &["verify"])
        .ok()
        .stdout_has(&format!("ok: the database is clean at `{HEAD}`"));

    // The schema is really at IDS[4]: record that, whatever the table holds.
    let run = project
        .run_on(url, &["stamp", "--purge", "2026-03-09"])
        .ok();
    assert_eq!(
        run.stderr,
        format!("Running stamp_revision <base> -> {}\n", IDS[4])
    );
    assert_eq!(
        project.run_on(url, &["current"]).ok().stdout,
        format!("{}\n", IDS[4])
    );

    let run = project.run_on(url, &["downgrade", "base"]).ok();
    assert_eq!(run.stderr.lines().count(), 5, "{}", run.stderr);
    assert_eq!(project.run_on(url, &["current"]).ok().stdout, "");
}

/// The file a `sqlite://` test URL names.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    url.strip_prefix("sqlite://").map(std::path::PathBuf::from)
}

#[test]
fn walk_on_sqlite() {
    let project = Project::empty();
    walk(&project.sqlite_url("walk.db"));
    // `sqlite:` and a plain path name the same file.
    let plain = project.path().join("walk.db").display().to_string();
    let single = format!("sqlite:{plain}");
    let other = Project::new();
    other.run_on(&plain, &["upgrade", "+1"]).ok();
    assert_eq!(
        other.run_on(&single, &["current"]).ok().stdout,
        format!("{}\n", IDS[0])
    );
}

#[test]
fn walk_on_postgres() {
    let Some(db) = revchain_tests::TestDatabase::postgres() else {
        return;
    };
    walk(&db.url);
}

#[test]
fn walk_on_mariadb() {
    let Some(db) = revchain_tests::TestDatabase::mysql() else {
        return;
    };
    walk(&db.url);
    // `mariadb://` is read as `mysql://`.
    let project = Project::new();
    let mariadb = db.url.replacen("mysql://", "mariadb://", 1);
    assert_eq!(project.run_on(&mariadb, &["current"]).ok().stdout, "");
}

#[test]
fn current_verbose_names_the_database_without_its_password() {
    let Some(db) = revchain_tests::TestDatabase::postgres() else {
        return;
    };
    // The test server trusts local connections, so any password works.
    let url = db.url.replacen(
        "postgres://postgres@",
        "postgres://postgres:hunter2-secret@",
        1,
    );
    assert_ne!(
        url, db.url,
        "the test URL has an unexpected shape: {}",
        db.url
    );
    let project = Project::new();
    project.run_on(&url, &["upgrade", "2026-01-12"]).ok();
    let run = project.run_on(&url, &["current", "-v"]).ok();
    let shown = url.replace("hunter2-secret", "***");
    assert_eq!(
        run.stdout,
        format!(
            "Current revision(s) for {shown}:\n\
             Rev: 2026-01-12-141500\n\
             Parent: 2026-01-05-090000\n\
             Path: migrations/2026-01-12-141500_create_posts/up.sql\n\
             \n    create posts, each written by a user\n"
        )
    );
    let json = project.run_on(&url, &["current", "--format", "json"]).ok();
    assert_eq!(json.json()["database_url"], shown.as_str());
    assert!(!json.stdout.contains("hunter2"));
}

#[test]
fn bad_targets_fail_with_1() {
    let project = Project::new();
    let url = project.sqlite_url("db.sqlite");
    project
        .run_on(&url, &["upgrade", "nope"])
        .code(1)
        .stderr_has("error: no such revision `nope`\n");
    project
        .run_on(&url, &["upgrade", "2026-0"])
        .code(1)
        .stderr_has("error: multiple revisions start with `2026-0`");
    project.run_on(&url, &["upgrade", "+9"]).code(1).stderr_has(
        "error: relative revision `+9` goes past the head: only 7 revisions lie that way",
    );
    project
        .run_on(&url, &["downgrade", "-1"])
        .code(1)
        .stderr_has("goes past the root");
    project
        .run_on(&url, &["upgrade", "base:head"])
        .code(1)
        .stderr_has("error: the range `base:head` is only allowed with `--sql`");
    assert_eq!(project.run_on(&url, &["current"]).ok().stdout, "");
}

#[test]
fn a_database_ahead_of_the_chain_is_refused_but_reported() {
    let project = Project::new();
    let url = project.sqlite_url("db.sqlite");
    project.run_on(&url, &["upgrade"]).ok();
    // An older build: the same history without its head.
    std::fs::remove_dir_all(
        project
            .migrations()
            .join("2026-05-18-094500_add_published_at_to_posts"),
    )
    .unwrap();
    project.set_head(IDS[5]);
    project
        .run_on(&url, &["upgrade"])
        .code(1)
        .stderr_has(&format!(
            "error: the database is at revision `{HEAD}`, which is not in the embedded chain (head `{}`): it was migrated by a newer build",
            IDS[5]
        ));
    let run = project.run_on(&url, &["current"]).ok();
    assert_eq!(run.stdout, format!("{HEAD} (unknown)\n"));
    assert!(
        run.stderr.starts_with(&format!(
            "warning: the database is at `{HEAD}`, which this binary does not know"
        )),
        "{}",
        run.stderr
    );
    let json = project
        .run_on(&url, &["current", "--format", "json"])
        .ok()
        .json();
    assert_eq!(json["known"], false);
    assert_eq!(json["current"], HEAD);
    project
        .run_on(&url, &["history", "-i"])
        .ok()
        .stderr_has(&format!(
            "warning: the database is at `{HEAD}`, which is not in this chain"
        ));
}

#[test]
fn a_dirty_database_is_marked_and_stamp_clears_it() {
    let project = Project::new();
    let url = project.sqlite_url("db.sqlite");
    project.run_on(&url, &["upgrade", "2026-02-02"]).ok();
    let mut conn = diesel::SqliteConnection::establish(
        &project.path().join("db.sqlite").display().to_string(),
    )
    .unwrap();
    conn.batch_execute(
        "UPDATE revchain_version SET state = 'dirty', dirty_revision = '2026-02-20-160000', dirty_direction = 'up'",
    )
    .unwrap();
    let run = project.run_on(&url, &["current"]).ok();
    assert_eq!(run.stdout, "2026-02-02-103000 (dirty)\n");
    run.stderr_has("warning: the database is dirty: revision `2026-02-20-160000` failed partway");
    project
        .run_on(&url, &["upgrade"])
        .code(1)
        .stderr_has("error: the database is dirty: `up` of revision `2026-02-20-160000`");
    project.run_on(&url, &["stamp", "2026-02-02"]).ok();
    let run = project.run_on(&url, &["current"]).ok();
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str()),
        ("2026-02-02-103000\n", "")
    );
    project.run_on(&url, &["upgrade"]).ok();
}

#[test]
fn a_failing_revision_is_reported_once_with_the_database_message() {
    let project = Project::new();
    project.add_revision(
        "2026-06-01-000000_broken",
        Some(HEAD),
        "CREATE TABLE ok_table (id INTEGER);\nINSERT INTO missing_table (id) VALUES (1);\n",
    );
    project.set_head("2026-06-01-000000");
    let url = project.sqlite_url("db.sqlite");
    let run = project.run_on(&url, &["upgrade"]).code(1);
    let stderr = without_durations(&run.stderr);
    assert!(
        stderr.contains(&format!(
            "{}\nRunning upgrade {HEAD} -> 2026-06-01-000000, broken\n\
             error: revision `2026-06-01-000000` failed at `migrations/2026-06-01-000000_broken/up.sql` line 2: no such table: missing_table\n",
            upgrade_lines(None, 6)
        )),
        "{stderr}"
    );
    assert_eq!(
        run.stderr.matches("no such table").count(),
        1,
        "{}",
        run.stderr
    );
    assert_eq!(
        project.run_on(&url, &["current"]).ok().stdout,
        format!("{HEAD}\n")
    );
}

#[test]
fn single_transaction_applies_all_or_nothing() {
    let project = Project::new();
    let url = project.sqlite_url("db.sqlite");
    project
        .run_on(&url, &["upgrade", "--single-transaction"])
        .ok();
    assert_eq!(
        project.run_on(&url, &["current"]).ok().stdout,
        format!("{HEAD} (head)\n")
    );
    let Some(db) = revchain_tests::TestDatabase::mysql() else {
        return;
    };
    project
        .run_on(&db.url, &["upgrade", "--single-transaction"])
        .code(1)
        .stderr_has("error: single-transaction mode is not possible here: MySQL and MariaDB commit every DDL statement at once");
}

#[test]
fn version_table_options_choose_the_table() {
    let project = Project::new();
    let url = project.sqlite_url("db.sqlite");
    project
        .run_on(&url, &["upgrade", "+1", "--version-table", "my versions"])
        .ok();
    assert_eq!(project.run_on(&url, &["current"]).ok().stdout, "");
    assert_eq!(
        project
            .run_on(&url, &["current", "--version-table", "my versions"])
            .ok()
            .stdout,
        format!("{}\n", IDS[0])
    );
}

#[test]
fn a_database_error_is_printed_once_with_its_cause() {
    let project = Project::new();
    let path = project.path().join("db.sqlite");
    let mut conn = diesel::SqliteConnection::establish(&path.display().to_string()).unwrap();
    // A version table revchain did not write.
    conn.batch_execute("CREATE TABLE revchain_version (id INTEGER)")
        .unwrap();
    let run = project
        .run_on(&project.sqlite_url("db.sqlite"), &["current"])
        .code(1);
    assert_eq!(
        run.stderr,
        "error: database error while reading the version table `revchain_version`\n  caused by: no such column: revision\n"
    );
    let json = project
        .run_on(
            &project.sqlite_url("db.sqlite"),
            &["current", "--format", "json"],
        )
        .code(1)
        .json();
    assert_eq!(
        json["error"]["causes"],
        serde_json::json!(["no such column: revision"])
    );
}
