//! `--format json`: one document on stdout, with stable field names, errors
//! included.

use crate::{HEAD, IDS, Project};

#[test]
fn history_and_show_as_json() {
    let project = Project::new();
    let run = project.run(&["history", "--format", "json"]).ok();
    let history = run.json();
    let revisions = history["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 7);
    assert_eq!(revisions[0]["id"], HEAD);
    assert_eq!(revisions[0]["parent"], IDS[5]);
    assert_eq!(revisions[0]["head"], true);
    assert_eq!(revisions[0]["current"], false);
    assert_eq!(revisions[0]["message"], "add published_at to posts");
    assert_eq!(
        revisions[0]["path"],
        "migrations/2026-05-18-094500_add_published_at_to_posts/up.sql"
    );
    assert_eq!(revisions[6]["parent"], serde_json::Value::Null);

    let show = project
        .run(&["show", "2026-04", "--format", "json"])
        .ok()
        .json();
    let revision = &show["revision"];
    assert_eq!(revision["id"], IDS[5]);
    assert_eq!(revision["reversible"], true);
    assert_eq!(revision["run_in_transaction"], true);
    assert_eq!(revision["checksum"].as_str().unwrap().len(), 64);
    assert_eq!(revision["chain_digest"].as_str().unwrap().len(), 64);

    let check = project.run(&["check", "--format", "json"]).ok().json();
    assert_eq!(check["ok"], true);
    assert_eq!(check["revisions"], 7);
    assert_eq!(check["head"], HEAD);
}

#[test]
fn upgrade_current_and_stamp_as_json() {
    let project = Project::new();
    let url = project.sqlite_url("db.sqlite");
    let run = project
        .run_on(&url, &["upgrade", "+2", "--format", "json"])
        .ok();
    assert_eq!(run.stderr, "", "progress is not printed in JSON mode");
    let report = run.json();
    assert_eq!(report["from"], serde_json::Value::Null);
    assert_eq!(report["to"], IDS[1]);
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0]["id"], IDS[0]);
    assert_eq!(steps[0]["direction"], "up");
    assert_eq!(steps[0]["message"], "create users");
    assert!(steps[0]["duration_ms"].as_f64().unwrap() >= 0.0);

    let current = project
        .run_on(&url, &["current", "--format", "json"])
        .ok()
        .json();
    assert_eq!(current["current"], IDS[1]);
    assert_eq!(current["head"], HEAD);
    assert_eq!(current["at_head"], false);
    assert_eq!(current["known"], true);
    assert_eq!(current["dirty"], serde_json::Value::Null);
    assert_eq!(current["pending"].as_array().unwrap().len(), 5);

    let down = project
        .run_on(&url, &["downgrade", "-1", "--format", "json"])
        .ok()
        .json();
    assert_eq!(down["steps"][0]["direction"], "down");
    assert_eq!(down["steps"][0]["id"], IDS[1]);
    assert_eq!(down["to"], IDS[0]);

    let stamp = project
        .run_on(&url, &["stamp", "head", "--format", "json"])
        .ok()
        .json();
    assert_eq!(stamp["from"], IDS[0]);
    assert_eq!(stamp["to"], HEAD);
    assert_eq!(stamp["purged"], false);
}

#[test]
fn errors_are_json_on_stdout() {
    let project = Project::new();
    let run = project
        .run(&["show", "2026-01", "--format", "json"])
        .code(1);
    assert_eq!(run.stderr, "");
    let error = &run.json()["error"];
    assert_eq!(
        error["message"],
        "multiple revisions start with `2026-01`: `2026-01-05-090000`, `2026-01-12-141500`; give more characters"
    );
    assert_eq!(error["causes"], serde_json::json!([]));

    project.fork();
    let run = project.run(&["check", "--format", "json"]).code(1);
    assert_eq!(run.stderr, "");
    let error = &run.json()["error"];
    let defects = error["defects"].as_array().unwrap();
    assert_eq!(defects[0]["kind"], "fork");
    assert!(
        defects[0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("fork: `2026-06-01-000000` and `2026-06-02-000000` both name")
    );
    assert_eq!(
        defects[0]["locations"][0],
        "migrations/2026-06-01-000000_add_bio/metadata.toml"
    );
    assert!(defects[0]["help"].as_str().unwrap().contains("re-parent"));
}

/// Usage errors, `--help` and `--version` with `--format json`: one JSON
/// document on stdout, nothing on stderr, the help in fields of its own;
/// `--format` is found among the raw arguments even where clap fails
/// before reading it.
#[test]
fn usage_errors_are_one_json_document() {
    let project = Project::new();
    let cases: [&[&str]; 7] = [
        &["--format", "json", "upgrade", "--bogus"],
        &["upgrade", "--bogus", "--format", "json"],
        &["--format=json", "stamp"],
        &["--format", "json", "no-such-command"],
        &["--format", "json", "upgrade", "--delta", "many"],
        &["--format", "json", "--lock", "sometimes", "current"],
        &["--format", "json"],
    ];
    for args in cases {
        let run = project.run(args).code(2);
        assert_eq!(run.stderr, "", "{args:?}");
        let document: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", run.stdout));
        let error = &document["error"];
        assert_eq!(error["kind"], "usage", "{args:?}");
        let message = error["message"].as_str().unwrap();
        assert!(!message.is_empty(), "{args:?}");
        assert!(!message.contains("Usage:"), "{args:?}: {message}");
        assert!(
            !message.contains("For more information"),
            "{args:?}: {message}"
        );
        assert!(error["help"].is_string(), "{args:?}: {document}");
        assert_eq!(error["causes"], serde_json::json!([]));
    }
    let error = &project.run(cases[0]).json()["error"];
    assert_eq!(error["clap_kind"], "unknown_argument");
    assert_eq!(error["message"], "unexpected argument '--bogus' found");
    assert_eq!(
        error["usage"],
        "Usage: revchain-test-cli upgrade [OPTIONS] [TARGET]"
    );
    assert_eq!(error["help"], "For more information, try '--help'.");
    let error = &project.run(cases[2]).json()["error"];
    assert!(
        error["message"].as_str().unwrap().contains("<TARGET>"),
        "{error}"
    );
    // Without JSON, clap's own text on stderr.
    let run = project.run(&["upgrade", "--bogus"]).code(2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("error: unexpected argument '--bogus' found"),
        "{}",
        run.stderr
    );
    // A `--format` value clap refuses is not JSON either.
    let run = project.run(&["--format", "xml", "current"]).code(2);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("invalid value 'xml'"), "{}", run.stderr);
}

#[test]
fn help_and_version_are_json_with_their_own_fields() {
    let project = Project::new();
    let help = project
        .run(&["--format", "json", "upgrade", "--help"])
        .ok()
        .json();
    let text = help["help"].as_str().unwrap();
    assert!(text.contains("Usage: revchain-test-cli upgrade"), "{text}");
    assert!(help.get("error").is_none());
    let version = project.run(&["--format", "json", "--version"]).ok().json();
    assert!(
        version["version"].as_str().unwrap().starts_with("revchain"),
        "{version}"
    );
}

#[test]
fn the_embedded_db_subcommand_prints_usage_errors_the_same_way() {
    let project = Project::new();
    let run = project
        .app(&["--format", "json", "upgrade", "--bogus"])
        .code(2);
    assert_eq!(run.stderr, "");
    let error = &run.json()["error"];
    assert_eq!(error["kind"], "usage");
    assert_eq!(error["message"], "unexpected argument '--bogus' found");
    assert_eq!(
        error["usage"],
        "Usage: revchain-test-app db upgrade [OPTIONS] [TARGET]"
    );
    let run = project.app(&["upgrade", "--bogus"]).code(2);
    assert!(
        run.stderr
            .starts_with("error: unexpected argument '--bogus' found")
    );
}

#[test]
fn runtime_errors_keep_their_help_out_of_the_message() {
    let project = Project::new();
    let run = project
        .run(&["--format", "json", "upgrade", "nope"])
        .code(1);
    let error = &run.json()["error"];
    let message = error["message"].as_str().unwrap();
    assert!(!message.contains("= help"), "{message}");
    let missing = project.path().join("missing.db").display().to_string();
    let error = &project
        .run_on(&missing, &["--format", "json", "current"])
        .code(1)
        .json()["error"];
    assert_eq!(
        error["message"],
        format!("the SQLite database `{missing}` does not exist")
    );
    assert!(
        error["help"]
            .as_str()
            .unwrap()
            .starts_with("check the path"),
        "{error}"
    );
}

/// A directory with more defects than are shown: the first 50, then how
/// many more, as text and as JSON.
#[test]
fn a_long_list_of_defects_is_cut_and_counted() {
    let project = Project::new();
    for i in 0..70 {
        std::fs::create_dir_all(project.migrations().join(format!("9{i:03}_broken"))).unwrap();
    }
    let run = project.run(&["check"]).code(1);
    assert_eq!(run.stderr.matches("error: ").count(), 51, "{}", run.stderr);
    let last = run.stderr.trim_end().lines().last().unwrap();
    assert!(
        last.starts_with("error: … and ") && last.contains(" more errors"),
        "{last}"
    );
    let error = &project.run(&["check", "--format", "json"]).code(1).json()["error"];
    assert_eq!(error["defects"].as_array().unwrap().len(), 50);
    assert!(error["more_defects"].as_u64().unwrap() >= 20, "{error}");
}
