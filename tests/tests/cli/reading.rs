//! The commands that only read never create a SQLite file: a missing file
//! is an error naming it and saying what to do; an empty file is an empty
//! database (at base); a file that is not a database is an error, never
//! base; in-memory names open as before.

use crate::Project;

/// Every command that only reads, with what it needs.
const READING: [&[&str]; 6] = [
    &["current"],
    &["current", "--verbose"],
    &["history", "-i"],
    &["verify"],
    &["show", "current"],
    &["lock", "status"],
];

#[test]
fn reading_commands_never_create_a_sqlite_file() {
    let project = Project::new();
    let file = project.path().join("typo.db");
    for url in [
        file.display().to_string(),
        format!("sqlite://{}", file.display()),
        format!("sqlite:{}", file.display()),
        format!("file:{}?cache=shared", file.display()),
    ] {
        for command in READING {
            let run = project.run_on(&url, command).code(1);
            assert_eq!(run.stdout, "", "{command:?}");
            run.stderr_has(&format!(
                "error: the SQLite database `{url}` does not exist"
            ))
            .stderr_has("check the path");
            assert!(!file.exists(), "{command:?} on {url} created the file");
            let json = project
                .run_on(&url, &[&["--format", "json"][..], command].concat())
                .code(1)
                .json();
            let message = json["error"]["message"].as_str().unwrap();
            assert!(message.contains("does not exist"), "{message}");
            assert!(!file.exists());
        }
    }
    // The embedded `db` subcommand is the same code.
    let run = project
        .app(&["current", "--database-url", &file.display().to_string()])
        .code(1);
    run.stderr_has("does not exist");
    assert!(!file.exists());
    // `lock release` has nothing to release there, and creates nothing.
    project
        .run_on(
            &file.display().to_string(),
            &["--lock", "table", "lock", "release", "--force"],
        )
        .code(1)
        .stderr_has("does not exist");
    assert!(!file.exists());
    // Writing commands create it, as before.
    project
        .run_on(&file.display().to_string(), &["upgrade", "+1"])
        .ok();
    assert!(file.exists());
}

#[test]
fn an_empty_file_is_an_empty_database_at_base_and_stays_empty() {
    let project = Project::new();
    let file = project.path().join("empty.db");
    std::fs::write(&file, "").unwrap();
    let url = file.display().to_string();
    let run = project.run_on(&url, &["current"]).ok();
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    let json = project
        .run_on(&url, &["current", "--format", "json"])
        .ok()
        .json();
    assert_eq!(json["current"], serde_json::Value::Null);
    project.run_on(&url, &["verify"]).ok();
    // `show current` at base says that base is no revision.
    for command in READING.iter().filter(|command| command[0] != "show") {
        project.run_on(&url, command).ok();
    }
    assert_eq!(
        std::fs::metadata(&file).unwrap().len(),
        0,
        "a reading command wrote"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_never_base() {
    let project = Project::new();
    let file = project.path().join("notes.txt");
    let text = "these are notes, not a SQLite database: ".repeat(10);
    std::fs::write(&file, &text).unwrap();
    let url = file.display().to_string();
    let said = format!("error: the SQLite file `{url}` is not a database");
    for command in READING {
        let run = project.run_on(&url, command).code(1);
        assert_eq!(run.stdout, "", "{command:?}");
        run.stderr_has(&said)
            .stderr_has("= help: check the database URL")
            .stderr_has("caused by: file is not a database");
    }
    project
        .run_on(&url, &["upgrade", "head"])
        .code(1)
        .stderr_has(&said);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

#[test]
fn a_directory_is_not_a_sqlite_file() {
    let project = Project::new();
    let url = project.path().display().to_string();
    project
        .run_on(&url, &["current"])
        .code(1)
        .stderr_has(&format!("error: the SQLite database `{url}` is not a file"));
}

#[test]
fn in_memory_databases_are_read_as_before() {
    let project = Project::new();
    for url in [
        ":memory:",
        "file::memory:",
        "file:x?mode=memory&cache=shared",
    ] {
        let run = project.run_on(url, &["current"]).ok();
        assert_eq!(
            (run.stdout.as_str(), run.stderr.as_str()),
            ("", ""),
            "{url}"
        );
    }
    assert!(!project.path().join("x").exists());
}

/// A writing command whose target is wrong whatever the database holds
/// fails before it opens the database: no SQLite file is created.
#[test]
fn a_bad_target_creates_no_file() {
    let project = Project::new();
    let file = project.path().join("new.db");
    let url = file.display().to_string();
    for (command, said) in [
        (&["upgrade", "nope"][..], "error: no such revision `nope`"),
        (&["upgrade", "head+1"], "goes past the head"),
        (&["downgrade", "x y"], "error: invalid target `x y`"),
        (&["stamp", "nope"], "error: no such revision `nope`"),
        (&["upgrade", "base:head"], "only allowed with `--sql`"),
    ] {
        project.run_on(&url, command).code(1).stderr_has(said);
        assert!(!file.exists(), "{command:?} created the file");
    }
    // A target relative to the database's revision needs the database.
    project.run_on(&url, &["upgrade", "+1"]).ok();
    assert!(file.exists());
}
