//! `rebase [REV...] [--main BRANCH] [--dry-run]`: after a merge of two
//! branches that each added revisions, puts one branch's revisions after
//! the other's. The revisions that move are the named ones with their
//! descendants, or, in git, those not yet on the main branch; what moves
//! is decided by `revchain_internals::rebase`. Only the `parent = "…"`
//! value of each moved revision's `metadata.toml` and `HEAD` are
//! rewritten; every other byte stays. The files are replaced atomically
//! and all or nothing ([`atomic::replace_all`]), and the directory is
//! checked with the compiler's rules afterwards. A `REV` is an id or a
//! unique prefix of one, resolved as every other command resolves it.

use std::path::{Path, PathBuf};

use revchain_internals::rebase::{self, Main, Rebase, Refusal, Request, Scanned};
use serde_json::json;

use super::args::RebaseArgs;
use super::atomic::{self, Replacement};
use super::error::CliError;
use super::{Session, Source, git};
use crate::target::resolve_id;

/// One file to write: where, as shown, its new contents, and its contents
/// now (`None`: it does not exist), to put back if the rebase fails.
struct Write {
    path: PathBuf,
    shown: String,
    text: String,
    old: Option<String>,
}

/// Runs `revchain rebase`: plans the moves, writes them unless `--dry-run`,
/// checks the directory, and prints them.
pub(crate) fn rebase(session: &mut Session<'_>, args: &RebaseArgs) -> Result<(), CliError> {
    let Source::Dir { path, display, .. } = &session.source else {
        return Err(CliError::bare(
            "`rebase` needs a migrations directory, not an embedded chain",
        ));
    };
    let (path, display) = (path.clone(), display.clone());
    let scanned = rebase::scan(&path, &display).map_err(CliError::Defects)?;
    let in_git = git::is_work_tree(&path)?;
    if !in_git && args.main.is_some() {
        return Err(CliError::message(
            format!("`--main` needs a git repository, but `{display}` is not in one"),
            "drop `--main` and name the revisions to move: `revchain rebase REV...`",
        ));
    }
    let main = match in_git {
        false => None,
        true => match git::main_branch(&path, args.main.as_deref())? {
            None => None,
            Some(name) => Some(Main {
                ids: git::ids_on(&path, &name)?,
                name,
            }),
        },
    };
    let request = if args.revs.is_empty() {
        Request::Unmerged
    } else {
        Request::Named(named(&scanned, &args.revs)?)
    };
    let plan = rebase::plan(&scanned, &request, main.as_ref()).map_err(|refusal| match refusal {
        Refusal::Defects(defects) => CliError::Defects(defects),
        Refusal::Refused { help, .. } if main.is_none() && args.revs.is_empty() => {
            CliError::message(
                if in_git {
                    "cannot tell which revisions are not on the main branch: there is no `origin/HEAD`, `main` or `master`; pass `--main BRANCH`".to_owned()
                } else {
                    format!(
                        "cannot tell which revisions are not on the main branch: `{display}` is not in a git repository"
                    )
                },
                help,
            )
        }
        Refusal::Refused { message, help } => CliError::message(message, help),
    })?;
    let writes = files(&path, &display, &scanned, &plan)?;
    if !args.dry_run {
        let replacements: Vec<Replacement> = writes
            .iter()
            .map(|write| Replacement {
                path: write.path.clone(),
                shown: write.shown.clone(),
                bytes: write.text.as_bytes().to_vec(),
                before: write.old.as_ref().map(|old| old.as_bytes().to_vec()),
            })
            .collect();
        atomic::replace_all(&replacements)
            .map_err(|failure| failure.into_error("revchain rebase"))?;
        revchain_internals::load(&path, &display).map_err(CliError::Defects)?;
    }
    report(session, args, &display, main.as_ref(), &plan, &writes)
}

/// The full ids of the revisions named: each `REV` is an id or a unique
/// prefix of one, among the revision directories (which are not one chain
/// yet, so not [`crate::Revisions`]).
fn named(scanned: &[Scanned], revs: &[String]) -> Result<Vec<String>, CliError> {
    revs.iter()
        .map(|rev| {
            let index = resolve_id(rev, scanned.iter().map(|r| r.id.as_str()))?;
            Ok(scanned[index].id.clone())
        })
        .collect()
}

/// The files a rebase rewrites: each moved revision's `metadata.toml`, then
/// `HEAD` unless it already names the head alone. Computed before anything
/// is written, so that a file that cannot be rewritten stops the rebase
/// with nothing changed.
fn files(
    root: &Path,
    display: &str,
    scanned: &[Scanned],
    plan: &Rebase,
) -> Result<Vec<Write>, CliError> {
    let mut writes = Vec::new();
    for moved in &plan.moves {
        let Some(revision) = scanned.iter().find(|r| r.id == moved.id) else {
            continue;
        };
        let path = root.join(&revision.dir_name).join("metadata.toml");
        let shown = revision.metadata_file();
        let old = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(CliError::io(format!("cannot read `{shown}`"), error)),
        };
        let current = old.as_deref().unwrap_or_default();
        let text = revchain_internals::rewrite_parent(current, &moved.to).map_err(|reason| {
            CliError::message(
                format!("cannot rewrite `parent` in `{shown}`: {reason}"),
                "fix the file, then run `revchain rebase` again; nothing was written",
            )
        })?;
        writes.push(Write {
            path,
            shown,
            text,
            old,
        });
    }
    let head_path = root.join("HEAD");
    let old_head = match std::fs::read_to_string(&head_path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            return Err(CliError::io(format!("cannot read `{display}/HEAD`"), error));
        }
    };
    if let Some(head) = &plan.head
        && old_head.as_deref().map(str::trim) != Some(head.as_str())
    {
        writes.push(Write {
            path: head_path,
            shown: format!("{display}/HEAD"),
            text: format!("{head}\n"),
            old: old_head,
        });
    }
    Ok(writes)
}

/// Prints each move, old parent -> new parent, and `HEAD`.
fn report(
    session: &Session<'_>,
    args: &RebaseArgs,
    display: &str,
    main: Option<&Main>,
    plan: &Rebase,
    writes: &[Write],
) -> Result<(), CliError> {
    let head_written = writes.iter().any(|w| w.path.ends_with("HEAD"));
    if session.output.json() {
        let moves: Vec<_> = plan
            .moves
            .iter()
            .map(|m| {
                json!({
                    "id": m.id,
                    "dir": m.dir,
                    "old_parent": m.from,
                    "new_parent": m.to,
                })
            })
            .collect();
        return session.output.print_json(&json!({
            "dry_run": args.dry_run,
            "main": main.map(|m| &m.name),
            "moves": moves,
            "moved": plan.moved,
            "head": plan.head,
            "head_updated": head_written,
        }));
    }
    let (moving, updating) = if args.dry_run {
        ("Would move", "Would update")
    } else {
        ("Moving", "Updating")
    };
    for m in &plan.moves {
        session.output.print(&format!(
            "{moving} {}: parent {} -> {}",
            m.id,
            m.from.as_deref().unwrap_or("<base>"),
            m.to
        ))?;
    }
    if head_written && let Some(head) = &plan.head {
        session
            .output
            .print(&format!("{updating} {display}/HEAD -> {head}"))?;
    }
    if writes.is_empty() {
        session.output.print(&format!(
            "nothing to rebase: `{display}` is one straight line, and `HEAD` names its head"
        ))
    } else if args.dry_run {
        session.output.print("dry run: nothing was written")
    } else {
        Ok(())
    }
}
