//! What `rebase` asks git, through the `git` command: whether the
//! migrations directory is in a repository, which branch is the main one,
//! and which revision directories that branch holds.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use super::error::CliError;

/// Runs `git` in `dir`; `None` when git is not installed.
fn git(dir: &Path, args: &[&str]) -> Result<Option<Output>, CliError> {
    match Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
    {
        Ok(output) => Ok(Some(output)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(CliError::io("cannot run `git`", error)),
    }
}

/// Whether `dir` is inside a git working tree (false without git).
pub(crate) fn is_work_tree(dir: &Path) -> Result<bool, CliError> {
    Ok(git(dir, &["rev-parse", "--is-inside-work-tree"])?
        .is_some_and(|output| output.status.success() && output.stdout.starts_with(b"true")))
}

/// Whether `name` names a commit in the repository of `dir`.
fn is_commit(dir: &Path, name: &str) -> Result<bool, CliError> {
    let spec = format!("{name}^{{commit}}");
    Ok(git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    )?
    .is_some_and(|output| output.status.success()))
}

/// The main branch: `explicit`, which must exist; else the remote's
/// default branch (`refs/remotes/origin/HEAD`, as `origin/main`), else
/// `main`, else `master`; `None` when there is none of these.
pub(crate) fn main_branch(dir: &Path, explicit: Option<&str>) -> Result<Option<String>, CliError> {
    if let Some(name) = explicit {
        if name.starts_with('-') || !is_commit(dir, name)? {
            return Err(CliError::message(
                format!("`--main {name}` names no branch of this git repository"),
                "name the main branch as git knows it, such as `main` or `origin/main`",
            ));
        }
        return Ok(Some(name.to_owned()));
    }
    if let Some(output) = git(
        dir,
        &["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"],
    )? && output.status.success()
    {
        let target = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if let Some(short) = target.strip_prefix("refs/remotes/")
            && is_commit(dir, short)?
        {
            return Ok(Some(short.to_owned()));
        }
    }
    for name in ["main", "master"] {
        if is_commit(dir, &format!("refs/heads/{name}"))? {
            return Ok(Some(name.to_owned()));
        }
    }
    Ok(None)
}

/// The ids of the revision directories that `branch` holds in `dir`.
pub(crate) fn ids_on(dir: &Path, branch: &str) -> Result<BTreeSet<String>, CliError> {
    let output = git(
        dir,
        &[
            "ls-tree",
            "-r",
            "-z",
            "--name-only",
            "--end-of-options",
            branch,
            "--",
            ".",
        ],
    )?
    .ok_or_else(|| CliError::bare("`git` is not installed"))?;
    if !output.status.success() {
        return Err(CliError::message(
            format!(
                "`git ls-tree {branch}` failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
            "check the main branch, or name the revisions to move: `revchain rebase REV...`",
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .split('\0')
        .filter_map(|path| path.split_once('/'))
        .filter_map(|(dir_name, _)| revchain_internals::split_directory_name(dir_name).ok())
        .map(|(id, _)| id.to_owned())
        .collect())
}
