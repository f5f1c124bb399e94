//! `revision --autogenerate` and `check --schema`: diesel's `schema.rs`
//! against the database at head.
//!
//! The database at head is a scratch database, never the user's own:
//! - no URL, or a SQLite URL: a new SQLite file under the system's
//!   temporary directory;
//! - a PostgreSQL or MySQL/MariaDB URL: a new database
//!   `revchain_scratch_<pid>_<nanos>` on the same server, created through
//!   the maintenance database (`postgres`) or no database at all.
//!
//! It is upgraded to head, introspected, and removed afterwards, on error
//! too (`DROP DATABASE … WITH (FORCE)` on PostgreSQL).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::connection::SimpleConnection;
use revchain_schema::{Diff, compare, introspect, parse_str};

use super::connection::{AnyConnection, with_connection};
use super::error::CliError;
use super::output::Output;
use super::settings::display_dir;
use super::url::{Backend, DatabaseUrl, redact_url, with_database};
use super::{Session, Source};
use crate::{Dialect, Revisions, quote_identifier};

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
    pub(crate) head: Option<&'static str>,
}

/// Reads the models (`explicit`, else `schema` of the config files, else
/// `src/schema.rs`), upgrades a scratch database to head, and compares.
pub(crate) fn compare_with_head(
    session: &mut Session<'_>,
    explicit: Option<&Path>,
    ignore_tables: &[String],
) -> Result<Comparison, CliError> {
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

    let revisions = match &session.source {
        Source::Dir { path, .. } if !path.exists() => &EMPTY,
        _ => session.revisions()?,
    };
    let url = session.find_database_url()?;
    let backend = url.as_ref().map_or(Backend::Sqlite, |url| url.backend);
    let dialect = session
        .global
        .dialect
        .map_or_else(|| backend.dialect(), Dialect::from);
    let migrator = session.migrator(revisions);
    let version_table = migrator.version_table_name().to_owned();

    let database = {
        let scratch = Scratch::create(session.output, url.as_ref())?;
        let mut conn = AnyConnection::establish(&scratch.url)?;
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

    let ignore: Vec<&str> = ignore_tables
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    Ok(Comparison {
        diff: compare(&models, &database, &ignore),
        dialect,
        schema: shown,
        head: revisions.head().map(crate::Revision::id),
    })
}

/// `revchain_scratch_<pid>_<nanos>`.
fn scratch_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!("revchain_scratch_{}_{nanos}", std::process::id())
}

/// A scratch database, removed when dropped (with a warning if that fails)
/// or by [`Scratch::remove`].
struct Scratch<'o> {
    output: &'o Output,
    /// The scratch database's URL.
    url: DatabaseUrl,
    kind: ScratchKind,
    removed: bool,
}

enum ScratchKind {
    /// A SQLite file.
    File(PathBuf),
    /// A database on a server, with the connection that created it.
    Server {
        name: String,
        dialect: Dialect,
        /// The server, as shown.
        server: String,
        maintenance: AnyConnection,
    },
}

impl<'o> Scratch<'o> {
    fn create(output: &'o Output, url: Option<&DatabaseUrl>) -> Result<Self, CliError> {
        let name = scratch_name();
        let url = match url {
            Some(url) if url.backend != Backend::Sqlite => url,
            _ => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                let shown = path.display().to_string();
                return Ok(Scratch {
                    output,
                    url: DatabaseUrl {
                        backend: Backend::Sqlite,
                        connect: shown.clone(),
                        shown,
                        secrets: Vec::new(),
                    },
                    kind: ScratchKind::File(path),
                    removed: false,
                });
            }
        };
        let dialect = url.backend.dialect();
        let maintenance_url = match url.backend {
            Backend::Postgres => with_database(&url.connect, Some("postgres")),
            _ => with_database(&url.connect, None),
        };
        let server = redact_url(&with_database(&url.connect, None));
        let help = || {
            Some(format!(
                "revchain compares the models with a scratch database it creates on the server of the database URL and drops afterwards: {}",
                match url.backend {
                    Backend::Postgres =>
                        "the user needs `CREATEDB` and access to the database `postgres`",
                    _ => "the user needs the `CREATE` and `DROP` privileges",
                }
            ))
        };
        let mut maintenance = AnyConnection::establish(&DatabaseUrl {
            backend: url.backend,
            shown: redact_url(&maintenance_url),
            connect: maintenance_url,
            secrets: url.secrets.clone(),
        })
        .map_err(|error| {
            CliError::context(
                format!("cannot create a scratch database on `{server}`"),
                help(),
                error,
            )
        })?;
        let sql = format!("CREATE DATABASE {}", quote_identifier(dialect, &name));
        with_connection!(&mut maintenance, |c| c.batch_execute(&sql)).map_err(|error| {
            CliError::context(
                format!("cannot create a scratch database `{name}` on `{server}`"),
                help(),
                error,
            )
        })?;
        let scratch_url = with_database(&url.connect, Some(&name));
        Ok(Scratch {
            output,
            url: DatabaseUrl {
                backend: url.backend,
                shown: redact_url(&scratch_url),
                connect: scratch_url,
                secrets: url.secrets.clone(),
            },
            kind: ScratchKind::Server {
                name,
                dialect,
                server,
                maintenance,
            },
            removed: false,
        })
    }

    /// Removes the scratch database, or says why it cannot.
    fn remove(mut self) -> Result<(), CliError> {
        self.removed = true;
        self.drop_database()
    }

    fn drop_database(&mut self) -> Result<(), CliError> {
        match &mut self.kind {
            ScratchKind::File(path) => {
                let mut failure = None;
                for suffix in ["", "-journal", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    match std::fs::remove_file(&file) {
                        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                            failure = Some(error);
                        }
                        _ => {}
                    }
                }
                match failure {
                    None => Ok(()),
                    Some(error) => Err(CliError::io(
                        format!("cannot remove the scratch database `{}`", path.display()),
                        error,
                    )),
                }
            }
            ScratchKind::Server {
                name,
                dialect,
                server,
                maintenance,
            } => {
                let quoted = quote_identifier(*dialect, name);
                let sql = match dialect {
                    Dialect::Postgres => format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"),
                    _ => format!("DROP DATABASE IF EXISTS {quoted}"),
                };
                with_connection!(maintenance, |c| c.batch_execute(&sql)).map_err(|error| {
                    CliError::context(
                        format!("cannot drop the scratch database `{name}` on `{server}`"),
                        Some(format!("drop it by hand: `{sql}`")),
                        error,
                    )
                })
            }
        }
    }
}

impl Drop for Scratch<'_> {
    fn drop(&mut self) {
        if !self.removed
            && let Err(error) = self.drop_database()
        {
            self.output.warn(&error.to_string());
        }
    }
}
