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
