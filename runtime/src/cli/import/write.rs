//! Writing an imported history, all or nothing: the whole history is
//! written to a staging directory beside the target first and checked with
//! the rules `embed_revisions!` applies ([`revchain_internals::load`]); only
//! then is it moved into place. An in-place conversion renames directories
//! and writes `metadata.toml` and `HEAD` (each through a temporary file and
//! a rename), checks the result with the same rules, and undoes every step
//! if one fails or the check does.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::plan::Plan;
use crate::cli::atomic;
use crate::cli::error::CliError;

/// Refuses a target directory that holds anything: a revchain history
/// (`HEAD`) above all.
pub(crate) fn check_target(target: &Path, display: &str) -> Result<(), CliError> {
    if !target.exists() {
        return Ok(());
    }
    if target.join("HEAD").exists() {
        return Err(CliError::message(
            format!("`{display}` already holds a revchain history: it has a `HEAD` file"),
            "import into a new directory with `--dir DIR`, or remove the history first",
        ));
    }
    let mut listed = fs::read_dir(target)
        .map_err(|e| CliError::io(format!("cannot read the directory `{display}`"), e))?;
    if listed.next().is_some() {
        return Err(CliError::message(
            format!("`{display}` is not empty"),
            "import into a new or empty directory with `--dir DIR`; to convert a diesel directory in place, pass it as both `SRC` and `--dir`",
        ));
    }
    Ok(())
}

/// A staging directory beside `target`, removed when dropped unless kept.
struct Staging {
    path: PathBuf,
    keep: bool,
}

impl Staging {
    fn new(target: &Path, display: &str) -> Result<Self, CliError> {
        let name = target
            .file_name()
            .map_or_else(|| "migrations".into(), |n| n.to_string_lossy().into_owned());
        let parent = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let path = parent.join(format!(".{name}.revchain-import-{}", std::process::id()));
        if path.exists() {
            let _ = fs::remove_dir_all(&path);
        }
        fs::create_dir_all(&path).map_err(|e| {
            CliError::io(
                format!("cannot create a staging directory beside `{display}`"),
                e,
            )
        })?;
        Ok(Staging { path, keep: false })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// Writes the whole history into `root`, copying the kept top-level files
/// from `source`.
fn write_all(plan: &Plan, source: &Path, root: &Path) -> io::Result<()> {
    for revision in &plan.revisions {
        let dir = root.join(&revision.dir_name);
        fs::create_dir(&dir)?;
        fs::write(dir.join("up.sql"), &revision.foreign.up_sql)?;
        if let Some(down) = &revision.foreign.down_sql {
            fs::write(dir.join("down.sql"), down)?;
        }
        if let Some(metadata) = &revision.metadata {
            fs::write(dir.join("metadata.toml"), metadata)?;
        }
        if let Some(original) = &revision.foreign.dir_name {
            copy_readmes(&source.join(original), &dir)?;
        }
    }
    for name in &plan.kept_files {
        fs::copy(source.join(name), root.join(name))?;
    }
    if let Some(head) = plan.head() {
        fs::write(root.join("HEAD"), format!("{head}\n"))?;
    }
    Ok(())
}

/// The `README*` files of a diesel migration, which the revision keeps.
fn copy_readmes(from: &Path, to: &Path) -> io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with("README") && entry.file_type()?.is_file() {
            fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

/// Checks the staged history with the compiler's rules, and that its order
/// is the plan's.
fn check(plan: &Plan, staged: &Path) -> Result<(), CliError> {
    let chain = revchain_internals::load(staged, &plan.display).map_err(CliError::Defects)?;
    let ids: Vec<&str> = chain.revisions().iter().map(|r| r.id.as_str()).collect();
    let planned: Vec<&str> = plan
        .revisions
        .iter()
        .map(|r| r.foreign.id.as_str())
        .collect();
    if ids != planned {
        return Err(CliError::bare(format!(
            "the imported history of `{}` does not have the order planned; nothing was written",
            plan.display
        )));
    }
    Ok(())
}

/// Writes the history into `target`, which does not exist or is empty.
pub(crate) fn new_directory(
    plan: &Plan,
    source: &Path,
    target: &Path,
    display: &str,
) -> Result<(), CliError> {
    let mut staging = Staging::new(target, display)?;
    write_all(plan, source, &staging.path)
        .map_err(|e| CliError::io(format!("cannot write the history of `{display}`"), e))?;
    check(plan, &staging.path)?;
    if target.exists() {
        // Empty: `check_target` saw to it.
        fs::remove_dir(target)
            .map_err(|e| CliError::io(format!("cannot replace the empty `{display}`"), e))?;
    }
    fs::rename(&staging.path, target)
        .map_err(|e| CliError::io(format!("cannot move the history into `{display}`"), e))?;
    staging.keep = true;
    Ok(())
}

/// One step of an in-place conversion, to undo it.
enum Done {
    Renamed {
        from: PathBuf,
        to: PathBuf,
    },
    Wrote {
        path: PathBuf,
        before: Option<Vec<u8>>,
    },
}

/// Converts the diesel directory `dir` in place: renames the directories
/// revchain refuses, writes each `metadata.toml` that changes, and `HEAD`;
/// `up.sql` and `down.sql` are not touched. The result is checked with the
/// compiler's rules, and every step is undone if one fails or the check
/// does.
pub(crate) fn in_place(plan: &Plan, dir: &Path, display: &str) -> Result<(), CliError> {
    let mut done = Vec::new();
    let result = apply(plan, dir, display, &mut done).and_then(|()| check(plan, dir));
    if result.is_err() {
        for step in done.into_iter().rev() {
            let _ = match step {
                Done::Renamed { from, to } => fs::rename(to, from),
                Done::Wrote {
                    path,
                    before: Some(bytes),
                } => atomic::replace(&path, &bytes),
                Done::Wrote { path, before: None } => fs::remove_file(path),
            };
        }
    }
    result
}

fn apply(plan: &Plan, dir: &Path, display: &str, done: &mut Vec<Done>) -> Result<(), CliError> {
    for revision in &plan.revisions {
        let Some(original) = &revision.foreign.dir_name else {
            continue;
        };
        let target = dir.join(&revision.dir_name);
        if original != &revision.dir_name {
            if target.exists() {
                return Err(CliError::message(
                    format!(
                        "cannot rename `{}` to `{}`: that directory exists",
                        revision.foreign.source, revision.dir
                    ),
                    "rename one of them by hand, then import again",
                ));
            }
            let from = dir.join(original);
            fs::rename(&from, &target).map_err(|e| {
                CliError::io(
                    format!(
                        "cannot rename `{}` to `{}`",
                        revision.foreign.source, revision.dir
                    ),
                    e,
                )
            })?;
            done.push(Done::Renamed {
                from,
                to: target.clone(),
            });
        }
        if let Some(metadata) = &revision.metadata {
            let path = target.join("metadata.toml");
            let shown = format!("{}/metadata.toml", revision.dir);
            replace(&path, metadata.as_bytes(), &shown, done)?;
        }
    }
    if let Some(head) = plan.head() {
        replace(
            &dir.join("HEAD"),
            format!("{head}\n").as_bytes(),
            &format!("{display}/HEAD"),
            done,
        )?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically ([`atomic::replace`]), unless it
/// holds them already.
fn replace(path: &Path, bytes: &[u8], shown: &str, done: &mut Vec<Done>) -> Result<(), CliError> {
    let before = match fs::read(path) {
        Ok(before) => Some(before),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(CliError::io(format!("cannot read `{shown}`"), error)),
    };
    if before.as_deref() == Some(bytes) {
        return Ok(());
    }
    atomic::replace(path, bytes).map_err(|e| CliError::io(format!("cannot write `{shown}`"), e))?;
    done.push(Done::Wrote {
        path: path.to_path_buf(),
        before,
    });
    Ok(())
}
