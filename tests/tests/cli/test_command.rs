//! `revchain test` and `db test`, as processes, on SQLite, PostgreSQL and
//! MariaDB: the stairway runs on a scratch database, never the one the URL
//! names, which stays empty; every failure is printed with its revision and
//! file, in text and in JSON, and the exit status is 1.

use std::path::Path;

use crate::schema::{Db, mysql_db, postgres_db, run_clean, sqlite_db};
use crate::{IDS, Project, Run, copy_dir};

/// The fixture of every kind of failure.
fn faults() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/stairway_faults/migrations")
}

/// `revchain --database-url URL test ARGS` in `project`, asserting that no
/// scratch database is left and that the named database is untouched.
fn test(project: &Project, db: &Db, args: &[&str]) -> Run {
    let url = db.url();
    let mut all = vec!["--database-url", url.as_str(), "test"];
    all.extend_from_slice(args);
    let run = run_clean(
        env!("CARGO_BIN_EXE_revchain-test-cli"),
        project.path(),
        Some(db),
        &all,
    );
    assert_eq!(
        db.tables(),
        Vec::<String>::new(),
        "the named database was touched\n{run:?}"
    );
    run
}

macro_rules! on_every_backend {
    ($sqlite:ident, $pg:ident, $mysql:ident, |$project:ident, $db:ident| $body:block) => {
        #[test]
        fn $sqlite() {
            let $project = Project::new();
            let $db = sqlite_db(&$project).unwrap();
            $body
        }

        #[test]
        fn $pg() {
            let $project = Project::new();
            let Some($db) = postgres_db(&$project) else {
                return;
            };
            $body
        }

        #[test]
        fn $mysql() {
            let $project = Project::new();
            let Some($db) = mysql_db(&$project) else {
                return;
            };
            $body
        }
    };
}

on_every_backend!(
    the_example_passes_sqlite,
    the_example_passes_postgres,
    the_example_passes_mysql,
    |project, db| {
        let run = test(&project, &db, &[]).ok();
        assert_eq!(
            run.stdout.trim_end().lines().last(),
            Some("ok: 7 of 7 revisions tested, downgraded from head to base, 0 failures"),
            "{run:?}"
        );
        // A progress line per revision, on stderr.
        for (n, id) in IDS.iter().enumerate() {
            let line = format!("stairway {}/7 `{id}`: ok (", n + 1);
            assert!(run.stderr.contains(&line), "{line}\n{run:?}");
        }
    }
);

on_every_backend!(
    every_failure_is_printed_and_exits_1_sqlite,
    every_failure_is_printed_and_exits_1_postgres,
    every_failure_is_printed_and_exits_1_mysql,
    |project, db| {
        std::fs::remove_dir_all(project.migrations()).unwrap();
        copy_dir(&faults(), &project.migrations());
        let run = test(&project, &db, &[])
            .code(1)
            .stdout_has("failed: revision `2`: `down.sql` failed: ")
            .stdout_has("  file: `migrations/2_failing_down/down.sql` line 1\n  statement: DROP TABLE no_such_table")
            .stdout_has("failed: revision `4`: the schema after `down.sql` differs from the schema before `up.sql` (1 difference)\n  file: `migrations/4_drops_too_much/down.sql`\n  - removed: table `tags`")
            .stdout_has("  - left behind: column `users`.`email`")
            .stdout_has("failed: revision `5`: `up.sql`, applied again after `down.sql`, failed: ")
            .stdout_has("skipped the down step of 1 revision without `down.sql`: `3`")
            .stdout_has("stopped: `5` cannot be applied again after its `down.sql`")
            .stdout_has("5 of 6 revisions tested, 4 failures")
            .stderr_has("stairway 2/6 `2`: 1 failure (")
            .stderr_has("stairway 3/6 `3`: ok, down step skipped: no `down.sql` (")
            .stderr_has("error: the migrations failed the test: 4 failures, and the stairway stopped early");
        assert!(!run.stderr.contains("stairway 6/6"), "{run:?}");

        let json = test(&project, &db, &["--format", "json"]).code(1);
        assert_eq!(json.stderr, "");
        let value = json.json();
        assert_eq!(value["ok"], false);
        let checks: Vec<(&str, &str)> = value["failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["check"].as_str().unwrap(),
                    f["revision"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            checks,
            [
                ("downgrade", "2"),
                ("schema", "4"),
                ("schema", "5"),
                ("reupgrade", "5")
            ]
        );
        assert_eq!(
            value["failures"][0]["statement"],
            "DROP TABLE no_such_table"
        );
        assert_eq!(
            value["failures"][1]["differences"][0],
            "removed: table `tags`"
        );
        assert_eq!(value["skipped"][0]["file"], "migrations/3_no_down/down.sql");
        assert_eq!(value["tested"].as_array().unwrap().len(), 5);
    }
);

#[test]
fn from_starts_the_stairway_later() {
    let project = Project::new();
    let db = sqlite_db(&project).unwrap();
    let run = test(&project, &db, &["--from", "head-1"]).ok();
    assert!(
        run.stdout.contains("ok: 2 of 7 revisions tested"),
        "{run:?}"
    );
    assert!(!run.stderr.contains("stairway 5/7"), "{run:?}");
    assert!(run.stderr.contains("stairway 6/7"), "{run:?}");

    test(&project, &db, &["--from", "nope"])
        .code(1)
        .stderr_has("error: cannot run the stairway on the scratch database")
        .stderr_has("cannot start the stairway at `nope`: no such revision `nope`");
}

#[test]
fn the_models_are_compared_at_head() {
    let project = Project::new();
    let db = sqlite_db(&project).unwrap();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/examples/blog/schema.rs");
    let schema = schema.display().to_string();
    test(&project, &db, &["--schema", &schema])
        .ok()
        .stdout_has("the models match head");
    // One column more in the models than at head.
    let edited = project.path().join("schema.rs");
    let source = std::fs::read_to_string(&schema).unwrap();
    let source = source.replacen(
        "name -> Text,",
        "name -> Text,\n        nickname -> Nullable<Text>,",
        1,
    );
    std::fs::write(&edited, source).unwrap();
    test(&project, &db, &["--schema", "schema.rs"])
        .code(1)
        .stdout_has(
            "failed: revision `2026-05-18-094500`: the models differ from the database at head",
        )
        .stdout_has("  file: `schema.rs`");
}

#[test]
fn db_test_in_an_application() {
    let project = Project::empty();
    let db = sqlite_db(&project).unwrap();
    let url = db.url();
    let run = run_clean(
        env!("CARGO_BIN_EXE_revchain-test-app"),
        project.path(),
        Some(&db),
        &["db", "--database-url", &url, "test"],
    )
    .ok();
    assert!(
        run.stdout.contains("ok: 7 of 7 revisions tested"),
        "{run:?}"
    );
    assert_eq!(db.tables(), Vec::<String>::new());
}
