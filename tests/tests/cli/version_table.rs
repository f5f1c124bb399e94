//! `--version-table` and `version_table` in a config file go through the
//! runtime's one check: an empty, dotted or too long name is refused before
//! any file or table is created, by the binary and the embedded command.

use crate::Project;

#[test]
fn bad_version_table_names_are_refused_before_anything_is_created() {
    let project = Project::new();
    let file = project.path().join("db.sqlite");
    let url = file.display().to_string();
    let long = "v".repeat(59);
    for name in ["", "public.revchain_version", long.as_str()] {
        for command in [&["upgrade"][..], &["stamp", "head"], &["upgrade", "--sql"]] {
            let run = project
                .run_on(&url, &[&["--version-table", name][..], command].concat())
                .code(1);
            run.stderr_has("error: the version table name `")
                .stderr_has("cannot be used")
                .stderr_has("= help: choose another name");
        }
        let json = project
            .run_on(
                &url,
                &["--version-table", name, "--format", "json", "upgrade"],
            )
            .code(1)
            .json();
        assert!(
            json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("cannot be used")
        );
        assert!(
            json["error"]["help"]
                .as_str()
                .unwrap()
                .starts_with("choose another name")
        );
    }
    // From a config file, and in the embedded command: the same check.
    std::fs::write(
        project.path().join("revchain.toml"),
        "version_table = \"app.versions\"\n",
    )
    .unwrap();
    project
        .run_on(&url, &["--config-file", "revchain.toml", "upgrade"])
        .code(1)
        .stderr_has("error: the version table name `app.versions` cannot be used: it contains `.`");
    project
        .app(&["upgrade", "--version-table", "", "--database-url", &url])
        .code(1)
        .stderr_has("error: the version table name `` cannot be used: it is empty");
    // Only a writing command would create the file, and none got so far.
    assert!(!file.exists());
    // 58 bytes fit.
    let fits = "v".repeat(58);
    project
        .run_on(&url, &["--version-table", &fits, "upgrade"])
        .ok();
    project
        .run_on(&url, &["--version-table", &fits, "current"])
        .ok();
}
