//! `import --from diesel|sqlx|refinery SRC`: a revchain history written from
//! another tool's migrations, in that tool's own order.
//!
//! Reading a layout ([`diesel`], [`sqlx`], [`refinery`]) and planning the
//! history ([`plan`]) touch no database and write nothing; [`write`] stages
//! the whole history, checks it with the rules `embed_revisions!` applies,
//! and only then puts it in place. Every refusal names the file and what to
//! do, and nothing is written then.

mod diesel;
mod plan;
mod refinery;
mod sqlx;
mod write;

use std::path::{Path, PathBuf};

use revchain_internals::{Defect, DefectKind, Defects};
use serde_json::{Value, json};

use super::args::{ImportArgs, ImportTool};
use super::error::CliError;
use super::settings::display_dir;
use super::{Session, Source};
use plan::{NO_TRANSACTION, Plan};

/// One migration of the other tool, read from its files, in that tool's
/// order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Foreign {
    /// The revision id: the tool's version text.
    pub(crate) id: String,
    /// A slug revchain accepts.
    pub(crate) slug: String,
    /// Where it comes from, as shown in messages: a directory (diesel) or
    /// the `up` file (sqlx, refinery).
    pub(crate) source: String,
    /// The directory it is already in, for an in-place conversion (diesel).
    pub(crate) dir_name: Option<String>,
    /// The name it had, when revchain refuses it and it was renamed.
    pub(crate) renamed_from: Option<String>,
    /// `up.sql`, byte for byte.
    pub(crate) up_sql: String,
    /// `down.sql`, byte for byte.
    pub(crate) down_sql: Option<String>,
    /// The tool's own `metadata.toml`, byte for byte (diesel).
    pub(crate) metadata: Option<String>,
    /// Lines `metadata.toml` gains, such as `run_in_transaction = false`.
    pub(crate) extra_metadata: Vec<String>,
    /// Whether it runs in a transaction, as the tool runs it.
    pub(crate) run_in_transaction: bool,
    /// What the import changed about it, for the plan.
    pub(crate) notes: Vec<String>,
}

impl Foreign {
    /// Marks it to run outside a transaction, as the tool runs it: the
    /// revision's `metadata.toml` gets `run_in_transaction = false`, and the
    /// plan says `why` (what in the tool's files asks for it).
    pub(crate) fn outside_transaction(&mut self, why: &str) {
        self.run_in_transaction = false;
        self.extra_metadata.push(NO_TRANSACTION.to_owned());
        self.notes.push(format!("`{NO_TRANSACTION}`: {why}"));
    }
}

/// What a layout reader found: the migrations in the tool's order, and the
/// top-level files that stay (`README*`, `.keep`, `.gitkeep`).
#[derive(Debug, Default)]
pub(crate) struct Layout {
    pub(crate) migrations: Vec<Foreign>,
    pub(crate) kept_files: Vec<String>,
}

/// Collects what a reader refuses, to report all of it at once.
#[derive(Default)]
pub(crate) struct Problems(Vec<Defect>);

impl Problems {
    pub(crate) fn push(
        &mut self,
        kind: DefectKind,
        summary: impl Into<String>,
        location: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.0
            .push(Defect::new(kind, summary, vec![location.into()], help));
    }

    /// A defect the shared rules found.
    pub(crate) fn add(&mut self, defect: Defect) {
        self.0.push(defect);
    }

    pub(crate) fn extend(&mut self, defects: Defects) {
        self.0.extend(defects.iter().cloned());
    }

    /// The layout, or every problem found.
    pub(crate) fn into_result(self, layout: Layout) -> Result<Layout, CliError> {
        match Defects::from_vec(self.0) {
            None => Ok(layout),
            Some(defects) => Err(CliError::Defects(defects)),
        }
    }
}

/// Joins a shown directory and a name, as messages show paths.
pub(crate) fn shown(dir: &str, name: &str) -> String {
    if dir == "." {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// The entries of the directory `dir` (shown as `display`), sorted by name;
/// a name that is not UTF-8 is a problem.
pub(crate) fn entries(
    dir: &Path,
    display: &str,
    problems: &mut Problems,
) -> Result<Vec<(String, PathBuf, bool)>, CliError> {
    let listed = std::fs::read_dir(dir)
        .map_err(|e| CliError::io(format!("cannot read the directory `{display}`"), e))?;
    let mut found = Vec::new();
    for entry in listed {
        let entry =
            entry.map_err(|e| CliError::io(format!("cannot read the directory `{display}`"), e))?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            problems.push(
                DefectKind::InvalidName,
                format!(
                    "`{}` in `{display}` has a name that is not UTF-8",
                    entry.file_name().to_string_lossy()
                ),
                shown(display, &entry.file_name().to_string_lossy()),
                "rename it in plain ASCII, then import again",
            );
            continue;
        };
        // Symbolic links are followed, as the tools themselves do.
        let is_dir = std::fs::metadata(&path).is_ok_and(|meta| meta.is_dir());
        found.push((name, path, is_dir));
    }
    found.sort();
    Ok(found)
}

/// A top-level file that no migration owns: kept when revchain allows it
/// (`README*`, `.keep`, `.gitkeep`), refused when it is `HEAD` (a revchain
/// history already) or anything else.
pub(crate) fn top_level_file(
    name: &str,
    display: &str,
    layout: &mut Layout,
    problems: &mut Problems,
) {
    if name == "HEAD" {
        problems.push(
            DefectKind::StrayFile,
            format!("`{display}` already holds a revchain history: it has a `HEAD` file"),
            shown(display, "HEAD"),
            "there is nothing to import; run `revchain check` on it instead",
        );
    } else if revchain_internals::allowed_top_level_file(name) {
        layout.kept_files.push(name.to_owned());
    } else {
        problems.push(
            DefectKind::StrayFile,
            format!("stray file `{name}` in `{display}` belongs to no migration"),
            shown(display, name),
            "move it out of the migrations directory (or into a migration), then import again; nothing was written",
        );
    }
}

/// `import`.
pub(crate) fn import(session: &mut Session<'_>, args: &ImportArgs) -> Result<(), CliError> {
    let Source::Dir {
        path: target,
        display: target_display,
        ..
    } = &session.source
    else {
        return Err(CliError::bare(
            "`import` needs a migrations directory, not an embedded chain",
        ));
    };
    let (target, target_display) = (target.clone(), target_display.clone());
    let source_display = display_dir(&args.source);
    if !args.source.is_dir() {
        return Err(CliError::message(
            if args.source.exists() {
                format!("`{source_display}` is not a directory")
            } else {
                format!("the directory `{source_display}` to import does not exist")
            },
            "pass the directory that holds the other tool's migrations",
        ));
    }
    if args.source.join("HEAD").exists() {
        return Err(CliError::message(
            format!("`{source_display}` already holds a revchain history: it has a `HEAD` file"),
            "there is nothing to import; run `revchain check` on it instead",
        ));
    }
    let in_place = same_directory(&args.source, &target);
    if in_place && args.from != ImportTool::Diesel {
        return Err(CliError::message(
            format!(
                "`--from {}` cannot convert `{source_display}` in place: its migrations are files, and a revision is a directory",
                args.from.name()
            ),
            "pass a new directory with `--dir DIR`",
        ));
    }
    if !in_place {
        write::check_target(&target, &target_display)?;
    }
    let layout = match args.from {
        ImportTool::Diesel => diesel::read(&args.source, &source_display)?,
        ImportTool::Sqlx => sqlx::read(&args.source, &source_display)?,
        ImportTool::Refinery => refinery::read(&args.source, &source_display)?,
    };
    let plan = Plan::new(args.from, layout, &target_display);
    if !args.dry_run {
        if in_place {
            write::in_place(&plan, &target, &target_display)?;
        } else {
            write::new_directory(&plan, &args.source, &target, &target_display)?;
        }
    }
    print(session, &plan, &source_display, in_place, args.dry_run)
}

/// Whether `a` and `b` are the same directory.
fn same_directory(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn print(
    session: &Session<'_>,
    plan: &Plan,
    source: &str,
    in_place: bool,
    dry_run: bool,
) -> Result<(), CliError> {
    let output = session.output;
    if output.json() {
        return output.print_json(&json!({
            "from": plan.tool.name(),
            "source": source,
            "dir": plan.display,
            "in_place": in_place,
            "dry_run": dry_run,
            "written": !dry_run,
            "head": plan.head(),
            "revisions": plan.revisions.iter().map(|r| json!({
                "id": r.foreign.id,
                "parent": r.parent,
                "dir": r.dir,
                "source": r.foreign.source,
                "renamed_from": r.foreign.renamed_from,
                "run_in_transaction": r.foreign.run_in_transaction,
                "notes": r.foreign.notes,
            })).collect::<Vec<Value>>(),
            "renames": plan.revisions.iter().filter_map(|r| r.foreign.renamed_from.as_ref().map(|from| json!({
                "from": from,
                "to": r.dir_name,
            }))).collect::<Vec<Value>>(),
            "kept_files": plan.kept_files,
        }));
    }
    let count = plan.revisions.len();
    output.print(&format!(
        "{} {count} {} migration{} from {source} {} {}",
        if dry_run { "Would import" } else { "Imported" },
        plan.tool.name(),
        if count == 1 { "" } else { "s" },
        if in_place { "in place in" } else { "into" },
        plan.display
    ))?;
    for revision in &plan.revisions {
        let parent = revision.parent.as_deref().unwrap_or("<base>");
        output.print(&format!("  {parent} -> {}", revision.dir))?;
        if let Some(from) = &revision.foreign.renamed_from {
            output.print(&format!(
                "    renamed from `{from}`: revchain refuses that name"
            ))?;
        }
        for note in &revision.foreign.notes {
            output.print(&format!("    {note}"))?;
        }
    }
    match plan.head() {
        Some(head) => output.print(&format!("  HEAD -> {head}"))?,
        None => output.print("  no migration: an empty history")?,
    }
    if dry_run {
        output.print("dry run: nothing written")
    } else {
        output.print(
            "next: commit it, replace `embed_migrations!` with `embed_revisions!`, and run `revchain check` in CI",
        )
    }
}
