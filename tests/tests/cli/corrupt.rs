//! Corrupt bookkeeping through the command: `current`, `history -i`,
//! `verify` and `upgrade` over a version row holding what revchain never
//! writes name the table, the column and the value, on every backend, as
//! text and as JSON; never drift, never base.

use diesel::Connection;
use diesel::connection::SimpleConnection;

use crate::Project;

/// Migrates `url`, breaks its version row with `run_sql`, and checks every
/// command that reads it.
fn corrupt_row_is_named(url: &str, run_sql: impl Fn(&str)) {
    let project = Project::new();
    project.run_on(url, &["upgrade"]).ok();
    run_sql("UPDATE revchain_version SET chain_digest = 'not-a-digest' WHERE id = 1");
    let said = "corrupt bookkeeping: the column `chain_digest` of `revchain_version` holds `not-a-digest`, which revchain never writes";
    for command in [
        &["current"][..],
        &["history", "-i"],
        &["verify"],
        &["upgrade"],
    ] {
        let run = project
            .run_on(url, command)
            .code(1)
            .stderr_has(&format!("error: {said}"))
            .stderr_has("= help: inspect the table");
        assert!(!run.stderr.contains("drift"), "{}", run.stderr);
        let json = project
            .run_on(url, &[&["--format", "json"][..], command].concat())
            .code(1)
            .json();
        let message = json["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(said), "{message}");
        assert!(
            json["error"]["help"]
                .as_str()
                .unwrap()
                .contains("stamp --purge")
        );
    }
    // What the help says repairs it.
    project.run_on(url, &["stamp", "--purge", "head"]).ok();
    project.run_on(url, &["verify"]).ok();
}

#[test]
fn corrupt_bookkeeping_on_sqlite() {
    let project = Project::new();
    let path = project.path().join("db.sqlite");
    corrupt_row_is_named(&path.display().to_string(), |sql| {
        diesel::SqliteConnection::establish(&path.display().to_string())
            .unwrap()
            .batch_execute(sql)
            .unwrap();
    });
}

#[test]
fn corrupt_bookkeeping_on_postgres() {
    let Some(db) = revchain_tests::TestDatabase::postgres() else {
        return;
    };
    corrupt_row_is_named(&db.url, |sql| db.pg().batch_execute(sql).unwrap());
}

#[test]
fn corrupt_bookkeeping_on_mariadb() {
    let Some(db) = revchain_tests::TestDatabase::mysql() else {
        return;
    };
    corrupt_row_is_named(&db.url, |sql| db.mysql_conn().batch_execute(sql).unwrap());
}
