//! `completions SHELL` and `man`: generated from the binary's own parser,
//! with no database and no migrations directory.

use crate::Project;

const SUBCOMMANDS: [&str; 8] = [
    "upgrade",
    "downgrade",
    "stamp",
    "history",
    "revision",
    "verify",
    "completions",
    "man",
];

#[test]
fn completions_generate_for_every_shell_and_name_the_subcommands() {
    let project = Project::empty();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = project.run(&["completions", shell]).ok();
        assert_eq!(run.stderr, "", "{shell}");
        for subcommand in SUBCOMMANDS {
            assert!(
                run.stdout.contains(subcommand),
                "the {shell} completions lack `{subcommand}`:\n{}",
                run.stdout
            );
        }
        // Options are completed too.
        assert!(run.stdout.contains("database-url"), "{shell}");
    }
}

#[test]
fn completions_refuse_an_unknown_shell_as_bad_usage() {
    Project::empty()
        .run(&["completions", "tcsh"])
        .code(2)
        .stderr_has("tcsh");
}

#[test]
fn man_prints_a_roff_page_with_the_commands() {
    let run = Project::empty().run(&["man"]).ok();
    assert_eq!(run.stderr, "");
    assert!(run.stdout.contains(".TH revchain 1"), "{}", run.stdout);
    assert!(run.stdout.contains(".SH NAME"));
    for subcommand in SUBCOMMANDS {
        assert!(run.stdout.contains(subcommand), "lacks `{subcommand}`");
    }
}

#[test]
fn completions_and_man_need_no_database_url_even_a_broken_one() {
    let project = Project::empty();
    project
        .run(&[
            "completions",
            "bash",
            "--database-url",
            "postgres://[broken",
        ])
        .ok();
    project
        .run(&["man", "--config-file", "does-not-exist.toml"])
        .ok();
}
