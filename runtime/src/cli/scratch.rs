//! The scratch database of `revision --autogenerate` and `check --schema`:
//! created for one comparison, removed afterwards, and, when a run was
//! killed before it could remove its own, removed by a later run.
//!
//! - no URL, or a SQLite URL: a new SQLite file under the system's
//!   temporary directory;
//! - a PostgreSQL or MySQL/MariaDB URL: a new database on the same server,
//!   created through the maintenance database (`postgres`) or no database
//!   at all, and dropped with `DROP DATABASE … WITH (FORCE)` on PostgreSQL.
//!
//! Its name, `revchain_scratch_<pid>_<nanos>_<host>`, says which process
//! created it, when, and on which machine. Before creating its own, a run
//! removes the scratch databases of earlier runs that cannot still be
//! running: created on this machine by a process that no longer exists, or
//! created more than a day ago anywhere. It says so on stderr.

use std::path::PathBuf;
use std::time::SystemTime;

use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;

use super::connection::{AnyConnection, with_connection};
use super::error::CliError;
use super::output::Output;
use crate::database_url::DatabaseUrl;
use crate::scratch::{
    Origin, PREFIX, create_sql, drop_sql, host_tag, is_stale, maintenance_url, parse_name,
    remove_sqlite_file, scratch_name,
};
use crate::{Dialect, quote_literal};

/// One column `name`.
#[derive(diesel::QueryableByName)]
struct NameRow {
    #[diesel(sql_type = Text)]
    name: String,
}

/// A scratch database, removed when dropped (with a warning if that fails)
/// or by [`Scratch::remove`].
pub(crate) struct Scratch<'o> {
    output: &'o Output,
    /// The scratch database's URL.
    pub(crate) url: DatabaseUrl,
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
    /// Removes what killed runs left behind, then creates a scratch database
    /// on the backend of `url` (SQLite without one).
    /// Every connection runs `init_sql` first.
    pub(crate) fn create(
        output: &'o Output,
        url: Option<&DatabaseUrl>,
        init_sql: &[String],
    ) -> Result<Self, CliError> {
        let now = SystemTime::now();
        let name = scratch_name(now).map_err(|error| {
            CliError::context(
                "cannot name a scratch database: the system clock is before 1970",
                Some("set the system clock".to_owned()),
                error,
            )
        })?;
        let url = match url {
            Some(url) if url.backend != Dialect::Sqlite => url,
            _ => {
                let dir = std::env::temp_dir();
                remove_stale_files(output, &dir, now);
                let path = dir.join(format!("{name}.db"));
                return Ok(Scratch {
                    output,
                    url: DatabaseUrl::sqlite(
                        &path.display().to_string(),
                        &path.display().to_string(),
                    ),
                    kind: ScratchKind::File(path),
                    removed: false,
                });
            }
        };
        let dialect = url.backend;
        let maintenance_url = maintenance_url(url)?;
        let server = url.with_database(None)?.shown;
        let help = || {
            Some(format!(
                "revchain compares the models with a scratch database it creates on the server of the database URL and drops afterwards: {}",
                match url.backend {
                    Dialect::Postgres =>
                        "the user needs `CREATEDB` and access to the database `postgres`",
                    _ => "the user needs the `CREATE` and `DROP` privileges",
                }
            ))
        };
        let mut maintenance =
            AnyConnection::establish(&maintenance_url, init_sql).map_err(|error| {
                CliError::context(
                    format!("cannot create a scratch database on `{server}`"),
                    help(),
                    error,
                )
            })?;
        remove_stale_databases(output, &mut maintenance, dialect, &server, now);
        let sql = create_sql(dialect, &name);
        with_connection!(&mut maintenance, |c| c.batch_execute(&sql)).map_err(|error| {
            CliError::context(
                format!("cannot create a scratch database `{name}` on `{server}`"),
                help(),
                error,
            )
        })?;
        let scratch_url = url.with_database(Some(&name))?;
        Ok(Scratch {
            output,
            url: scratch_url,
            kind: ScratchKind::Server {
                name,
                dialect,
                server,
                maintenance,
            },
            removed: false,
        })
    }

    /// A connection to the scratch database, `init_sql` run first. A
    /// scratch SQLite file is this process's alone and removed afterwards,
    /// so its commits do not wait for the disk (`PRAGMA synchronous =
    /// OFF`): a crash loses nothing but the scratch file. Measured on the
    /// bench's 1,000-revision history: see README, "Testing your
    /// migrations".
    pub(crate) fn connect(&self, init_sql: &[String]) -> Result<AnyConnection, CliError> {
        let mut conn = AnyConnection::establish(&self.url, init_sql)?;
        if let ScratchKind::File(_) = self.kind {
            with_connection!(&mut conn, |c| c.batch_execute("PRAGMA synchronous = OFF")).map_err(
                |error| {
                    CliError::context(
                        format!("cannot set up the scratch database `{}`", self.url.shown),
                        None,
                        error,
                    )
                },
            )?;
        }
        Ok(conn)
    }

    /// Removes the scratch database, or says why it cannot.
    pub(crate) fn remove(mut self) -> Result<(), CliError> {
        self.removed = true;
        self.drop_database()
    }

    fn drop_database(&mut self) -> Result<(), CliError> {
        match &mut self.kind {
            ScratchKind::File(path) => remove_file(path),
            ScratchKind::Server {
                name,
                dialect,
                server,
                maintenance,
            } => drop_server_database(maintenance, *dialect, name, server),
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

/// Removes a scratch SQLite file and its journals.
fn remove_file(path: &std::path::Path) -> Result<(), CliError> {
    remove_sqlite_file(path).map_err(|error| {
        CliError::io(
            format!("cannot remove the scratch database `{}`", path.display()),
            error,
        )
    })
}

fn drop_server_database(
    maintenance: &mut AnyConnection,
    dialect: Dialect,
    name: &str,
    server: &str,
) -> Result<(), CliError> {
    let sql = drop_sql(dialect, name);
    with_connection!(maintenance, |c| c.batch_execute(&sql)).map_err(|error| {
        CliError::context(
            format!("cannot drop the scratch database `{name}` on `{server}`"),
            Some(format!("drop it by hand: `{sql}`")),
            error,
        )
    })
}

/// The notice for a scratch database an earlier run left behind; its age
/// only when the clock puts its creation in the past.
fn removed_notice(what: &str, origin: &Origin, now: SystemTime) -> String {
    let age = match now.duration_since(origin.created) {
        Ok(age) => format!(" {} ago", age_text(age.as_secs())),
        Err(_) => String::new(),
    };
    format!(
        "removed the scratch database `{what}` that an interrupted run (process {}) left behind{age}",
        origin.pid,
    )
}

/// An age in the largest unit that is at least 1: `3 h`, `12 min`, `45 s`.
fn age_text(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..172_800 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

/// Removes the scratch files of earlier runs that cannot still be running.
/// Failing to list or remove one is a warning: the comparison does not need
/// it gone.
fn remove_stale_files(output: &Output, dir: &std::path::Path, now: SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let this_host = host_tag();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(stem) = file_name.to_str().and_then(|n| n.strip_suffix(".db")) else {
            continue;
        };
        let Some(origin) = parse_name(stem) else {
            continue;
        };
        if !is_stale(&origin, now, &this_host) {
            continue;
        }
        let path = entry.path();
        match remove_file(&path) {
            Ok(()) => output.warn(&removed_notice(&path.display().to_string(), &origin, now)),
            Err(error) => output.warn(&error.to_string()),
        }
    }
}

/// Drops the scratch databases of earlier runs that cannot still be running,
/// on the server `maintenance` is connected to.
fn remove_stale_databases(
    output: &Output,
    maintenance: &mut AnyConnection,
    dialect: Dialect,
    server: &str,
    now: SystemTime,
) {
    // `_` is a wildcard in `LIKE`: escaped, the prefix matches literally.
    let pattern = quote_literal(dialect, &format!("{}%", PREFIX.replace('_', "\\_")));
    let sql = match dialect {
        Dialect::Postgres => {
            format!("SELECT datname AS name FROM pg_database WHERE datname LIKE {pattern}")
        }
        _ => format!(
            "SELECT CAST(schema_name AS CHAR) AS name FROM information_schema.schemata WHERE schema_name LIKE {pattern}"
        ),
    };
    let names = with_connection!(&mut *maintenance, |c| diesel::RunQueryDsl::load::<NameRow>(
        diesel::sql_query(&sql),
        c
    ));
    let names = match names {
        Ok(rows) => rows,
        Err(error) => {
            output.warn(&format!(
                "cannot list the scratch databases of earlier runs on `{server}`: {}",
                crate::migrator::database_message(&error)
            ));
            return;
        }
    };
    let this_host = host_tag();
    for NameRow { name } in names {
        let Some(origin) = parse_name(&name) else {
            continue;
        };
        if !is_stale(&origin, now, &this_host) {
            continue;
        }
        match drop_server_database(maintenance, dialect, &name, server) {
            Ok(()) => output.warn(&removed_notice(&name, &origin, now)),
            Err(error) => output.warn(&error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_one_unit() {
        assert_eq!(age_text(5), "5 s");
        assert_eq!(age_text(600), "10 min");
        assert_eq!(age_text(7200), "2 h");
        assert_eq!(age_text(3 * 86_400), "3 days");
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn a_scratch_sqlite_file_does_not_wait_for_the_disk() {
        use diesel::QueryableByName;
        use diesel::RunQueryDsl;

        #[derive(QueryableByName)]
        struct Synchronous {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            synchronous: i32,
        }
        let output = Output::new(super::super::args::Format::Text);
        let scratch = Scratch::create(&output, None, &[]).unwrap();
        let mut conn = scratch.connect(&[]).unwrap();
        // The only variant when built with `sqlite` alone.
        #[allow(irrefutable_let_patterns)]
        let AnyConnection::Sqlite(conn) = &mut conn else {
            panic!("a scratch database without a URL is a SQLite file");
        };
        let rows: Vec<Synchronous> = diesel::sql_query("PRAGMA synchronous").load(conn).unwrap();
        // 0 is `OFF`; SQLite's default is 2, `FULL`.
        assert_eq!(rows.iter().map(|r| r.synchronous).collect::<Vec<_>>(), [0]);
        scratch.remove().unwrap();
    }
}
