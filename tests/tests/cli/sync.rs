//! `revchain sync` on SQLite, PostgreSQL and MariaDB: after a branch
//! switch (the checkout lacks a revision the database has: reverted with
//! the down SQL its log line stored), after a rebase (revisions
//! re-parented: reverted with the chain's `down.sql`, then applied in the
//! new order), `--dry-run`, the embedded `db sync`, and every refusal,
//! which changes nothing. `upgrade` keeps refusing both divergences, and
//! names `sync`.

use diesel::Connection;
use diesel::connection::SimpleConnection;

use crate::{HEAD, Project};

const BIO: &str = "2026-06-01-000000";
const TAGS2: &str = "2026-06-02-000000";
const NOTES: &str = "2026-06-03-000000";

/// Adds a revision creating `table`, reverted by dropping it.
fn add(project: &Project, id: &str, slug: &str, parent: &str, table: &str) {
    let dir = project.migrations().join(format!("{id}_{slug}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("up.sql"),
        format!("CREATE TABLE {table} (id INTEGER PRIMARY KEY);\n"),
    )
    .unwrap();
    std::fs::write(dir.join("down.sql"), format!("DROP TABLE {table};\n")).unwrap();
    std::fs::write(
        dir.join("metadata.toml"),
        format!("parent = \"{parent}\"\n"),
    )
    .unwrap();
    project.set_head(id);
}

fn remove(project: &Project, id: &str, slug: &str) {
    std::fs::remove_dir_all(project.migrations().join(format!("{id}_{slug}"))).unwrap();
}

/// Runs SQL on the database `url` names.
fn execute(url: &str, sql: &str) {
    if let Some(path) = url.strip_prefix("sqlite://") {
        diesel::SqliteConnection::establish(path)
            .unwrap()
            .batch_execute(sql)
            .unwrap();
    } else if url.starts_with("postgres") {
        diesel::PgConnection::establish(url)
            .unwrap()
            .batch_execute(sql)
            .unwrap();
    } else {
        diesel::MysqlConnection::establish(url)
            .unwrap()
            .batch_execute(sql)
            .unwrap();
    }
}

fn current(project: &Project, url: &str) -> String {
    project.run_on(url, &["current"]).ok().stdout
}

fn branch_switch(url: &str) {
    let project = Project::new();
    add(&project, BIO, "add_bio", HEAD, "bio");
    project.run_on(url, &["upgrade"]).ok();
    // Another branch is checked out: it lacks `BIO`.
    remove(&project, BIO, "add_bio");
    project.set_head(HEAD);
    project
        .run_on(url, &["upgrade"])
        .code(1)
        .stderr_has(&format!(
            "the database is at revision `{BIO}`, which is not in the embedded chain"
        ))
        .stderr_has("`revchain sync` reverts to the last revision");
    let run = project.run_on(url, &["sync", "--dry-run"]).ok();
    assert_eq!(
        run.stdout,
        format!(
            "Sync plan: the database is at `{BIO}`; the last revision it shares with the chain is `{HEAD}`\n  revert {BIO} (with the down SQL stored in the log: the chain lacks it)\ndry run: nothing was changed\n"
        )
    );
    assert_eq!(current(&project, url), format!("{BIO} (unknown)\n"));
    let run = project.run_on(url, &["sync"]).ok();
    assert!(
        run.stderr
            .contains(&format!("Running downgrade {BIO} -> {HEAD}, ")),
        "{}",
        run.stderr
    );
    assert_eq!(current(&project, url), format!("{HEAD} (head)\n"));
    project.run_on(url, &["verify"]).ok();
    // `bio` was dropped: the branch applies again.
    add(&project, BIO, "add_bio", HEAD, "bio");
    project.run_on(url, &["upgrade"]).ok();
    project.run_on(url, &["sync"]).ok().stderr_has(&format!(
        "Nothing to sync: the database is at `{BIO}`, the head"
    ));
}

fn after_rebase(url: &str) {
    let project = Project::new();
    add(&project, BIO, "add_bio", HEAD, "bio");
    project.run_on(url, &["upgrade"]).ok();
    // A teammate's revision lands first; the rebase puts `BIO` after it.
    add(&project, TAGS2, "add_tags2", HEAD, "tags2");
    add(&project, BIO, "add_bio", TAGS2, "bio");
    project
        .run_on(url, &["upgrade"])
        .code(1)
        .stderr_has("was never applied")
        .stderr_has("`revchain sync`");
    let run = project
        .run_on(url, &["--format", "json", "sync", "--dry-run"])
        .ok();
    let plan = &run.json()["plan"];
    assert_eq!(plan["common"], HEAD);
    assert_eq!(plan["revert"][0]["id"], BIO);
    assert_eq!(plan["revert"][0]["down_sql"], "chain");
    assert_eq!(plan["upgrade"], serde_json::json!([TAGS2, BIO]));
    let run = project.run_on(url, &["sync"]).ok();
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stderr);
    assert!(lines[0].starts_with(&format!("Running downgrade {BIO} -> {HEAD}, ")));
    assert!(lines[1].starts_with(&format!("Running upgrade {HEAD} -> {TAGS2}, ")));
    assert!(lines[2].starts_with(&format!("Running upgrade {TAGS2} -> {BIO}, ")));
    assert_eq!(current(&project, url), format!("{BIO} (head)\n"));
    project.run_on(url, &["verify"]).ok();
}

fn refusals(url: &str, version_log: &str) {
    let project = Project::new();
    add(&project, BIO, "add_bio", HEAD, "bio");
    add(&project, NOTES, "add_notes", BIO, "notes");
    project.run_on(url, &["upgrade"]).ok();
    remove(&project, NOTES, "add_notes");
    project.set_head(BIO);

    // A revision to revert whose log line has no down SQL (written before
    // revchain stored it).
    execute(
        url,
        &format!(
            "UPDATE {version_log} SET down_sql = NULL, down_checksum = NULL WHERE revision = '{NOTES}'"
        ),
    );
    project
        .run_on(url, &["sync"])
        .code(1)
        .stderr_has(&format!("error: cannot sync: `{NOTES}` would be reverted, but the chain lacks it and its line in the log `revchain_version_log` stores no down SQL"));
    project.run_on(url, &["sync", "--dry-run"]).code(1);
    assert_eq!(current(&project, url), format!("{NOTES} (unknown)\n"));

    // A revision it would keep, edited: drift, not a branch.
    add(&project, NOTES, "add_notes", BIO, "notes");
    std::fs::write(
        project.migrations().join(format!("{BIO}_add_bio/up.sql")),
        "CREATE TABLE bio (id INTEGER PRIMARY KEY, edited INTEGER);\n",
    )
    .unwrap();
    add(&project, TAGS2, "add_tags2", NOTES, "tags2");
    project
        .run_on(url, &["sync"])
        .code(1)
        .stderr_has(&format!("`{BIO}` was edited after it was applied"));
    assert_eq!(current(&project, url), format!("{NOTES} (drifted)\n"));

    // A dirty database.
    remove(&project, BIO, "add_bio");
    remove(&project, NOTES, "add_notes");
    remove(&project, TAGS2, "add_tags2");
    add(&project, BIO, "add_bio", HEAD, "bio");
    add(&project, NOTES, "add_notes", BIO, "notes");
    execute(
        url,
        &format!(
            "UPDATE revchain_version SET state = 'dirty', dirty_revision = '{NOTES}', dirty_direction = 'up'"
        ),
    );
    project
        .run_on(url, &["sync"])
        .code(1)
        .stderr_has("error: the database is dirty");
    project
        .run_on(url, &["sync", "--dry-run"])
        .code(1)
        .stderr_has("dirty");
    assert!(current(&project, url).starts_with(NOTES));
}

fn every_case(url: impl Fn(&str) -> String) {
    branch_switch(&url("switch"));
    after_rebase(&url("rebase"));
    refusals(&url("refusals"), "revchain_version_log");
}

#[test]
fn sync_on_sqlite() {
    let project = Project::empty();
    every_case(|name| project.sqlite_url(&format!("{name}.db")));
}

#[test]
fn sync_on_postgres() {
    let databases: Vec<_> = (0..3)
        .filter_map(|_| revchain_tests::TestDatabase::postgres())
        .collect();
    if let [switch, rebase, failing] = databases.as_slice() {
        branch_switch(&switch.url);
        after_rebase(&rebase.url);
        refusals(&failing.url, "revchain_version_log");
    }
}

#[test]
fn sync_on_mariadb() {
    let databases: Vec<_> = (0..3)
        .filter_map(|_| revchain_tests::TestDatabase::mysql())
        .collect();
    if let [switch, rebase, failing] = databases.as_slice() {
        branch_switch(&switch.url);
        after_rebase(&rebase.url);
        refusals(&failing.url, "revchain_version_log");
    }
}

/// The application's embedded `db sync` is the same command.
#[test]
fn the_embedded_subcommand_syncs() {
    let project = Project::empty();
    let url = project.sqlite_url("app.db");
    project.app(&["--database-url", &url, "upgrade", "+2"]).ok();
    let run = project.app(&["--database-url", &url, "sync"]).ok();
    assert!(run.stdout.starts_with("Sync plan: "), "{}", run.stdout);
    project
        .app(&["--database-url", &url, "sync"])
        .ok()
        .stderr_has("Nothing to sync");
}
