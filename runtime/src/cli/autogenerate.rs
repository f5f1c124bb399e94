//! `revision --autogenerate` and `check --schema`: diesel's `schema.rs`
//! against the database at head.
//!
//! The database at head is a scratch database, never the user's own (see
//! [`super::scratch`]): it is upgraded to head, introspected, and removed
//! afterwards, on error too.

use std::path::{Path, PathBuf};

use revchain_schema::{Diff, Schema, compare, introspect, parse_str};

use super::connection::with_connection;
use super::error::CliError;
use super::scratch::Scratch;
use super::settings::display_dir;
use super::{Session, Source};
use crate::{Dialect, Revisions};

/// The chain of a migrations directory that does not exist yet.
static EMPTY: Revisions = Revisions::empty();

/// The default models, relative to the current directory.
const DEFAULT_SCHEMA: &str = "src/schema.rs";

/// The models against the database at head.
pub(crate) struct Comparison {
    /// What turns the database at head into the models.
    pub(crate) diff: Diff,
    /// The dialect to write SQL in: `--dialect`, else the URL's.
    pub(crate) dialect: Dialect,
    /// The models' file, as shown.
    pub(crate) schema: String,
    /// The head the scratch database was upgraded to.
    pub(crate) head: Option<String>,
}

/// Reads the models: `explicit`, else `schema` of the config files, else
/// `src/schema.rs`; and says which file, as shown.
pub(crate) fn read_models(
    session: &Session<'_>,
    explicit: Option<&Path>,
) -> Result<(Schema, String), CliError> {
    let (path, shown) = match (explicit, &session.settings.schema) {
        (Some(path), _) => (path.to_path_buf(), display_dir(path)),
        (None, Some((path, shown))) => (path.clone(), shown.clone()),
        (None, None) => (PathBuf::from(DEFAULT_SCHEMA), DEFAULT_SCHEMA.to_owned()),
    };
    let source = std::fs::read_to_string(&path).map_err(|error| {
        CliError::message(
            format!("cannot read the models `{shown}`: {error}"),
            "pass diesel's `schema.rs` with `--schema FILE`, or set `schema` in a config file",
        )
    })?;
    let models = parse_str(&source, &shown).map_err(CliError::Models)?;
    Ok((models, shown))
}

/// The tables left out of a comparison: `--ignore-tables`, which wins over
/// `ignore_tables` of the config files.
pub(crate) fn ignored_tables(session: &Session<'_>, explicit: &[String]) -> Vec<String> {
    let tables = if explicit.is_empty() {
        &session.settings.ignore_tables
    } else {
        explicit
    };
    tables
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads the models (`explicit`, else `schema` of the config files, else
/// `src/schema.rs`), upgrades a scratch database to head, and compares.
pub(crate) fn compare_with_head(
    session: &mut Session<'_>,
    explicit: Option<&Path>,
    ignore_tables: &[String],
) -> Result<Comparison, CliError> {
    let (models, shown) = read_models(session, explicit)?;

    let revisions = match &session.source {
        Source::Dir { path, .. } if revchain_internals::is_absent(path) => &EMPTY,
        _ => &session.revisions()?,
    };
    let url = session.find_database_url()?;
    // Without a URL, the scratch database is a SQLite file.
    let dialect = session.dialect()?.unwrap_or(Dialect::Sqlite);
    // The scratch database is this process's own: nothing else holds its
    // tables, and SQLite refuses the DDL lock options.
    let migrator = session
        .migrator(revisions)?
        .ddl_lock_timeout(None)
        .ddl_retries(0);
    let version_table = migrator.version_table_name().to_owned();

    let database = {
        let init_sql = session.init_sql();
        let scratch = Scratch::create(session.output, url.as_ref(), &init_sql)?;
        let mut conn = scratch.connect(&init_sql)?;
        with_connection!(&mut conn, |c| migrator.upgrade(c, "head")).map_err(|error| {
            CliError::context(
                format!(
                    "cannot upgrade a scratch database to {}",
                    revisions
                        .head()
                        .map_or_else(|| "head".to_owned(), |h| format!("`{}`", h.id()))
                ),
                None,
                error,
            )
        })?;
        let database =
            with_connection!(&mut conn, |c| introspect(c, &version_table)).map_err(|error| {
                CliError::context(
                    format!(
                        "cannot read the schema of the scratch database: {}",
                        error.context
                    ),
                    None,
                    error.source,
                )
            })?;
        drop(conn);
        scratch.remove()?;
        database
    };

    let ignore = ignored_tables(session, ignore_tables);
    let ignore: Vec<&str> = ignore.iter().map(String::as_str).collect();
    Ok(Comparison {
        diff: compare(&models, &database, &ignore),
        dialect,
        schema: shown,
        head: revisions.head().map(|head| head.id().to_owned()),
    })
}
