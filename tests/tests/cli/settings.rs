//! Global options anywhere, config files, `DATABASE_URL`, `.env`, URL
//! schemes, unreachable servers and password redaction.

use crate::{HEAD, IDS, Project, run};

/// Two SQLite files: `a.db` at the first revision, `b.db` at the second.
fn two_databases(project: &Project) -> (String, String) {
    let a = project.sqlite_url("a.db");
    let b = project.sqlite_url("b.db");
    project.run_on(&a, &["upgrade", "+1"]).ok();
    project.run_on(&b, &["upgrade", "+2"]).ok();
    (a, b)
}

fn current_of(run: crate::Run) -> String {
    run.ok().stdout.trim_end().to_owned()
}

#[test]
fn global_options_go_before_or_after_the_command() {
    let project = Project::new();
    std::fs::rename(project.migrations(), project.path().join("db")).unwrap();
    let before = project.run(&["--dir", "db", "heads"]).ok();
    let after = project.run(&["heads", "--dir", "db"]).ok();
    assert_eq!(before.stdout, format!("{HEAD} (head)\n"));
    assert_eq!(after.stdout, before.stdout);
    let url = project.sqlite_url("x.db");
    project
        .run(&["upgrade", "--dir", "db", "--database-url", &url])
        .ok();
    assert_eq!(
        current_of(project.run(&["--database-url", &url, "--dir=db", "current"])),
        format!("{HEAD} (head)")
    );
    let json = project
        .run(&["heads", "--dir", "db", "--format", "json"])
        .ok();
    assert_eq!(json.json()["heads"][0]["id"], HEAD);
}

#[test]
fn later_config_files_win_and_the_flag_wins_over_them() {
    let project = Project::new();
    let (a, b) = two_databases(&project);
    std::fs::write(
        project.path().join("a.toml"),
        format!("database_url = \"{a}\"\n"),
    )
    .unwrap();
    std::fs::write(
        project.path().join("b.toml"),
        format!("database_url = \"{b}\"\n"),
    )
    .unwrap();
    let config = |files: &[&str], extra: &[&str]| {
        let mut command = project.revchain();
        for file in files {
            command.arg("--config-file").arg(file);
        }
        current_of(run(command.args(extra).arg("current")))
    };
    assert_eq!(config(&["a.toml"], &[]), IDS[0]);
    assert_eq!(config(&["b.toml"], &[]), IDS[1]);
    assert_eq!(config(&["a.toml", "b.toml"], &[]), IDS[1]);
    assert_eq!(config(&["b.toml", "a.toml"], &[]), IDS[0]);
    assert_eq!(
        config(&["b.toml", "a.toml"], &["--database-url", &b]),
        IDS[1]
    );
    // A config file wins over `DATABASE_URL`.
    let run = run(project.revchain().env("DATABASE_URL", &b).args([
        "--config-file",
        "a.toml",
        "current",
    ]));
    assert_eq!(current_of(run), IDS[0]);
}

#[test]
fn config_files_set_the_directory_and_the_version_table() {
    let project = Project::new();
    std::fs::create_dir(project.path().join("conf")).unwrap();
    std::fs::rename(project.migrations(), project.path().join("conf/revisions")).unwrap();
    let url = project.sqlite_url("c.db");
    std::fs::write(
        project.path().join("conf/revchain.toml"),
        format!(
            "database_url = \"{url}\"\ndir = \"revisions\"\nversion_table = \"schema_version\"\n"
        ),
    )
    .unwrap();
    let run = project
        .run(&["--config-file", "conf/revchain.toml", "upgrade", "+1"])
        .ok();
    assert!(
        run.stderr
            .starts_with("Running upgrade <base> -> 2026-01-05-090000")
    );
    let show = project
        .run(&["show", "head", "--config-file", "conf/revchain.toml"])
        .ok();
    show.stdout_has("Path: conf/revisions/2026-05-18-094500_add_published_at_to_posts/up.sql");
    // The version table is `schema_version`, not the default.
    assert_eq!(
        current_of(project.run_on(&url, &["current", "--dir", "conf/revisions"])),
        ""
    );
    assert_eq!(
        current_of(project.run(&["current", "--config-file", "conf/revchain.toml"])),
        IDS[0]
    );
}

#[test]
fn config_files_refuse_unknown_keys_and_missing_files() {
    let project = Project::new();
    std::fs::write(project.path().join("bad.toml"), "databse_url = \"x.db\"\n").unwrap();
    project
        .run(&["--config-file", "bad.toml", "current"])
        .code(1)
        .stderr_has("error: invalid config file `bad.toml`:")
        .stderr_has("line 1, column 1: unknown key, expected one of `database_url`")
        .stderr_has("= help: the keys are `database_url`, `dir`, `schema`, `version_table`, `ignore_tables`, `lock`, `lock_timeout`, `ddl_lock_timeout`, `ddl_retries` and `init_sql`");
    std::fs::write(project.path().join("broken.toml"), "database_url = \n").unwrap();
    project
        .run(&["--config-file", "broken.toml", "current"])
        .code(1)
        .stderr_has("error: invalid config file `broken.toml`");
    project
        .run(&["--config-file", "missing.toml", "heads"])
        .code(1)
        .stderr_has("error: cannot read the config file `missing.toml`\n  caused by: ");
}

#[test]
fn database_url_comes_from_the_environment_then_dotenv() {
    let project = Project::new();
    let (a, b) = two_databases(&project);
    // Nothing anywhere.
    project
        .run(&["current"])
        .code(1)
        .stderr_has("error: no database URL given");
    // `.env` in the current directory.
    std::fs::write(
        project.path().join(".env"),
        format!("# the app's settings\nOTHER=1\nexport DATABASE_URL=\"{a}\"\n"),
    )
    .unwrap();
    assert_eq!(current_of(project.run(&["current"])), IDS[0]);
    // The environment wins over `.env`.
    assert_eq!(
        current_of(run(project
            .revchain()
            .env("DATABASE_URL", &b)
            .arg("current"))),
        IDS[1]
    );
    // And the flag over both.
    assert_eq!(
        current_of(run(project.revchain().env("DATABASE_URL", &b).args([
            "current",
            "--database-url",
            &a
        ]))),
        IDS[0]
    );
    // A broken `.env` is named.
    std::fs::write(project.path().join(".env"), "DATABASE_URL='unterminated\n").unwrap();
    project
        .run(&["current"])
        .code(1)
        .stderr_has("error: cannot read `.env`");
}

#[test]
fn unsupported_schemes_are_refused() {
    let project = Project::new();
    project
        .run_on("oracle://scott:tiger-pw@h/db", &["current"])
        .code(1)
        .stderr_has("error: unsupported database URL scheme `oracle` (from `--database-url`)")
        .stderr_has("= help: use `sqlite://FILE`");
    let run = project.run_on("oracle://scott:tiger-pw@h/db", &["current"]);
    assert!(!run.stderr.contains("tiger-pw"));
    project
        .run_on("sqlite://", &["current"])
        .code(1)
        .stderr_has("names no file");
}

/// A local port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
    // The listener is dropped here, closing the port.
}

#[test]
fn an_unreachable_postgres_fails_without_showing_the_password() {
    let project = Project::new();
    let port = closed_port();
    let url = format!("postgres://app:pa55-word@127.0.0.1:{port}/app");
    for args in [
        &["current"][..],
        &["upgrade"],
        &["stamp", "head"],
        &["history", "-i"],
    ] {
        let run = project.run_on(&url, args).code(1);
        assert!(
            run.stderr.starts_with(&format!(
                "error: cannot connect to `postgres://app:***@127.0.0.1:{port}/app`\n  caused by: "
            )),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("pa55-word"), "{}", run.stderr);
        assert_eq!(run.stdout, "");
    }
    let run = project
        .run_on(&url, &["current", "--format", "json"])
        .code(1);
    assert!(!run.stdout.contains("pa55-word"), "{}", run.stdout);
    assert_eq!(run.stderr, "");
    let error = &run.json()["error"];
    assert_eq!(
        error["message"],
        format!("cannot connect to `postgres://app:***@127.0.0.1:{port}/app`")
    );
    assert!(!error["causes"].as_array().unwrap().is_empty());
}

#[test]
fn an_unreachable_mariadb_fails_without_showing_the_password() {
    let project = Project::new();
    let port = closed_port();
    let url = format!("mariadb://root:pa55-word@127.0.0.1:{port}/app");
    let run = project.run_on(&url, &["upgrade"]).code(1);
    assert!(
        run.stderr.starts_with(&format!(
            "error: cannot connect to `mariadb://root:***@127.0.0.1:{port}/app`\n  caused by: "
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("pa55-word"), "{}", run.stderr);
}

#[test]
fn a_url_libpq_would_quote_is_refused_before_connecting() {
    // libpq quotes a port that is not a number, and with a raw `/` in the
    // password that port is a piece of it: refused first, by a message that
    // quotes nothing.
    let project = Project::new();
    for url in [
        "postgres://app:pa55-word@127.0.0.1:notaport/app",
        "postgres://app:12/pa55-word@127.0.0.1/app",
    ] {
        let run = project.run_on(url, &["current"]).code(1);
        assert!(!run.stderr.contains("pa55-word"), "{}", run.stderr);
        run.stderr_has("error: the PostgreSQL URI has ");
    }
}

#[test]
fn the_ddl_lock_options_are_refused_on_sqlite_and_written_into_postgres_scripts() {
    let project = Project::new();
    let url = project.sqlite_url("x.db");
    project
        .run_on(&url, &["--ddl-retries", "2", "upgrade", "head"])
        .code(1)
        .stderr_has("error: cannot retry the table locks of the DDL (`--ddl-lock-timeout`, `--ddl-retries`): they are for PostgreSQL only")
        .stderr_has("= help: run without `--ddl-lock-timeout` and `--ddl-retries`");
    // Nothing was written: not even the version table.
    assert_eq!(current_of(project.run_on(&url, &["current"])), "");
    std::fs::write(
        project.path().join("ddl.toml"),
        "ddl_lock_timeout = \"2s\"\nddl_retries = 3\n",
    )
    .unwrap();
    project
        .run_on(&url, &["--config-file", "ddl.toml", "upgrade", "+1"])
        .code(1)
        .stderr_has("PostgreSQL only");
    // Commands that run no DDL are not concerned.
    project
        .run_on(&url, &["--config-file", "ddl.toml", "stamp", "+1"])
        .ok();
    let script = project
        .run(&[
            "--config-file",
            "ddl.toml",
            "--dialect",
            "postgres",
            "upgrade",
            "head",
            "--sql",
        ])
        .ok();
    script.stdout_has("BEGIN;\nSET LOCAL lock_timeout = '2000ms';\n");
    let flag = project
        .run(&[
            "--config-file",
            "ddl.toml",
            "--ddl-lock-timeout",
            "250ms",
            "--dialect",
            "postgres",
            "upgrade",
            "head",
            "--sql",
        ])
        .ok();
    flag.stdout_has("SET LOCAL lock_timeout = '250ms';");
    project
        .run(&["--ddl-lock-timeout", "soon", "heads"])
        .code(2)
        .stderr_has("`soon` is not a duration");
    std::fs::write(
        project.path().join("bad.toml"),
        "ddl_lock_timeout = \"x\"\n",
    )
    .unwrap();
    project
        .run_on(&url, &["--config-file", "bad.toml", "current"])
        .code(1)
        .stderr_has("error: invalid `ddl_lock_timeout` in the config file `bad.toml`");
}

#[test]
fn a_bad_line_of_a_config_file_or_env_is_located_never_quoted() {
    let project = Project::new();
    std::fs::write(
        project.path().join("secret.toml"),
        "dir = \"migrations\"\ndatabase_url = postgres://u:s3cret-pw@db/app\n",
    )
    .unwrap();
    let run = project
        .run(&["--config-file", "secret.toml", "current"])
        .code(1)
        .stderr_has("error: invalid config file `secret.toml`: line 2, column 16: ");
    assert!(!run.stderr.contains("s3cret-pw"), "{}", run.stderr);
    assert!(!run.stderr.contains("postgres://"), "{}", run.stderr);

    // A bad line of `.env` under an unrelated key, after a good one.
    std::fs::write(
        project.path().join(".env"),
        "OTHER=1\nAPI_TOKEN='t0ken-s3cret\n",
    )
    .unwrap();
    let run = project
        .run(&["current"])
        .code(1)
        .stderr_has("error: cannot read `.env`: line 2, column ");
    assert!(!run.stderr.contains("t0ken-s3cret"), "{}", run.stderr);
    assert!(!run.stderr.contains("API_TOKEN"), "{}", run.stderr);
}
