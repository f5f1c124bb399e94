//! `history`, `heads`, `show` and `check`: the chain, without a database.

use crate::{HEAD, IDS, Project};

const HISTORY: &str = "\
2026-04-01-120000 -> 2026-05-18-094500 (head), add published_at to posts
2026-03-09-083000 -> 2026-04-01-120000, release 1.0 (placeholder, no statement)
2026-02-20-160000 -> 2026-03-09-083000, create comments on posts
2026-02-02-103000 -> 2026-02-20-160000, create tags and the tags of each post
2026-01-12-141500 -> 2026-02-02-103000, add email to users
2026-01-05-090000 -> 2026-01-12-141500, create posts, each written by a user
<base> -> 2026-01-05-090000, create users
";

#[test]
fn history_lists_newest_first_in_alembics_format() {
    let project = Project::new();
    let run = project.run(&["history"]).ok();
    assert_eq!(run.stdout, HISTORY);
    assert_eq!(run.stderr, "");
}

#[test]
fn history_verbose_shows_rev_parent_path_and_message() {
    let project = Project::new();
    let run = project.run(&["history", "-v", "-r", "-1:"]).ok();
    assert_eq!(
        run.stdout,
        "\
Rev: 2026-05-18-094500 (head)
Parent: 2026-04-01-120000
Path: migrations/2026-05-18-094500_add_published_at_to_posts/up.sql

    add published_at to posts

Rev: 2026-04-01-120000
Parent: 2026-03-09-083000
Path: migrations/2026-04-01-120000_release_1_0/up.sql

    release 1.0 (placeholder, no statement)
"
    );
    let root = project
        .run(&["history", "--verbose", "-r", ":2026-01-05"])
        .ok();
    assert!(root.stdout.contains("Parent: <base>\n"), "{}", root.stdout);
}

#[test]
fn history_ranges_follow_alembic() {
    let project = Project::new();
    let lines = |range: &str| -> Vec<String> {
        project
            .run(&["history", "-r", range])
            .ok()
            .stdout
            .lines()
            .map(|line| line.split(',').next().unwrap().to_owned())
            .collect()
    };
    let arrow = |p: usize| {
        let parent = if p == 0 { "<base>" } else { IDS[p - 1] };
        let head = if p == 6 { " (head)" } else { "" };
        format!("{parent} -> {}{head}", IDS[p])
    };
    assert_eq!(lines("base:head").len(), 7);
    assert_eq!(lines(":"), lines("base:head"));
    assert_eq!(lines("-2:"), vec![arrow(6), arrow(5), arrow(4)]);
    assert_eq!(lines(":+1"), vec![arrow(0)]);
    assert_eq!(lines("base:+2"), vec![arrow(1), arrow(0)]);
    assert_eq!(lines("2026-02-02:2026-02-20"), vec![arrow(3), arrow(2)]);
    assert_eq!(lines("2026-02-02+1:head-2"), vec![arrow(4), arrow(3)]);
    assert_eq!(lines("-1:2026-02-20"), vec![arrow(3), arrow(2)]);
    assert_eq!(lines("2026-03:2026-03"), vec![arrow(4)]);
}

#[test]
fn history_refuses_bad_ranges() {
    let project = Project::new();
    project
        .run(&["history", "-r", "head"])
        .code(1)
        .stderr_has("error: invalid history range `head`")
        .stderr_has("= help: write `START:END`");
    project
        .run(&["history", "-r", "head:base"])
        .code(1)
        .stderr_has("it ends at base, before its start");
    project
        .run(&["history", "-r", "2026-03:2026-01-12"])
        .code(1)
        .stderr_has("`2026-03-09-083000` comes after `2026-01-12-141500`");
    project
        .run(&["history", "-r", "-1:+1"])
        .code(1)
        .stderr_has("both ends are relative");
    project
        .run(&["history", "-r", "-9:"])
        .code(1)
        .stderr_has("relative revision `-9` goes past the root");
    project
        .run(&["history", "-r", "2026-0:"])
        .code(1)
        .stderr_has("multiple revisions start with `2026-0`");
}

#[test]
fn history_current_and_i_need_a_database() {
    let project = Project::new();
    project
        .run(&["history", "-i"])
        .code(1)
        .stderr_has("error: no database URL given")
        .stderr_has("= help: pass `--database-url URL`");
    project
        .run(&["history", "-r", "current:"])
        .code(1)
        .stderr_has("no database URL given");
}

#[test]
fn history_marks_the_current_revision() {
    let project = Project::new();
    let url = project.sqlite_url("db.sqlite");
    project.run_on(&url, &["upgrade", "2026-03"]).ok();
    let run = project.run_on(&url, &["history", "-i"]).ok();
    assert_eq!(
        run.stdout.lines().nth(2),
        Some("2026-02-20-160000 -> 2026-03-09-083000 (current), create comments on posts")
    );
    assert_eq!(run.stdout.matches("(current)").count(), 1);
    // `current` as a range end, and `-N` counting down from it.
    let run = project.run_on(&url, &["history", "-r", "-1:current"]).ok();
    assert_eq!(run.stdout.lines().count(), 2);
    assert!(
        run.stdout
            .starts_with("2026-02-20-160000 -> 2026-03-09-083000,")
    );
    let run = project
        .run_on(&url, &["history", "-v", "-i", "-r", "current:current"])
        .ok();
    assert!(
        run.stdout.starts_with("Rev: 2026-03-09-083000 (current)\n"),
        "{}",
        run.stdout
    );
    project.run_on(&url, &["upgrade"]).ok();
    let run = project.run_on(&url, &["history", "-i"]).ok();
    assert!(
        run.stdout
            .starts_with("2026-04-01-120000 -> 2026-05-18-094500 (head) (current), add")
    );
}

#[test]
fn heads_prints_the_head() {
    let project = Project::new();
    let run = project.run(&["heads"]).ok();
    assert_eq!(run.stdout, format!("{HEAD} (head)\n"));
}

#[test]
fn show_prints_one_revision() {
    let project = Project::new();
    let expected = "\
Rev: 2026-02-02-103000
Parent: 2026-01-12-141500
Path: migrations/2026-02-02-103000_add_email_to_users/up.sql

    add email to users
";
    assert_eq!(project.run(&["show", "2026-02-02"]).ok().stdout, expected);
    assert_eq!(
        project.run(&["show", "2026-02-02-103000"]).ok().stdout,
        expected
    );
    assert_eq!(project.run(&["show", "head-4"]).ok().stdout, expected);
    assert_eq!(project.run(&["show", "base+3"]).ok().stdout, expected);
    assert!(
        project
            .run(&["show", "head"])
            .ok()
            .stdout
            .starts_with(&format!("Rev: {HEAD} (head)\n"))
    );
}

#[test]
fn show_refuses_bad_targets() {
    let project = Project::new();
    project
        .run(&["show", "2026-01"])
        .code(1)
        .stderr_has("error: multiple revisions start with `2026-01`: `2026-01-05-090000`, `2026-01-12-141500`; give more characters");
    project
        .run(&["show", "abc"])
        .code(1)
        .stderr_has("error: no such revision `abc`; a prefix needs at least four characters");
    project
        .run(&["show", "ffff-ffff"])
        .code(1)
        .stderr_has("error: no such revision `ffff-ffff`");
    project
        .run(&["show", "head+x"])
        .code(1)
        .stderr_has("error: invalid target `head+x`");
    project
        .run(&["show", "head+1"])
        .code(1)
        .stderr_has("goes past the head");
    project
        .run(&["show", "base"])
        .code(1)
        .stderr_has("`base` is base, the empty schema before the first revision");
    // Usage errors exit with 2.
    project.run(&["show"]).code(2).stderr_has("Usage:");
}

#[test]
fn check_accepts_a_straight_line() {
    let project = Project::new();
    let run = project.run(&["check"]).ok();
    assert_eq!(
        run.stdout,
        "ok: 7 revisions in one straight line, from `2026-01-05-090000` to `2026-05-18-094500` (head)\n"
    );
}

#[test]
fn check_reports_a_fork_with_the_compilers_message() {
    let project = Project::new();
    project.fork();
    let run = project.run(&["check"]).code(1);
    assert_eq!(run.stdout, "");
    let expected = revchain_internals::load(&project.migrations(), "migrations").unwrap_err();
    let fork = expected
        .iter()
        .find(|d| d.kind() == revchain_internals::DefectKind::Fork)
        .unwrap();
    assert!(
        run.stderr.contains(&format!("error: {fork}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.starts_with(
        "error: fork: `2026-06-01-000000` and `2026-06-02-000000` both name `2026-05-18-094500` as their parent"
    ), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("  --> migrations/2026-06-01-000000_add_bio/metadata.toml")
    );
    assert!(
        run.stderr
            .contains("= help: keep `2026-06-01-000000` and re-parent")
    );
}

#[test]
fn every_command_refuses_a_broken_directory() {
    let project = Project::new();
    project.fork();
    let url = project.sqlite_url("db.sqlite");
    for args in [
        &["upgrade"][..],
        &["downgrade", "base"],
        &["history"],
        &["heads"],
        &["show", "head"],
        &["current"],
        &["stamp", "head"],
    ] {
        project
            .run_on(&url, args)
            .code(1)
            .stderr_has("error: fork: `2026-06-01-000000` and `2026-06-02-000000`");
    }
    assert!(
        !project.path().join("db.sqlite").exists(),
        "a command connected despite the broken chain"
    );
}

#[test]
fn a_missing_directory_is_named() {
    let project = Project::empty();
    project
        .run(&["history"])
        .code(1)
        .stderr_has("error: the migrations directory `migrations` does not exist");
    project
        .run(&["check", "--dir", "db/migrations/"])
        .code(1)
        .stderr_has("`db/migrations`");
}

#[test]
fn an_empty_directory_is_an_empty_history() {
    let project = Project::empty();
    std::fs::create_dir(project.migrations()).unwrap();
    assert_eq!(project.run(&["history"]).ok().stdout, "");
    assert_eq!(project.run(&["heads"]).ok().stdout, "");
    assert_eq!(
        project.run(&["check"]).ok().stdout,
        "ok: no revisions yet\n"
    );
}

#[test]
fn help_and_version_exit_with_0_and_usage_errors_with_2() {
    let project = Project::new();
    project.run(&["--help"]).ok().stdout_has("upgrade");
    project.run(&["--version"]).ok().stdout_has("revchain ");
    project.run(&[]).code(2);
    project.run(&["frobnicate"]).code(2);
    project.run(&["downgrade"]).code(2).stderr_has("<TARGET>");
    project
        .run(&["upgrade", "head", "--delta", "1"])
        .code(2)
        .stderr_has("cannot be used with");
    project.run(&["history", "--format", "yaml"]).code(2);
}
