//! The file behind a SQLite connection string, so that the commands that
//! only read (`current`, `history -i`, `verify`, `show`, `lock status`)
//! never create one: SQLite creates a missing file on open, and a typo in
//! the path would otherwise read as a new, empty database at base.
//!
//! What names no file on disk is always open: `:memory:`, an empty name
//! (SQLite's temporary database) and a `file:` URI with `mode=memory` or
//! the filename `:memory:`. A `file:` URI's path is percent-decoded, its
//! `//` authority (empty or `localhost`) dropped.

use std::path::PathBuf;

use super::error::CliError;

/// Where the database of a SQLite connection string lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SqliteFile {
    /// In memory, or a temporary file SQLite makes: nothing to find.
    Memory,
    /// A file on disk.
    Path(PathBuf),
}

impl SqliteFile {
    /// Reads `connect`, what diesel's `establish` receives for SQLite.
    pub(crate) fn of(connect: &str) -> Self {
        let Some(uri) = connect.strip_prefix("file:") else {
            return match connect {
                "" | ":memory:" => SqliteFile::Memory,
                path => SqliteFile::Path(PathBuf::from(path)),
            };
        };
        let end = uri.find(['?', '#']).unwrap_or(uri.len());
        let (path, rest) = uri.split_at(end);
        let query = rest
            .strip_prefix('?')
            .map_or("", |query| query.split('#').next().unwrap_or(""));
        let in_memory = query.split('&').any(|parameter| {
            parameter
                .split_once('=')
                .is_some_and(|(name, value)| name == "mode" && value == "memory")
        });
        // `file://host/path`: SQLite accepts an empty host or `localhost`.
        let path = match path.strip_prefix("//") {
            Some(authority_and_path) => {
                let slash = authority_and_path
                    .find('/')
                    .unwrap_or(authority_and_path.len());
                &authority_and_path[slash..]
            }
            None => path,
        };
        let path = percent_encoding::percent_decode_str(path)
            .decode_utf8_lossy()
            .into_owned();
        if in_memory || path.is_empty() || path == ":memory:" {
            SqliteFile::Memory
        } else {
            SqliteFile::Path(PathBuf::from(path))
        }
    }

    /// Refuses a file that is missing or not a file, for a command that
    /// only reads: `shown` is the URL as printed. An empty file is a valid
    /// empty database, and a file that is not a database is refused by
    /// SQLite on the first read.
    pub(crate) fn require_existing(&self, shown: &str) -> Result<(), CliError> {
        let SqliteFile::Path(path) = self else {
            return Ok(());
        };
        match std::fs::metadata(path) {
            Ok(metadata) if metadata.is_file() => Ok(()),
            Ok(_) => Err(CliError::message(
                format!("the SQLite database `{shown}` is not a file"),
                "check the database URL: it names a directory or a device, not a SQLite file",
            )),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(CliError::message(
                format!("the SQLite database `{shown}` does not exist"),
                "check the path (this command only reads, so it creates nothing); `upgrade head` creates and migrates a new database",
            )),
            Err(error) => Err(CliError::io(
                format!("cannot read the SQLite database `{shown}`"),
                error,
            )),
        }
    }
}

/// Refuses a SQLite file that is not a database, which SQLite opens
/// without a word and refuses on the first read: one read of its header
/// (`PRAGMA schema_version`), so that the error names the file instead of
/// whatever revchain read first. An empty or new file is an empty database.
#[cfg(feature = "sqlite")]
pub(crate) fn require_database(
    connection: &mut diesel::SqliteConnection,
    shown: &str,
) -> Result<(), CliError> {
    use diesel::connection::SimpleConnection;

    match connection.batch_execute("PRAGMA schema_version") {
        Ok(()) => Ok(()),
        Err(error) if error.to_string().contains("file is not a database") => {
            Err(CliError::context(
                format!("the SQLite file `{shown}` is not a database"),
                Some("check the database URL: it names a file SQLite cannot read as a database (or one encrypted, or corrupt)".to_owned()),
                error,
            ))
        }
        Err(error) => Err(CliError::context(
            format!("cannot read the SQLite database `{shown}`"),
            None,
            error,
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn path(text: &str) -> SqliteFile {
        SqliteFile::Path(PathBuf::from(text))
    }

    #[test]
    fn plain_paths_name_files_and_memory_names_none() {
        assert_eq!(SqliteFile::of("blog.db"), path("blog.db"));
        assert_eq!(SqliteFile::of("/tmp/a b.db"), path("/tmp/a b.db"));
        assert_eq!(SqliteFile::of(":memory:"), SqliteFile::Memory);
        assert_eq!(SqliteFile::of(""), SqliteFile::Memory);
    }

    #[test]
    fn file_uris_are_decoded() {
        assert_eq!(SqliteFile::of("file:blog.db"), path("blog.db"));
        assert_eq!(SqliteFile::of("file:blog.db?mode=ro"), path("blog.db"));
        assert_eq!(SqliteFile::of("file:///tmp/a%20b.db"), path("/tmp/a b.db"));
        assert_eq!(
            SqliteFile::of("file://localhost/tmp/x.db#frag"),
            path("/tmp/x.db")
        );
        assert_eq!(SqliteFile::of("file:a%3Fb.db?cache=shared"), path("a?b.db"));
    }

    #[test]
    fn memory_uris_name_no_file() {
        assert_eq!(SqliteFile::of("file::memory:"), SqliteFile::Memory);
        assert_eq!(
            SqliteFile::of("file:shared?mode=memory&cache=shared"),
            SqliteFile::Memory
        );
        assert_eq!(SqliteFile::of("file:"), SqliteFile::Memory);
    }

    #[test]
    fn a_missing_file_is_refused_naming_it() {
        let dir = std::env::temp_dir().join(format!("revchain-missing-{}", std::process::id()));
        let missing = dir.join("typo.db");
        let error = SqliteFile::Path(missing.clone())
            .require_existing("typo.db")
            .unwrap_err()
            .to_string();
        assert!(error.contains("`typo.db` does not exist"), "{error}");
        assert!(error.contains("`upgrade head`"), "{error}");
        assert!(!missing.exists());
        assert!(SqliteFile::Memory.require_existing(":memory:").is_ok());
        let not_a_file = SqliteFile::Path(std::env::temp_dir())
            .require_existing("tmp")
            .unwrap_err()
            .to_string();
        assert!(not_a_file.contains("is not a file"), "{not_a_file}");
    }
}
