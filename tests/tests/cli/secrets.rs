//! Issue 13, section 1: no password is ever printed, and nothing else is
//! rewritten. URLs are read by structure (libpq's URIs and keyword/value
//! strings, the `url` crate for MySQL), shown redacted where they are
//! rendered, and drivers' messages scrubbed where they are wrapped; every
//! other output comes through byte for byte.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use diesel::Connection;
use diesel::connection::SimpleConnection;
use proptest::prelude::*;
use revchain_tests::TestDatabase;

use crate::{HEAD, Project, Run};

/// A local port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A libpq keyword/value string's quoted value.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A TOML (and `.env`) double-quoted string.
fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The forms a password can be written in that every driver reads back as
/// that password: percent-encoded URLs, a query parameter and a quoted
/// keyword/value string, on `port`.
fn encoded_forms(password: &str, port: u16) -> Vec<String> {
    let encoded = encode(password);
    vec![
        format!("postgres://app:{encoded}@127.0.0.1:{port}/app"),
        format!("postgresql://app@127.0.0.1:{port}/app?sslmode=disable&password={encoded}"),
        format!("mysql://root:{encoded}@127.0.0.1:{port}/app"),
        format!(
            "host=127.0.0.1 port={port} user=app password={} dbname=app",
            quote(password)
        ),
    ]
}

/// Asserts that neither stream holds `password`. Checked from four
/// characters on, and for a password that is not a plain word: a shorter
/// one, or a word such as `users` or `port` that the output holds anyway,
/// is checked by comparing outputs (see [`same_as_reference`]).
#[track_caller]
fn hidden(run: &Run, password: &str, what: &str) {
    if password.chars().count() >= 4 && !password.chars().all(|c| c.is_ascii_alphabetic()) {
        assert!(
            !run.stdout.contains(password) && !run.stderr.contains(password),
            "{what}: the password {password:?} is printed\n--- stdout\n{}\n--- stderr\n{}",
            run.stdout,
            run.stderr
        );
    }
}

#[test]
fn raw_reserved_characters_in_a_postgres_password_are_recognised() {
    let project = Project::new();
    let port = closed_port();
    // libpq ends the password at the first `@`: `?`, `#` and `:` are its own.
    let url = format!("postgres://app:Xq7?a#b:c@127.0.0.1:{port}/app");
    let run = project.run_on(&url, &["current"]).code(1);
    run.stderr_has(&format!(
        "error: cannot connect to `postgres://app:***@127.0.0.1:{port}/app`\n  caused by: "
    ));
    // A raw `@` or `/`: libpq would read a piece of the password as the
    // host or port; refused before connecting, without the URL.
    for url in [
        format!("postgres://app:Xq7@b@127.0.0.1:{port}/app"),
        format!("postgres://app:Xq7/b@127.0.0.1:{port}/app"),
        format!("postgres://app:b/Xq7@127.0.0.1:{port}/app"),
        format!("postgres://app:Xq7%zz@127.0.0.1:{port}/app"),
    ] {
        let run = project.run_on(&url, &["current"]).code(1);
        assert!(!run.stderr.contains("Xq7"), "{url}: {}", run.stderr);
        run.stderr_has("(from `--database-url`)")
            .stderr_has("= help: percent-encode the user name and password");
    }
}

#[test]
fn raw_reserved_characters_in_a_mysql_password_are_recognised() {
    let project = Project::new();
    let port = closed_port();
    let url = format!("mysql://root:Xq7@a:b@127.0.0.1:{port}/app");
    project
        .run_on(&url, &["current"])
        .code(1)
        .stderr_has(&format!(
            "error: cannot connect to `mysql://root:***@127.0.0.1:{port}/app`"
        ));
    for url in [
        format!("mysql://root:Xq7/b@127.0.0.1:{port}/app"),
        format!("mysql://root:Xq7?b@127.0.0.1:{port}/app"),
        format!("mariadb://root:Xq7#b@127.0.0.1:{port}/app"),
        format!("mysql://root:12/Xq7@127.0.0.1:{port}/app"),
    ] {
        let run = project.run_on(&url, &["current"]).code(1);
        assert!(!run.stderr.contains("Xq7"), "{url}: {}", run.stderr);
        run.stderr_has("(from `--database-url`)");
    }
}

#[test]
fn a_keyword_value_string_is_postgres_and_never_a_sqlite_file() {
    let project = Project::new();
    let port = closed_port();
    let before = entries(project.path());
    let text = format!("host=127.0.0.1 port={port} user=app password='Xq7 s3cret\\'' dbname=app");
    let run = project.run_on(&text, &["upgrade"]).code(1);
    assert!(!run.stderr.contains("Xq7"), "{}", run.stderr);
    run.stderr_has(&format!(
        "error: cannot connect to `host=127.0.0.1 port={port} user=app password=*** dbname=app`"
    ));
    // Malformed, or a SQLite-looking name with `KEY=`: refused, no file.
    for text in [
        "host=127.0.0.1 password Xq7-secret".to_owned(),
        "app.db password=Xq7-secret".to_owned(),
        "host=h password='Xq7-secret".to_owned(),
        "secret=Xq7".to_owned(),
    ] {
        let run = project.run_on(&text, &["upgrade"]).code(1);
        assert!(!run.stderr.contains("Xq7"), "{text}: {}", run.stderr);
        run.stderr_has("the PostgreSQL connection string")
            .stderr_has("(from `--database-url`)")
            .stderr_has("write `sqlite:NAME`");
    }
    assert_eq!(entries(project.path()), before, "a file was created");
    // `sqlite:` names a SQLite file, whatever its name.
    let run = project.run_on("sqlite:a=b.db", &["upgrade"]).ok();
    assert_eq!(run.stdout, "");
    assert!(project.path().join("a=b.db").is_file());
}

/// The names in a directory, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_password_equal_to_a_word_of_the_output_leaves_the_output_alone() {
    // Text replacement turned `CREATE TABLE users` into `CREATE TABLE ***`
    // and broke JSON on a one-letter password.
    let project = Project::new();
    let port = closed_port();
    for password in ["users", "head", "ok", "e", "\"", "\\", ":"] {
        let url = format!("postgres://app:{}@127.0.0.1:{port}/app", encode(password));
        let with = project.run_on(&url, &["upgrade", "head", "--sql"]).ok();
        let without = project
            .run(&["upgrade", "head", "--sql", "--dialect", "postgres"])
            .ok();
        assert_eq!(with.stdout, without.stdout, "{password:?}");
        assert!(with.stdout.contains("CREATE TABLE users"));
        let json = project
            .run_on(&url, &["current", "--format", "json"])
            .code(1);
        let value = json.json();
        assert_eq!(
            value["error"]["message"],
            format!("cannot connect to `postgres://app:***@127.0.0.1:{port}/app`"),
            "{password:?}"
        );
        let history = project.run_on(&url, &["history"]).ok();
        assert_eq!(history.stdout, project.run(&["history"]).ok().stdout);
    }
}

#[test]
fn a_connection_with_reserved_characters_in_the_password_works_on_postgres() {
    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let (scheme, rest) = db.url.split_once("://").unwrap();
    let Some((user, host)) = rest.split_once('@') else {
        return;
    };
    let project = Project::new();
    // The shared server trusts local connections: the password is not
    // checked, but libpq must read the user, host, port and database right,
    // keepalives added after the `?` and `#` of the password.
    let url = format!("{scheme}://{user}:Xq7?a#b:c@{host}");
    let run = project.run_on(&url, &["upgrade"]).ok();
    assert!(!run.stderr.contains("Xq7"), "{}", run.stderr);
    let run = project.run_on(&url, &["current", "-v"]).ok();
    assert!(
        run.stdout.starts_with(&format!(
            "Current revision(s) for {scheme}://{user}:***@{host}:\nRev: {HEAD} (head)\n"
        )),
        "{}",
        run.stdout
    );
    // The same database as a keyword/value string.
    let (hostport, name) = host.split_once('/').unwrap();
    let (hostname, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    let keywords =
        format!("host={hostname} port={port} user={user} password='Xq7 a\\'b' dbname={name}");
    let run = project.run_on(&keywords, &["current"]).ok();
    assert_eq!(run.stdout, format!("{HEAD} (head)\n"));
    // The scratch database of `check --schema` is created on the same
    // server through both forms: its URL is built by structure too.
    let schema = blog_schema();
    for url in [&url, &keywords] {
        project
            .run_on(url, &["check", "--schema", &schema])
            .ok()
            .stdout_has("ok: no new upgrade operations detected");
    }
}

/// The blog example's models, which match the example history.
fn blog_schema() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../runtime/examples/blog/schema.rs")
        .display()
        .to_string()
}

/// A MariaDB account for one test, dropped afterwards.
struct Account {
    server: String,
    name: String,
}

impl Drop for Account {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::MysqlConnection::establish(&self.server) {
            let _ = conn.batch_execute(&format!("DROP USER IF EXISTS '{}'@'%'", self.name));
        }
    }
}

#[test]
fn a_connection_with_reserved_characters_in_the_password_works_on_mariadb() {
    let Some(db) = TestDatabase::mysql() else {
        return;
    };
    let server = revchain_tests::mysql_server_url();
    let account = Account {
        server: server.clone(),
        name: format!("rc_secret_{}", std::process::id()),
    };
    let password = "Xq7@a:b/c?d#e%f";
    let mut conn = diesel::MysqlConnection::establish(&server).unwrap();
    conn.batch_execute(&format!(
        "CREATE USER '{0}'@'%' IDENTIFIED BY '{password}'; GRANT ALL ON `{1}`.* TO '{0}'@'%'",
        account.name,
        db.name()
    ))
    .unwrap();
    let (_, rest) = server.split_once("://").unwrap();
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let project = Project::new();
    // `@` and `:` raw (the last `@` ends the password, as diesel's parser
    // reads it); `/`, `?`, `#` and `%` percent-encoded.
    let url = format!(
        "mysql://{}:Xq7@a:b%2Fc%3Fd%23e%25f@{host}/{}",
        account.name,
        db.name()
    );
    let run = project.run_on(&url, &["upgrade"]).ok();
    assert!(!run.stderr.contains("Xq7"), "{}", run.stderr);
    project
        .run_on(&url, &["current"])
        .ok()
        .stdout_has(&format!("{HEAD} (head)"));
    // No scratch database for this account (no `CREATE` on the server): the
    // error shows the server's URL redacted.
    let run = project
        .run_on(&url, &["check", "--schema", &blog_schema()])
        .code(1);
    assert!(!run.stderr.contains("Xq7"), "{}", run.stderr);
    run.stderr_has("error: cannot create a scratch database `revchain_scratch_")
        .stderr_has(&format!("on `mysql://{}:***@{host}`", account.name));
    // A wrong password: refused by the server, and not shown.
    let wrong = url.replace("Xq7@a", "Xq8@a");
    let run = project.run_on(&wrong, &["current"]).code(1);
    assert!(!run.stderr.contains("Xq8"), "{}", run.stderr);
    run.stderr_has(&format!(
        "error: cannot connect to `mysql://{}:***@{host}/{}`",
        account.name,
        db.name()
    ));
}

/// Runs of the reference password, by form and arguments.
type Reference = HashMap<(String, Vec<String>), (i32, String, String)>;

fn outcome(run: &Run) -> (i32, String, String) {
    (run.code, run.stdout.clone(), run.stderr.clone())
}

/// Every outcome with `password` equals the outcome with the reference
/// password `Zq9`: the password changes nothing that is printed.
fn same_as_reference(
    project: &Project,
    reference: &mut Reference,
    password: &str,
    port: u16,
) -> Result<(), TestCaseError> {
    let reference_forms = encoded_forms("Zq9", port);
    for (url, other) in encoded_forms(password, port)
        .into_iter()
        .zip(reference_forms)
    {
        for args in [
            &["current"][..],
            &["current", "--format", "json"],
            &["upgrade", "head", "--sql"],
        ] {
            let run = project.run_on(&url, args);
            hidden(&run, password, &url);
            let key = (other.clone(), args.iter().map(|a| a.to_string()).collect());
            let expected = reference
                .entry(key)
                .or_insert_with(|| outcome(&project.run_on(&other, args)));
            prop_assert_eq!(&outcome(&run), &*expected, "{} {:?}", url, args);
            if args.contains(&"json") {
                prop_assert!(serde_json::from_str::<serde_json::Value>(&run.stdout).is_ok());
            }
        }
        // From a config file and from `.env`.
        std::fs::write(
            project.path().join("secret.toml"),
            format!("database_url = {}\n", toml_string(&url)),
        )
        .unwrap();
        let run = project.run(&["--config-file", "secret.toml", "current"]);
        hidden(&run, password, "config file");
        prop_assert_eq!(run.code, 1);
        std::fs::write(
            project.path().join(".env"),
            format!("DATABASE_URL={}\n", toml_string(&url)),
        )
        .unwrap();
        let run = project.run(&["current", "--format", "json"]);
        std::fs::remove_file(project.path().join(".env")).unwrap();
        hidden(&run, password, ".env");
        prop_assert!(serde_json::from_str::<serde_json::Value>(&run.stdout).is_ok());
    }
    Ok(())
}

/// Raw passwords, config files and `.env` files that do not parse: the
/// password is never printed, whatever the outcome.
fn never_printed(project: &Project, password: &str, port: u16) -> Result<(), TestCaseError> {
    let mut raw = vec![
        format!("postgres://app:{password}@127.0.0.1:{port}/app"),
        format!("mariadb://root:{password}@127.0.0.1:{port}/app"),
    ];
    // Unquoted, a value ends at white space, and `\` and `'` are libpq's:
    // a password holding them would be other settings (even `host=…`).
    if !password.contains([' ', '\'', '\\']) {
        raw.push(format!(
            "host=127.0.0.1 port={port} password={password} dbname=app"
        ));
    }
    for url in raw {
        for args in [&["current"][..], &["current", "--format", "json"]] {
            let run = project.run_on(&url, args);
            hidden(&run, password, &url);
            prop_assert_eq!(run.code, 1, "{}: {}", url, run.stderr);
        }
        std::fs::write(
            project.path().join("bad.toml"),
            format!("dir = \"migrations\"\ndatabase_url = {url}\n"),
        )
        .unwrap();
        let run = project.run(&["--config-file", "bad.toml", "current"]);
        hidden(&run, password, "bad config file");
        prop_assert!(!run.stderr.contains("127.0.0.1"), "{}", run.stderr);
    }
    // A password under the wrong key, or as a quoted key.
    let quoted = toml_string(password);
    for line in [
        format!("ddl_retries = {quoted}"),
        format!("lock = {quoted}"),
        format!("lock_timeout = {quoted}"),
        format!("ignore_tables = {quoted}"),
        format!("{quoted} = 1"),
    ] {
        std::fs::write(project.path().join("bad.toml"), format!("{line}\n")).unwrap();
        let run = project.run(&["--config-file", "bad.toml", "current"]);
        hidden(&run, password, &line);
        prop_assert_eq!(run.code, 1, "{}: {}", line, run.stderr);
    }
    for line in [
        format!("OTHER='{password}"),
        format!("OTHER=\"{password}"),
        format!("OTHER {password}"),
    ] {
        std::fs::write(project.path().join(".env"), format!("A=1\n{line}\n")).unwrap();
        let run = project.run(&["current"]);
        hidden(&run, password, &line);
    }
    std::fs::remove_file(project.path().join(".env")).unwrap();
    Ok(())
}

#[test]
fn no_password_is_ever_printed_and_nothing_else_changes() {
    let project = Project::new();
    let port = closed_port();
    let reference = RefCell::new(Reference::new());
    let config = ProptestConfig {
        cases: 12,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let passwords = prop_oneof![
        // The characters that matter to URLs, libpq, TOML and `.env`.
        r#"[a-zA-Z0-9?#/@:%"\\' =&+$]{1,10}"#,
        // Words of the output, and one-letter passwords.
        Just("users".to_owned()),
        Just("head".to_owned()),
        Just("ok".to_owned()),
        Just("e".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
    ];
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let result = runner.run(&passwords, |password| {
        same_as_reference(&project, &mut reference.borrow_mut(), &password, port)?;
        never_printed(&project, &password, port)
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
