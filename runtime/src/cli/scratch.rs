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
//! created more than [`STALE_AFTER`] ago anywhere. It says so on stderr.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;

use super::connection::{AnyConnection, with_connection};
use super::error::CliError;
use super::output::Output;
use super::url::DatabaseUrl;
use crate::{Dialect, quote_identifier, quote_literal};

/// The start of every scratch database's name.
const PREFIX: &str = "revchain_scratch_";

/// The age after which a scratch database is removed even if its process
/// may be alive on another machine: no comparison runs this long.
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// What a scratch database's name says about the run that created it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    pid: u32,
    created: SystemTime,
    /// The machine's tag; `None` in names written before it was added.
    host: Option<String>,
}

/// `revchain_scratch_<pid>_<nanos>_<host>`: unique per run, and short
/// enough for PostgreSQL's and MySQL's 63- and 64-byte names. A clock
/// before 1970 cannot name one.
fn scratch_name(now: SystemTime) -> Result<String, CliError> {
    let nanos = now
        .duration_since(UNIX_EPOCH)
        .map_err(|error| {
            CliError::context(
                "cannot name a scratch database: the system clock is before 1970",
                Some("set the system clock".to_owned()),
                error,
            )
        })?
        .as_nanos();
    Ok(format!(
        "{PREFIX}{}_{nanos}_{}",
        std::process::id(),
        host_tag()
    ))
}

/// Reads a name [`scratch_name`] wrote (or an older
/// `revchain_scratch_<pid>_<nanos>`, without the machine's tag); `None` for
/// any other name.
fn parse_name(name: &str) -> Option<Origin> {
    let mut parts = name.strip_prefix(PREFIX)?.split('_');
    let pid = parts.next()?.parse().ok()?;
    let nanos: u64 = parts.next()?.parse().ok()?;
    let host = parts.next().map(str::to_owned);
    if parts.next().is_some()
        || host
            .as_deref()
            .is_some_and(|h| h.is_empty() || !h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return None;
    }
    Some(Origin {
        pid,
        created: UNIX_EPOCH + Duration::from_nanos(nanos),
        host,
    })
}

/// Eight hex digits naming this machine: a hash of its machine id and host
/// name, so that a run can tell its own machine's processes from others'.
fn host_tag() -> String {
    let mut seed = String::new();
    for file in ["/etc/machine-id", "/proc/sys/kernel/hostname"] {
        if let Ok(text) = std::fs::read_to_string(file) {
            seed.push_str(text.trim());
        }
        seed.push('\n');
    }
    // FNV-1a: stable across builds and platforms, unlike `DefaultHasher`.
    let hash = seed.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    format!("{hash:08x}")
}

/// Whether a process with this id exists on this machine, where that can be
/// told (`/proc`); elsewhere it is assumed alive.
fn process_exists(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// Whether the run that created a scratch database cannot still be running.
fn is_stale(origin: &Origin, now: SystemTime, this_host: &str) -> bool {
    let old = now
        .duration_since(origin.created)
        .is_ok_and(|age| age > STALE_AFTER);
    let dead_here = origin.host.as_deref() == Some(this_host)
        && origin.pid != std::process::id()
        && !process_exists(origin.pid);
    old || dead_here
}

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
        let name = scratch_name(now)?;
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
        let maintenance_url = match url.backend {
            Dialect::Postgres => url.with_database(Some("postgres"))?,
            _ => url.with_database(None)?,
        };
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
        let sql = format!("CREATE DATABASE {}", quote_identifier(dialect, &name));
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
    let mut failure = None;
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut file = path.to_path_buf().into_os_string();
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

fn drop_server_database(
    maintenance: &mut AnyConnection,
    dialect: Dialect,
    name: &str,
    server: &str,
) -> Result<(), CliError> {
    let quoted = quote_identifier(dialect, name);
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
    fn names_say_who_created_them_and_fit_every_server() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let name = scratch_name(now).unwrap();
        assert!(name.len() <= 63, "{name}");
        let origin = parse_name(&name).unwrap();
        assert_eq!(origin.pid, std::process::id());
        assert_eq!(origin.created, now);
        assert_eq!(origin.host.as_deref(), Some(host_tag().as_str()));
    }

    #[test]
    fn ages_read_in_one_unit() {
        assert_eq!(age_text(5), "5 s");
        assert_eq!(age_text(600), "10 min");
        assert_eq!(age_text(7200), "2 h");
        assert_eq!(age_text(3 * 86_400), "3 days");
    }

    #[test]
    fn other_names_are_not_scratch_databases() {
        for name in [
            "revchain_scratch_",
            "revchain_scratch_12",
            "revchain_scratch_x_1",
            "revchain_scratch_1_2_nothex",
            "revchain_scratch_1_2_ab_extra",
            "app",
        ] {
            assert_eq!(parse_name(name), None, "{name}");
        }
        // Older names, without the machine's tag.
        assert_eq!(
            parse_name("revchain_scratch_12_34").map(|o| o.host),
            Some(None)
        );
    }

    #[test]
    fn stale_when_old_or_when_its_process_is_gone_from_this_machine() {
        let now = SystemTime::now();
        let here = host_tag();
        let origin = |pid, age: u64, host: Option<&str>| Origin {
            pid,
            created: now - Duration::from_secs(age),
            host: host.map(str::to_owned),
        };
        // u32::MAX is above any pid Linux hands out.
        let gone = u32::MAX;
        let alive = std::process::id();
        assert!(is_stale(&origin(alive, 25 * 3600, Some(&here)), now, &here));
        assert!(is_stale(&origin(alive, 25 * 3600, None), now, &here));
        assert!(!is_stale(&origin(alive, 60, Some(&here)), now, &here));
        assert!(!is_stale(&origin(gone, 60, Some("0badcafe")), now, &here));
        assert!(!is_stale(&origin(gone, 60, None), now, &here));
        if std::path::Path::new("/proc/self").exists() {
            assert!(is_stale(&origin(gone, 60, Some(&here)), now, &here));
        }
    }
}
