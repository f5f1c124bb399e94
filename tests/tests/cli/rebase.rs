//! `revchain rebase` in scripted git repositories (the git CLI, with the
//! test's own user name and email): two branches that each add revisions,
//! merged in both directions; with and without `REV`s; the bytes of
//! `metadata.toml` kept; the chain valid afterwards, by the loader the
//! macro uses; and every refusal, which writes nothing; revisions named
//! by a prefix of their id; and a write that fails, which changes nothing.

use std::path::Path;
use std::process::Command;

use crate::{HEAD, Project};

/// Runs git in `dir`, asserting success, and returns its stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("running git");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs git in `dir`, whatever its exit status (a merge that conflicts).
fn git_may_fail(dir: &Path, args: &[&str]) {
    Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("running git");
}

/// The example history, committed on `main` in a new repository.
fn repository() -> Project {
    let project = Project::new();
    let dir = project.path();
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.name", "revchain tests"]);
    git(dir, &["config", "user.email", "tests@revchain.invalid"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "the example history"]);
    project
}

const MAIN_1: &str = "2026-06-01-000000";
const MAIN_2: &str = "2026-06-03-000000";
const FEATURE_1: &str = "2026-06-02-000000";
const FEATURE_2: &str = "2026-06-04-000000";

/// `metadata.toml` of the feature's first revision: comments, a CRLF line,
/// odd spacing and other keys, all of which must survive a rebase.
fn feature_metadata() -> String {
    format!(
        "# the feature's first revision\r\nparent   =   \"{HEAD}\"   # on the head of the day\nmessage = \"add avatar\"\n\nrun_in_transaction = true\n"
    )
}

/// `main` adds two revisions, and the branch `feature` two others on the
/// same head; `current` is checked out.
fn branches(current: &str) -> Project {
    let project = repository();
    let dir = project.path();
    git(dir, &["checkout", "-q", "-b", "feature"]);
    project.add_revision(
        &format!("{FEATURE_1}_add_avatar"),
        Some(HEAD),
        "SELECT 1;\n",
    );
    std::fs::write(
        project
            .migrations()
            .join(format!("{FEATURE_1}_add_avatar/metadata.toml")),
        feature_metadata(),
    )
    .unwrap();
    project.add_revision(
        &format!("{FEATURE_2}_add_cover"),
        Some(FEATURE_1),
        "SELECT 2;\n",
    );
    project.set_head(FEATURE_2);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "feature"]);
    git(dir, &["checkout", "-q", "main"]);
    project.add_revision(&format!("{MAIN_1}_add_bio"), Some(HEAD), "SELECT 3;\n");
    project.add_revision(&format!("{MAIN_2}_add_site"), Some(MAIN_1), "SELECT 4;\n");
    project.set_head(MAIN_2);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "main"]);
    git(dir, &["checkout", "-q", current]);
    project
}

/// Two revisions on the example's head, `MAIN_1` and `FEATURE_1`: a fork,
/// `HEAD` left to the caller.
fn fork(project: &Project) {
    project.add_revision(&format!("{MAIN_1}_add_bio"), Some(HEAD), "SELECT 3;\n");
    project.add_revision(
        &format!("{FEATURE_1}_add_avatar"),
        Some(HEAD),
        "SELECT 1;\n",
    );
}

/// The chain, read by the loader `embed_revisions!` uses: the crate
/// builds exactly when this succeeds.
fn chain_ids(project: &Project) -> Vec<String> {
    let chain = revchain_internals::load(&project.migrations(), "migrations")
        .unwrap_or_else(|defects| panic!("{defects}"));
    chain.revisions().iter().map(|r| r.id.clone()).collect()
}

fn metadata(project: &Project, dir: &str) -> String {
    std::fs::read_to_string(project.migrations().join(dir).join("metadata.toml")).unwrap()
}

#[test]
fn a_feature_merged_into_main_moves_on_top_of_main() {
    let project = branches("main");
    git_may_fail(project.path(), &["merge", "-q", "feature"]);
    project.run(&["check"]).code(1).stderr_has(&format!(
        "or run `revchain rebase {FEATURE_1}`, which does both"
    ));
    let run = project.run(&["rebase"]).ok();
    assert_eq!(
        run.stdout,
        format!(
            "Moving {FEATURE_1}: parent {HEAD} -> {MAIN_2}\nUpdating migrations/HEAD -> {FEATURE_2}\n"
        )
    );
    // Only the parent's value changed, byte for byte.
    assert_eq!(
        metadata(&project, &format!("{FEATURE_1}_add_avatar")),
        feature_metadata().replace(&format!("\"{HEAD}\""), &format!("\"{MAIN_2}\""))
    );
    assert_eq!(
        std::fs::read_to_string(project.migrations().join("HEAD")).unwrap(),
        format!("{FEATURE_2}\n")
    );
    let ids = chain_ids(&project);
    assert_eq!(ids[ids.len() - 4..], [MAIN_1, MAIN_2, FEATURE_1, FEATURE_2]);
    project
        .run(&["check"])
        .ok()
        .stdout_has("in one straight line");
    // Run again: nothing left to do.
    project
        .run(&["rebase"])
        .ok()
        .stdout_has("nothing to rebase");
}

#[test]
fn main_merged_into_the_feature_moves_the_feature() {
    let project = branches("feature");
    git_may_fail(project.path(), &["merge", "-q", "main"]);
    let run = project.run(&["rebase", "--format", "json"]).ok();
    let json = run.json();
    assert_eq!(json["main"], "main");
    assert_eq!(json["moves"][0]["id"], FEATURE_1);
    assert_eq!(json["moves"][0]["old_parent"], HEAD);
    assert_eq!(json["moves"][0]["new_parent"], MAIN_2);
    assert_eq!(json["moved"], serde_json::json!([FEATURE_1, FEATURE_2]));
    assert_eq!(json["head"], FEATURE_2);
    let ids = chain_ids(&project);
    assert_eq!(ids[ids.len() - 4..], [MAIN_1, MAIN_2, FEATURE_1, FEATURE_2]);
}

#[test]
fn named_revisions_move_without_git() {
    let project = Project::new();
    fork(&project);
    project.set_head(FEATURE_1);
    let run = project.run(&["rebase", MAIN_1]).ok();
    assert_eq!(
        run.stdout,
        format!(
            "Moving {MAIN_1}: parent {HEAD} -> {FEATURE_1}\nUpdating migrations/HEAD -> {MAIN_1}\n"
        )
    );
    let ids = chain_ids(&project);
    assert_eq!(ids[ids.len() - 2..], [FEATURE_1, MAIN_1]);
}

#[test]
fn a_dry_run_writes_nothing() {
    let project = branches("main");
    git_may_fail(project.path(), &["merge", "-q", "feature"]);
    let before = project.snapshot();
    let run = project.run(&["rebase", "--dry-run"]).ok();
    assert_eq!(
        run.stdout,
        format!(
            "Would move {FEATURE_1}: parent {HEAD} -> {MAIN_2}\nWould update migrations/HEAD -> {FEATURE_2}\ndry run: nothing was written\n"
        )
    );
    assert_eq!(project.snapshot(), before);
}

#[test]
fn revisions_on_main_are_never_moved() {
    let project = branches("main");
    git_may_fail(project.path(), &["merge", "-q", "feature"]);
    let before = project.snapshot();
    project
        .run(&["rebase", MAIN_1])
        .code(1)
        .stderr_has(&format!(
            "error: refusing to move `{MAIN_1}`, `{MAIN_2}`: already on `main`, where they may be applied in production"
        ));
    assert_eq!(project.snapshot(), before);
}

#[test]
fn a_merge_already_committed_on_main_is_refused() {
    let project = branches("main");
    git_may_fail(project.path(), &["merge", "-q", "feature"]);
    std::fs::write(project.migrations().join("HEAD"), format!("{FEATURE_2}\n")).unwrap();
    git(project.path(), &["commit", "-q", "-a", "-m", "a bad merge"]);
    let before = project.snapshot();
    project
        .run(&["rebase"])
        .code(1)
        .stderr_has("error: the revisions that stay are not one straight line: fork:");
    assert_eq!(project.snapshot(), before);
}

#[test]
fn two_unmerged_lines_are_ambiguous() {
    let project = repository();
    fork(&project);
    project.set_head(FEATURE_1);
    let before = project.snapshot();
    project
        .run(&["rebase"])
        .code(1)
        .stderr_has("form 2 separate lines")
        .stderr_has(&format!("`revchain rebase {MAIN_1} {FEATURE_1}`"));
    assert_eq!(project.snapshot(), before);
}

#[test]
fn without_git_it_says_which_revision_to_name() {
    let project = Project::new();
    project.fork();
    let before = project.snapshot();
    project
        .run(&["rebase"])
        .code(1)
        .stderr_has("`migrations` is not in a git repository")
        .stderr_has("`revchain rebase 2026-06-02-000000`");
    project
        .run(&["rebase", "--main", "main"])
        .code(1)
        .stderr_has("`--main` needs a git repository");
    assert_eq!(project.snapshot(), before);
}

#[test]
fn the_remote_default_branch_is_the_main_branch() {
    let upstream = branches("main");
    let clone = Project::empty();
    let clone_dir = clone.path().join("work");
    git(
        clone.path(),
        &["clone", "-q", upstream.path().to_str().unwrap(), "work"],
    );
    git(&clone_dir, &["config", "user.name", "revchain tests"]);
    git(
        &clone_dir,
        &["config", "user.email", "tests@revchain.invalid"],
    );
    // The local `main` gets a revision of its own, not pushed yet; the
    // remote's `main` then gets the feature.
    git(&clone_dir, &["checkout", "-q", "-b", "mine", "origin/main"]);
    git_may_fail(&clone_dir, &["merge", "-q", "origin/feature"]);
    let run = crate::run(clone.revchain().current_dir(&clone_dir).args([
        "rebase",
        "--dry-run",
        "--format",
        "json",
    ]))
    .ok();
    assert_eq!(run.json()["main"], "origin/main");
    assert_eq!(run.json()["moves"][0]["id"], FEATURE_1);
}

#[test]
fn main_names_the_branch_whose_revisions_stay() {
    let project = branches("main");
    git_may_fail(project.path(), &["merge", "-q", "feature"]);
    let before = project.snapshot();
    project
        .run(&["rebase", "--main", "no-such-branch"])
        .code(1)
        .stderr_has("`--main no-such-branch` names no branch of this git repository");
    assert_eq!(project.snapshot(), before);
    // With `feature` as the main branch, `main`'s revisions move instead.
    let run = project.run(&["rebase", "--main", "feature"]).ok();
    assert_eq!(
        run.stdout,
        format!(
            "Moving {MAIN_1}: parent {HEAD} -> {FEATURE_2}\nUpdating migrations/HEAD -> {MAIN_2}\n"
        )
    );
    let ids = chain_ids(&project);
    assert_eq!(ids[ids.len() - 4..], [FEATURE_1, FEATURE_2, MAIN_1, MAIN_2]);
}

/// Three revisions on the head of the example history, `HEAD` naming
/// `MAIN_1`: moving `FEATURE_1` and `FEATURE_2` rewrites both their
/// `metadata.toml` and `HEAD`.
fn three_way_fork() -> Project {
    let project = Project::new();
    fork(&project);
    project.add_revision(&format!("{FEATURE_2}_add_cover"), Some(HEAD), "SELECT 2;\n");
    project.set_head(MAIN_1);
    project
}

#[test]
fn a_unique_prefix_names_a_revision() {
    let project = three_way_fork();
    let run = project.run(&["rebase", "2026-06-02", "2026-06-04-0"]).ok();
    assert_eq!(
        run.stdout,
        format!(
            "Moving {FEATURE_1}: parent {HEAD} -> {MAIN_1}\nMoving {FEATURE_2}: parent {HEAD} -> {FEATURE_1}\nUpdating migrations/HEAD -> {FEATURE_2}\n"
        )
    );
    let ids = chain_ids(&project);
    assert_eq!(ids[ids.len() - 3..], [MAIN_1, FEATURE_1, FEATURE_2]);
}

#[test]
fn an_ambiguous_prefix_is_refused_naming_every_match() {
    let project = three_way_fork();
    let before = project.snapshot();
    project
        .run(&["rebase", "2026-06-0"])
        .code(1)
        .stderr_has(&format!(
            "error: multiple revisions start with `2026-06-0`: `{MAIN_1}`, `{FEATURE_1}`, `{FEATURE_2}`; give more characters"
        ));
    assert_eq!(project.snapshot(), before);
}

#[test]
fn an_unknown_prefix_is_refused() {
    let project = three_way_fork();
    let before = project.snapshot();
    project
        .run(&["rebase", "2027-01"])
        .code(1)
        .stderr_has("error: no such revision `2027-01`\n");
    project
        .run(&["rebase", "202"])
        .code(1)
        .stderr_has("error: no such revision `202`; a prefix needs at least four characters");
    assert_eq!(project.snapshot(), before);
}

#[test]
fn a_write_that_fails_changes_nothing() {
    let project = three_way_fork();
    // The second `metadata.toml` to rewrite is larger than the file size
    // limit the command runs under (root may write anywhere, so a
    // read-only directory would not stop it): its temporary file cannot be
    // written, after the first one was. `SIGXFSZ` is ignored, so the write
    // fails with `EFBIG` instead of killing the process.
    let cover = project
        .migrations()
        .join(format!("{FEATURE_2}_add_cover/metadata.toml"));
    let long = format!("# {}\nparent = \"{HEAD}\"\n", "x".repeat(20_000));
    std::fs::write(&cover, &long).unwrap();
    let before = project.snapshot();
    let limited = |args: &[&str]| {
        let mut command = crate::clean("sh", project.path());
        command
            .arg("-c")
            .arg("trap '' XFSZ; ulimit -f 4; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_revchain-test-cli"))
            .args(args);
        crate::run(&mut command)
    };
    limited(&["rebase", FEATURE_1, FEATURE_2])
        .code(1)
        .stderr_has(&format!(
            "error: cannot write `migrations/{FEATURE_2}_add_cover/metadata.toml` through `migrations/{FEATURE_2}_add_cover/.metadata.toml.revchain-new`; nothing was written"
        ));
    assert_eq!(project.snapshot(), before);
    // Without the limit, the same rebase goes through.
    project.run(&["rebase", FEATURE_1, FEATURE_2]).ok();
    let ids = chain_ids(&project);
    assert_eq!(ids[ids.len() - 3..], [MAIN_1, FEATURE_1, FEATURE_2]);
    assert_eq!(
        std::fs::read_to_string(&cover).unwrap(),
        long.replace(&format!("\"{HEAD}\""), &format!("\"{FEATURE_1}\""))
    );
}

#[test]
fn a_rewritten_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let project = Project::new();
    fork(&project);
    project.set_head(MAIN_1);
    let path = project
        .migrations()
        .join(format!("{FEATURE_1}_add_avatar/metadata.toml"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    project.run(&["rebase", FEATURE_1]).ok();
    assert_eq!(
        metadata(&project, &format!("{FEATURE_1}_add_avatar")),
        format!("parent = \"{MAIN_1}\"\n")
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}
