//! `revchain import`: the files it writes, in place or into a new
//! directory, what it refuses (with nothing written), `--dry-run` and
//! `--format json`.

use std::path::{Path, PathBuf};

use crate::{Project, copy_dir, files_under};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/import")
        .join(name)
}

/// A project whose `migrations/` holds the diesel fixture.
fn diesel_project() -> Project {
    let project = Project::empty();
    copy_dir(&fixture("diesel/migrations"), &project.migrations());
    project
}

#[test]
fn a_diesel_history_imports_into_a_new_directory_as_the_committed_fixture() {
    let project = diesel_project();
    let run = project
        .run(&[
            "import",
            "--from",
            "diesel",
            "migrations",
            "--dir",
            "db/migrations",
        ])
        .ok()
        .stdout_has("Imported 6 diesel migrations from migrations into db/migrations")
        .stdout_has("renamed from `2019-01-01-000000_create users`");
    assert!(
        run.stdout.contains("  HEAD -> 2021-04-04-000000"),
        "{}",
        run.stdout
    );
    assert_eq!(
        files_under(&project.path().join("db/migrations")),
        files_under(&fixture("diesel_imported/migrations"))
    );
    project
        .run(&["check", "--dir", "db/migrations"])
        .ok()
        .stdout_has("6 revisions in one straight line");
    // The source is left as it was.
    assert_eq!(
        files_under(&project.migrations()),
        files_under(&fixture("diesel/migrations"))
    );
}

#[test]
fn an_in_place_conversion_only_adds_files_and_renames_directories() {
    let project = diesel_project();
    let before = files_under(&project.migrations());
    project
        .run(&["import", "--from", "diesel", "migrations"])
        .ok()
        .stdout_has("in place in migrations");
    let after = files_under(&project.migrations());
    assert_eq!(after, files_under(&fixture("diesel_imported/migrations")));
    for (path, bytes) in &before {
        let renamed = PathBuf::from(
            path.to_string_lossy()
                .replace("create users", "create_users"),
        );
        let now = &after
            .iter()
            .find(|(p, _)| *p == renamed)
            .unwrap_or_else(|| panic!("{} is gone", path.display()))
            .1;
        if path.ends_with("metadata.toml") {
            let kept = now.windows(bytes.len()).any(|window| window == bytes);
            assert!(kept, "{} kept its text", path.display());
        } else {
            assert_eq!(now, bytes, "{} is unchanged", path.display());
        }
    }
    assert!(
        !project
            .migrations()
            .join("2019-01-01-000000_create users")
            .exists()
    );
    assert_eq!(
        std::fs::read_dir(project.path()).unwrap().count(),
        1,
        "no staging left"
    );
}

#[test]
fn a_stray_top_level_file_is_refused_and_nothing_is_written() {
    let project = diesel_project();
    std::fs::write(project.migrations().join("seed.csv"), "1,alice\n").unwrap();
    let before = project.snapshot();
    project
        .run(&["import", "--from", "diesel", "migrations"])
        .code(1)
        .stderr_has("stray file `seed.csv` in `migrations` belongs to no migration")
        .stderr_has("--> migrations/seed.csv")
        .stderr_has("nothing was written");
    assert_eq!(project.snapshot(), before);
    project
        .run(&["import", "--from", "diesel", "migrations", "--dir", "out"])
        .code(1);
    assert!(!project.path().join("out").exists());
}

#[test]
fn a_diesel_metadata_key_revchain_does_not_know_is_refused_naming_it() {
    let project = diesel_project();
    let file = project
        .migrations()
        .join("20200101000000_create_tags/metadata.toml");
    std::fs::write(&file, "run_in_transaction = true\nsquash = 1\n").unwrap();
    let before = project.snapshot();
    project
        .run(&["import", "--from", "diesel", "migrations"])
        .code(1)
        .stderr_has(
            "unknown key `squash` in `migrations/20200101000000_create_tags/metadata.toml`",
        );
    assert_eq!(project.snapshot(), before);
}

#[test]
fn a_dry_run_prints_the_plan_as_json_and_writes_nothing() {
    let project = diesel_project();
    let before = project.snapshot();
    let run = project
        .run(&[
            "import",
            "--from",
            "diesel",
            "migrations",
            "--dry-run",
            "--format",
            "json",
        ])
        .ok();
    assert_eq!(project.snapshot(), before);
    let plan = run.json();
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["written"], false);
    assert_eq!(plan["head"], "2021-04-04-000000");
    let ids: Vec<&str> = plan["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    // diesel's order: versions without `-`, compared as strings.
    assert_eq!(
        ids,
        [
            "00000000000000",
            "2019-01-01-000000",
            "20200101000000",
            "2020-02-02-000000-0000",
            "20210303000000",
            "2021-04-04-000000"
        ]
    );
    assert_eq!(plan["revisions"][4]["run_in_transaction"], false);
    assert_eq!(plan["revisions"][5]["run_in_transaction"], false);
    assert_eq!(plan["renames"][0]["from"], "2019-01-01-000000_create users");
    assert_eq!(plan["renames"][0]["to"], "2019-01-01-000000_create_users");
    let text = project
        .run(&["import", "--from", "diesel", "migrations", "--dry-run"])
        .ok();
    assert!(
        text.stdout.ends_with("dry run: nothing written\n"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_revchain_history_is_not_imported_again_nor_written_into() {
    let project = Project::new();
    project
        .run(&["import", "--from", "diesel", "migrations"])
        .code(1)
        .stderr_has("`migrations` already holds a revchain history");
    copy_dir(
        &fixture("diesel/migrations"),
        &project.path().join("diesel"),
    );
    let before = project.snapshot();
    project
        .run(&[
            "import",
            "--from",
            "diesel",
            "diesel",
            "--dir",
            "migrations",
        ])
        .code(1)
        .stderr_has("`migrations` already holds a revchain history");
    assert_eq!(project.snapshot(), before);
}

#[test]
fn an_sqlx_layout_imports_in_integer_order() {
    let project = Project::empty();
    let dir = project.path().join("sqlx");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, sql) in [
        (
            "10_add_email.sql",
            "ALTER TABLE users ADD COLUMN email TEXT;\n",
        ),
        (
            "2_create_users.up.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
        ),
        ("2_create_users.down.sql", "DROP TABLE users;\n"),
        (
            "11_index it.sql",
            "-- no-transaction\nCREATE INDEX users_email ON users (email);\n",
        ),
    ] {
        std::fs::write(dir.join(name), sql).unwrap();
    }
    let plan = project
        .run(&["import", "--from", "sqlx", "sqlx", "--format", "json"])
        .ok()
        .json();
    let dirs: Vec<&str> = plan["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["dir"].as_str().unwrap())
        .collect();
    assert_eq!(
        dirs,
        [
            "migrations/2_create_users",
            "migrations/10_add_email",
            "migrations/11_index_it"
        ]
    );
    let users = project.migrations().join("2_create_users");
    assert_eq!(
        std::fs::read(users.join("down.sql")).unwrap(),
        b"DROP TABLE users;\n"
    );
    let index =
        std::fs::read_to_string(project.migrations().join("11_index_it/metadata.toml")).unwrap();
    assert_eq!(index, "parent = \"10\"\nrun_in_transaction = false\n");
    project.run(&["check"]).ok();
    project
        .run(&["import", "--from", "sqlx", "sqlx", "--dir", "sqlx"])
        .code(1)
        .stderr_has("cannot convert `sqlx` in place");
}

#[test]
fn a_refinery_layout_imports_and_unversioned_files_are_refused() {
    let project = Project::empty();
    let dir = project.path().join("refinery");
    std::fs::create_dir_all(dir.join("more")).unwrap();
    std::fs::write(
        dir.join("V1__create_users.sql"),
        "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("more/V2__add_email.sql"),
        "ALTER TABLE users ADD COLUMN email TEXT;\n",
    )
    .unwrap();
    project
        .run(&["import", "--from", "refinery", "refinery"])
        .ok()
        .stdout_has("1 -> migrations/2_add_email");
    project.run(&["check"]).ok();

    std::fs::write(dir.join("U3__seed.sql"), "INSERT INTO users VALUES (1);\n").unwrap();
    project
        .run(&["import", "--from", "refinery", "refinery", "--dir", "other"])
        .code(1)
        .stderr_has("`refinery/U3__seed.sql` is an unversioned refinery migration");
    assert!(!project.path().join("other").exists());
}

/// Writes refinery migrations `(file name, SQL)` into `refinery/` of
/// `project`.
fn refinery_dir(project: &Project, files: &[(&str, &str)]) {
    let dir = project.path().join("refinery");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, sql) in files {
        std::fs::write(dir.join(name), sql).unwrap();
    }
}

/// refinery's annotation in each spelling refinery accepts (any line, two
/// dashes or more, at most one whitespace character), and lines refinery
/// does not take for it. SQLite's `VACUUM`, refused inside a transaction,
/// in the accepted ones.
const REFINERY_ANNOTATED: [(&str, &str); 10] = [
    (
        "V1__create_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
    ),
    ("V2__dashes.sql", "--refinery:noTransaction\nVACUUM;\n"),
    ("V3__dash_space.sql", "-- refinery:noTransaction\nVACUUM;\n"),
    (
        "V4__four_dashes.sql",
        "CREATE INDEX users_email ON users (email);\n---- refinery:noTransaction\n",
    ),
    (
        "V5__tab_crlf.sql",
        "VACUUM;\r\n--\trefinery:noTransaction\r\n",
    ),
    (
        "V6__lowercase.sql",
        "-- refinery:notransaction\nSELECT 1;\n",
    ),
    (
        "V7__text_after.sql",
        "-- refinery:noTransaction please\nSELECT 1;\n",
    ),
    (
        "V8__hash.sql",
        "/*\n# refinery:noTransaction\n*/\nSELECT 1;\n",
    ),
    (
        "V9__two_spaces.sql",
        "--  refinery:noTransaction\nSELECT 1;\n",
    ),
    (
        "V10__indented.sql",
        "  -- refinery:noTransaction\nSELECT 1;\n",
    ),
];

/// `run_in_transaction = false` in `metadata.toml`, the plan (text and
/// JSON) saying why, for the accepted spellings only; the SQL is kept as it
/// is, and the history upgrades on SQLite.
#[test]
fn only_refinerys_own_no_transaction_annotation_imports_outside_a_transaction_sqlite() {
    let project = Project::empty();
    refinery_dir(&project, &REFINERY_ANNOTATED);
    let text = project
        .run(&["import", "--from", "refinery", "refinery", "--dry-run"])
        .ok();
    for note in [
        "line 1 of its SQL is `--refinery:noTransaction`, refinery's annotation",
        "line 1 of its SQL is `-- refinery:noTransaction`, refinery's annotation",
        "line 2 of its SQL is `---- refinery:noTransaction`, refinery's annotation",
        "line 2 of its SQL is `--\trefinery:noTransaction`, refinery's annotation",
    ] {
        let line = format!("    `run_in_transaction = false`: {note}\n");
        assert!(text.stdout.contains(&line), "{line:?} in {}", text.stdout);
    }
    assert_eq!(
        text.stdout.matches("run_in_transaction = false").count(),
        4,
        "{}",
        text.stdout
    );

    let plan = project
        .run(&[
            "import", "--from", "refinery", "refinery", "--format", "json",
        ])
        .ok()
        .json();
    let outside: Vec<(&str, bool)> = plan["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap(),
                r["run_in_transaction"].as_bool().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(&str, bool)> = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]
        .into_iter()
        .map(|id| (id, !matches!(id, "2" | "3" | "4" | "5")))
        .collect();
    assert_eq!(outside, expected);
    assert_eq!(
        plan["revisions"][1]["notes"][0],
        "`run_in_transaction = false`: line 1 of its SQL is `--refinery:noTransaction`, refinery's annotation"
    );

    let mut parent = None;
    for (file, sql) in REFINERY_ANNOTATED {
        let (id, rest) = file[1..].split_once("__").unwrap();
        let dir = project
            .migrations()
            .join(format!("{id}_{}", rest.trim_end_matches(".sql")));
        assert_eq!(
            std::fs::read_to_string(dir.join("up.sql")).unwrap(),
            sql,
            "{file} is kept byte for byte, annotation included"
        );
        let metadata = std::fs::read_to_string(dir.join("metadata.toml")).ok();
        let expected = parent.map(|parent: &str| {
            let flag = if matches!(id, "2" | "3" | "4" | "5") {
                "run_in_transaction = false\n"
            } else {
                ""
            };
            format!("parent = \"{parent}\"\n{flag}")
        });
        assert_eq!(metadata, expected, "{file}");
        parent = Some(id);
    }

    project.run(&["check"]).ok();
    // `VACUUM` fails inside a transaction: the annotated revisions run
    // outside one.
    let url = project.sqlite_url("app.db");
    project
        .run_on(&url, &["upgrade", "head"])
        .ok()
        .stderr_has("Running upgrade 9 -> 10, indented");
    project.run_on(&url, &["verify"]).ok();

    // The same `VACUUM` under a line refinery does not read as the
    // annotation runs in a transaction, and fails.
    let project = Project::empty();
    refinery_dir(
        &project,
        &[("V1__vacuum.sql", "-- refinery:notransaction\nVACUUM;\n")],
    );
    project
        .run(&["import", "--from", "refinery", "refinery"])
        .ok();
    project
        .run_on(&project.sqlite_url("app.db"), &["upgrade", "head"])
        .code(1)
        .stderr_has("cannot VACUUM from within a transaction");
}

/// `CREATE INDEX CONCURRENTLY`, which PostgreSQL refuses inside a
/// transaction block: under refinery's annotation it upgrades; under a line
/// refinery does not read as the annotation it fails, as under refinery.
#[test]
fn refinerys_annotated_create_index_concurrently_upgrades_postgres() {
    let (Some(annotated), Some(misspelt)) = (
        revchain_tests::TestDatabase::postgres(),
        revchain_tests::TestDatabase::postgres(),
    ) else {
        return;
    };
    let create = (
        "V1__create_events.sql",
        "CREATE TABLE events (id BIGINT PRIMARY KEY, at TIMESTAMPTZ NOT NULL);\n",
    );
    let project = Project::empty();
    refinery_dir(
        &project,
        &[
            create,
            (
                "V2__index_events.sql",
                "-- refinery:noTransaction\nCREATE INDEX CONCURRENTLY events_at ON events (at);\n",
            ),
        ],
    );
    project
        .run(&["import", "--from", "refinery", "refinery"])
        .ok()
        .stdout_has(
            "`run_in_transaction = false`: line 1 of its SQL is `-- refinery:noTransaction`",
        );
    project.run_on(&annotated.url, &["upgrade", "head"]).ok();
    let schema = revchain_schema::introspect(&mut annotated.pg(), "revchain_version").unwrap();
    let events = schema.table("events").expect("the table `events`");
    assert!(
        events.indexes.iter().any(|index| index.name == "events_at"),
        "{events:?}"
    );

    let project = Project::empty();
    refinery_dir(
        &project,
        &[
            create,
            (
                "V2__index_events.sql",
                "-- refinery:notransaction\nCREATE INDEX CONCURRENTLY events_at ON events (at);\n",
            ),
        ],
    );
    project
        .run(&["import", "--from", "refinery", "refinery"])
        .ok();
    project
        .run_on(&misspelt.url, &["upgrade", "head"])
        .code(1)
        .stderr_has("CREATE INDEX CONCURRENTLY cannot run inside a transaction block");
}

/// The imported fixtures `revchain-tests` embeds with `embed_revisions!`
/// are what `import` writes today.
#[test]
fn every_fixture_imports_as_committed() {
    for (tool, name) in [
        ("diesel", "diesel"),
        ("sqlx", "sqlx"),
        ("refinery", "refinery"),
        ("diesel", "diesel_mysql_forward_fk"),
        ("diesel", "diesel_postgres_concurrently"),
    ] {
        let project = Project::empty();
        copy_dir(
            &fixture(&format!("{name}/migrations")),
            &project.path().join(name),
        );
        project.run(&["import", "--from", tool, name]).ok();
        assert_eq!(
            files_under(&project.migrations()),
            files_under(&fixture(&format!("{name}_imported/migrations"))),
            "{name}"
        );
    }
}

/// `run_in_transaction = false` with `CREATE INDEX CONCURRENTLY`, which
/// PostgreSQL refuses inside a transaction (and only PostgreSQL has): the
/// import keeps the flag, so `upgrade` applies it as diesel does.
#[test]
fn create_index_concurrently_outside_a_transaction_is_kept_postgres() {
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};

    let (Some(revchain), Some(diesel)) = (
        revchain_tests::TestDatabase::postgres(),
        revchain_tests::TestDatabase::postgres(),
    ) else {
        return;
    };
    let project = Project::empty();
    let original = fixture("diesel_postgres_concurrently/migrations");
    copy_dir(&original, &project.path().join("diesel"));
    project
        .run(&["import", "--from", "diesel", "diesel"])
        .ok()
        .stdout_has("renamed from `2024-02-01-000000-0000_index events`");
    project.run_on(&revchain.url, &["upgrade", "head"]).ok();

    let mut conn = diesel.pg();
    conn.run_pending_migrations(FileBasedMigrations::from_path(&original).unwrap())
        .unwrap();
    let expected = revchain_schema::introspect(&mut conn, "revchain_version").unwrap();
    let actual = revchain_schema::introspect(&mut revchain.pg(), "revchain_version").unwrap();
    assert_eq!(actual, expected);

    drop(conn);
    project
        .run_on(&diesel.url, &["upgrade", "head"])
        .ok()
        .stderr_has("Adopted 2 revisions")
        .stderr_has("Nothing to upgrade");
    project.run_on(&diesel.url, &["verify"]).ok();
}

#[test]
fn versions_diesel_would_collapse_or_revchain_cannot_hold_are_refused() {
    let project = Project::empty();
    let dir = project.migrations();
    for name in ["2020-01-01-000000_a", "20200101000000_b", "2020.01.02_c"] {
        std::fs::create_dir_all(dir.join(name)).unwrap();
        std::fs::write(dir.join(name).join("up.sql"), "SELECT 1;\n").unwrap();
    }
    let before = project.snapshot();
    project
        .run(&["import", "--from", "diesel", "migrations"])
        .code(1)
        .stderr_has("the version of `migrations/2020.01.02_c` cannot be a revchain id")
        .stderr_has(
            "`migrations/2020-01-01-000000_a` and `migrations/20200101000000_b` have the same diesel version `20200101000000`",
        );
    assert_eq!(project.snapshot(), before);
}

#[test]
fn a_diesel_migration_without_up_sql_is_refused() {
    let project = diesel_project();
    std::fs::create_dir_all(project.migrations().join("2022-01-01-000000_empty")).unwrap();
    project
        .run(&["import", "--from", "diesel", "migrations"])
        .code(1)
        .stderr_has("revision `2022-01-01-000000` has no `up.sql`");
}
