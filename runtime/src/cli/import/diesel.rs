//! diesel_migrations' layout: a directory `<version>_<name>/` per migration,
//! holding `up.sql`, `down.sql` and `metadata.toml`; the version is the text
//! before the first `_`, and migrations run in the string order of the
//! version with every `-` removed ([`diesel_version`]). diesel names its
//! root `00000000000000_diesel_initial_setup`, which sorts first.
//!
//! diesel reads `metadata.toml` with serde's `#[serde(default)]` on a
//! `bool`: a file that exists without `run_in_transaction` runs its
//! migration outside a transaction, so the import writes that down.

use std::collections::HashMap;
use std::path::Path;

use revchain_internals::{
    DefectKind, diesel_version, read_revision_dir, repair_slug, split_directory_name, validate_id,
};

use super::plan::NO_TRANSACTION;
use super::{Foreign, Layout, Problems, entries, shown, top_level_file};
use crate::cli::error::CliError;

/// Reads the diesel migrations in `dir`, shown as `display`, in diesel's
/// order; refuses, all at once, whatever cannot be imported.
pub(crate) fn read(dir: &Path, display: &str) -> Result<Layout, CliError> {
    let mut problems = Problems::default();
    let mut layout = Layout::default();
    for (name, path, is_dir) in entries(dir, display, &mut problems)? {
        if !is_dir {
            top_level_file(&name, display, &mut layout, &mut problems);
            continue;
        }
        if let Some(foreign) = migration(&name, &path, display, &mut problems)? {
            layout.migrations.push(foreign);
        }
    }
    layout
        .migrations
        .sort_by_cached_key(|foreign| diesel_version(&foreign.id));
    duplicates(&layout.migrations, &mut problems);
    problems.into_result(layout)
}

/// One migration directory.
fn migration(
    name: &str,
    path: &Path,
    display: &str,
    problems: &mut Problems,
) -> Result<Option<Foreign>, CliError> {
    let source = shown(display, name);
    let (id, slug) = name.split_once('_').unwrap_or((name, ""));
    if let Err(reason) = validate_id(id) {
        problems.push(
            DefectKind::InvalidName,
            format!("the version of `{source}` cannot be a revchain id: {reason}"),
            source,
            "rename the directory so that the text before its first `_` is 1 to 50 letters, digits and `-`, and update its row in `__diesel_schema_migrations` in every database",
        );
        return Ok(None);
    }
    let files = match read_revision_dir(path, id, &source) {
        Ok(files) => files,
        Err(defects) => {
            problems.extend(defects);
            return Ok(None);
        }
    };
    if files.parent.is_some() {
        problems.push(
            DefectKind::InvalidMetadataValue,
            format!("`{source}/metadata.toml` already names a `parent`: it is a revchain revision, not a diesel migration"),
            shown(&source, "metadata.toml"),
            "finish the conversion by hand (write `HEAD`), or remove the `parent` lines and import again",
        );
        return Ok(None);
    }
    let metadata_path = path.join("metadata.toml");
    let metadata = if metadata_path.is_file() {
        Some(std::fs::read_to_string(&metadata_path).map_err(|e| {
            CliError::io(
                format!("cannot read `{}`", shown(&source, "metadata.toml")),
                e,
            )
        })?)
    } else {
        None
    };
    let mut foreign = Foreign {
        id: id.to_owned(),
        source: source.clone(),
        dir_name: Some(name.to_owned()),
        up_sql: files.up_sql,
        down_sql: files.down_sql,
        run_in_transaction: files.run_in_transaction.unwrap_or(metadata.is_none()),
        ..Foreign::default()
    };
    if metadata.is_some() && files.run_in_transaction.is_none() {
        foreign.extra_metadata.push(NO_TRANSACTION.to_owned());
        foreign.notes.push(format!(
            "`{NO_TRANSACTION}` added: diesel runs a migration whose `metadata.toml` does not set it outside a transaction"
        ));
    }
    foreign.metadata = metadata;
    if split_directory_name(name).is_ok() {
        foreign.slug = slug.to_owned();
    } else {
        foreign.slug = repair_slug(slug);
        foreign.renamed_from = Some(name.to_owned());
    }
    if foreign.down_sql.is_none() {
        foreign
            .notes
            .push("no `down.sql`: it cannot be reverted".to_owned());
    }
    Ok(Some(foreign))
}

/// Two directories with the same diesel version: diesel runs only one of
/// them, and revchain cannot tell which its table records.
fn duplicates(migrations: &[Foreign], problems: &mut Problems) {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for foreign in migrations {
        let version = diesel_version(&foreign.id);
        if let Some(first) = seen.insert(version.clone(), &foreign.source) {
            problems.push(
                DefectKind::DuplicateId,
                format!(
                    "`{first}` and `{}` have the same diesel version `{version}`: diesel applies only one of them",
                    foreign.source
                ),
                foreign.source.clone(),
                "give one of them a new version (and move its row in `__diesel_schema_migrations`), then import again",
            );
        }
    }
}
