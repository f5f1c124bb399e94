//! Scratch databases, shared by the command line (`revision --autogenerate`,
//! `check --schema`, `test`) and by `revchain::testing` (a fresh database per
//! test): their names, which say which process created them, when and on
//! which machine; when one left behind by a killed run is stale; and the
//! URL of a database on the same server.

#[cfg(feature = "cli")]
use std::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::database_url::{DatabaseUrl, UrlError};
use crate::{Dialect, quote_identifier};

/// The start of every scratch database's name.
pub(crate) const PREFIX: &str = "revchain_scratch_";

#[cfg(feature = "cli")]
/// The age after which a scratch database is removed even if its process
/// may be alive on another machine: no comparison runs this long.
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

#[cfg(feature = "cli")]
/// What a scratch database's name says about the run that created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) pid: u32,
    pub(crate) created: SystemTime,
    /// The machine's tag; `None` in names written before it was added.
    pub(crate) host: Option<String>,
}

/// `revchain_scratch_<pid>_<nanos>_<host>`: unique per run, and short
/// enough for PostgreSQL's and MySQL's 63- and 64-byte names. A clock
/// before 1970 cannot name one.
pub(crate) fn scratch_name(now: SystemTime) -> Result<String, std::time::SystemTimeError> {
    let nanos = now.duration_since(UNIX_EPOCH)?.as_nanos();
    Ok(format!(
        "{PREFIX}{}_{nanos}_{}",
        std::process::id(),
        host_tag()
    ))
}

#[cfg(feature = "cli")]
/// Reads a name [`scratch_name`] wrote (or an older
/// `revchain_scratch_<pid>_<nanos>`, without the machine's tag); `None` for
/// any other name.
pub(crate) fn parse_name(name: &str) -> Option<Origin> {
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
pub(crate) fn host_tag() -> String {
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

#[cfg(feature = "cli")]
/// Whether a process with this id exists on this machine, where that can be
/// told (`/proc`); elsewhere it is assumed alive.
fn process_exists(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

#[cfg(feature = "cli")]
/// Whether the run that created a scratch database cannot still be running.
pub(crate) fn is_stale(origin: &Origin, now: SystemTime, this_host: &str) -> bool {
    let old = now
        .duration_since(origin.created)
        .is_ok_and(|age| age > STALE_AFTER);
    let dead_here = origin.host.as_deref() == Some(this_host)
        && origin.pid != std::process::id()
        && !process_exists(origin.pid);
    old || dead_here
}

/// The URL of the database to create and drop other databases through: the
/// maintenance database `postgres` on PostgreSQL, no database on MySQL.
pub(crate) fn maintenance_url(url: &DatabaseUrl) -> Result<DatabaseUrl, UrlError> {
    match url.backend {
        Dialect::Postgres => url.with_database(Some("postgres")),
        _ => url.with_database(None),
    }
}

/// Removes a SQLite file and its journals; a missing file is no error.
pub(crate) fn remove_sqlite_file(path: &std::path::Path) -> std::io::Result<()> {
    let mut failure = Ok(());
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut file = path.to_path_buf().into_os_string();
        file.push(suffix);
        match std::fs::remove_file(&file) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => failure = Err(error),
            _ => {}
        }
    }
    failure
}

/// `CREATE DATABASE` for `name`, quoted.
pub(crate) fn create_sql(dialect: Dialect, name: &str) -> String {
    format!("CREATE DATABASE {}", quote_identifier(dialect, name))
}

/// `DROP DATABASE IF EXISTS` for `name`, quoted, with `WITH (FORCE)` on
/// PostgreSQL, so that a connection left open does not keep it.
pub(crate) fn drop_sql(dialect: Dialect, name: &str) -> String {
    let quoted = quote_identifier(dialect, name);
    match dialect {
        Dialect::Postgres => format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"),
        _ => format!("DROP DATABASE IF EXISTS {quoted}"),
    }
}

#[cfg(all(test, feature = "cli"))]
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
