//! Where the database URL, the directory and the version table come from.
//!
//! The database URL, first found wins:
//! 1. `--database-url`;
//! 2. `database_url` in the `--config-file`s (a later file wins over an
//!    earlier one);
//! 3. the `DATABASE_URL` environment variable;
//! 4. `DATABASE_URL` in a `.env` file in the current directory (read, never
//!    loaded into the environment);
//! 5. the application's default, for an embedded command.
//!
//! The directory: `--dir`, then `dir` in the config files (relative to the
//! file that names it), then `./migrations`. The models of
//! `--autogenerate` and `check --schema`: `--schema`, then `schema` in the
//! config files (relative to the file that names it), then
//! `src/schema.rs`. The tables the comparison leaves out: `--ignore-tables`,
//! then `ignore_tables` in the config files. The version table:
//! `--version-table`, then `version_table` in the config files, then the
//! application's default, then `revchain_version`.
//! The lock: `--lock`, then `lock` in the config files, then `auto`; its
//! timeout: `--lock-timeout`, then `lock_timeout` in the config files.
//! The table-lock timeout of the DDL and its retries (PostgreSQL):
//! `--ddl-lock-timeout` and `--ddl-retries`, then `ddl_lock_timeout` and
//! `ddl_retries` in the config files. The SQL run on every connection: the
//! application's `Embedded::init_sql`, then `init_sql` of the config files
//! (the last file that sets it), then each `--init-sql`, all of them, in
//! that order.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use std::time::Duration;

use super::args::{GlobalArgs, duration_parser};
use super::error::CliError;
use crate::LockStrategy;

/// One config file. Unknown keys are errors.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    database_url: Option<String>,
    dir: Option<PathBuf>,
    schema: Option<PathBuf>,
    version_table: Option<String>,
    ignore_tables: Option<Vec<String>>,
    lock: Option<String>,
    lock_timeout: Option<String>,
    ddl_lock_timeout: Option<String>,
    ddl_retries: Option<u32>,
    init_sql: Option<Vec<String>>,
}

/// A value and where it came from, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sourced<T> {
    pub(crate) value: T,
    pub(crate) origin: String,
}

/// The settings of one run, config files merged.
#[derive(Clone, Debug, Default)]
pub(crate) struct Settings {
    pub(crate) database_url: Option<Sourced<String>>,
    /// The directory and how to show it in messages.
    pub(crate) dir: Option<(PathBuf, String)>,
    /// diesel's `schema.rs` and how to show it in messages.
    pub(crate) schema: Option<(PathBuf, String)>,
    pub(crate) version_table: Option<String>,
    /// `ignore_tables` of the config files (`--ignore-tables` wins).
    pub(crate) ignore_tables: Vec<String>,
    /// `--lock`, else `lock` of the config files.
    pub(crate) lock: Option<LockStrategy>,
    /// `--lock-timeout`, else `lock_timeout` of the config files.
    pub(crate) lock_timeout: Option<Duration>,
    /// `--ddl-lock-timeout`, else `ddl_lock_timeout` of the config files.
    pub(crate) ddl_lock_timeout: Option<Duration>,
    /// `--ddl-retries`, else `ddl_retries` of the config files.
    pub(crate) ddl_retries: Option<u32>,
    /// `init_sql` of the config files (the last file that sets it), then
    /// `--init-sql`: run on every connection, after the application's.
    pub(crate) init_sql: Vec<String>,
}

impl Settings {
    /// Reads the config files named in `global`, in order.
    pub(crate) fn read(global: &GlobalArgs) -> Result<Self, CliError> {
        let mut settings = Settings::default();
        for path in &global.config_files {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::io(format!("cannot read the config file `{shown}`"), e))?;
            let file = config_file(&text, &shown)?;
            if let Some(url) = file.database_url {
                settings.database_url = Some(Sourced {
                    value: url,
                    origin: format!("`database_url` in `{shown}`"),
                });
            }
            if let Some(dir) = file.dir {
                let dir = beside(path, &dir);
                let display = display_dir(&dir);
                settings.dir = Some((dir, display));
            }
            if let Some(schema) = file.schema {
                let schema = beside(path, &schema);
                let display = display_dir(&schema);
                settings.schema = Some((schema, display));
            }
            if let Some(table) = file.version_table {
                settings.version_table = Some(table);
            }
            if let Some(tables) = file.ignore_tables {
                settings.ignore_tables = tables;
            }
            if let Some(lock) = file.lock {
                // The value is not quoted: a password may have been put
                // under the wrong key.
                settings.lock =
                    Some(lock.parse().map_err(|_: crate::ParseLockStrategyError| {
                        CliError::message(
                            format!(
                                "invalid `lock` in the config file `{shown}`: not a lock strategy"
                            ),
                            "set `lock` to `auto`, `advisory`, `table` or `none`",
                        )
                    })?);
            }
            if let Some(timeout) = file.lock_timeout {
                settings.lock_timeout = Some(config_duration(&shown, "lock_timeout", &timeout)?);
            }
            if let Some(timeout) = file.ddl_lock_timeout {
                settings.ddl_lock_timeout =
                    Some(config_duration(&shown, "ddl_lock_timeout", &timeout)?);
            }
            if let Some(retries) = file.ddl_retries {
                settings.ddl_retries = Some(retries);
            }
            if let Some(statements) = file.init_sql {
                settings.init_sql = statements;
            }
        }
        if let Some(url) = &global.database_url {
            settings.database_url = Some(Sourced {
                value: url.clone(),
                origin: "`--database-url`".to_owned(),
            });
        }
        if let Some(table) = &global.version_table {
            settings.version_table = Some(table.clone());
        }
        settings.lock = global.lock.or(settings.lock);
        settings.lock_timeout = global.lock_timeout.or(settings.lock_timeout);
        settings.ddl_lock_timeout = global.ddl_lock_timeout.or(settings.ddl_lock_timeout);
        settings.ddl_retries = global.ddl_retries.or(settings.ddl_retries);
        settings.init_sql.extend(global.init_sql.iter().cloned());
        Ok(settings)
    }

    /// The database URL, following the order in the module documentation.
    pub(crate) fn database_url(&self, default: Option<&str>) -> Result<Sourced<String>, CliError> {
        self.find_database_url(default)?.ok_or_else(|| {
            CliError::message(
                "no database URL given",
                "pass `--database-url URL`, set `database_url` in a `--config-file`, or set `DATABASE_URL` in the environment or in `.env`",
            )
        })
    }

    /// The database URL, if anything gives one.
    pub(crate) fn find_database_url(
        &self,
        default: Option<&str>,
    ) -> Result<Option<Sourced<String>>, CliError> {
        if let Some(url) = &self.database_url {
            return Ok(Some(url.clone()));
        }
        if let Some(url) = std::env::var_os("DATABASE_URL").filter(|v| !v.is_empty()) {
            return match url.into_string() {
                Ok(value) => Ok(Some(Sourced {
                    value,
                    origin: "the `DATABASE_URL` environment variable".to_owned(),
                })),
                Err(_) => Err(CliError::bare(
                    "the `DATABASE_URL` environment variable is not valid UTF-8",
                )),
            };
        }
        if let Some(url) = dotenv_database_url()? {
            return Ok(Some(Sourced {
                value: url,
                origin: "`DATABASE_URL` in `.env`".to_owned(),
            }));
        }
        Ok(default.map(|url| Sourced {
            value: url.to_owned(),
            origin: "the application's default".to_owned(),
        }))
    }
}

/// Reads a config file's text (`shown` names it in messages).
fn config_file(text: &str, shown: &str) -> Result<ConfigFile, CliError> {
    toml::from_str(text).map_err(|e| {
        // Where and what, never the line itself: it may hold a password (an
        // unquoted `database_url = postgres://…`).
        CliError::message(
            format!(
                "invalid config file `{shown}`: {}{}",
                e.span()
                    .map_or_else(String::new, |span| position(text, span.start)),
                unquoted(e.message().trim_end()).replace('\n', "\n  ")
            ),
            "the keys are `database_url`, `dir`, `schema`, `version_table`, `ignore_tables`, `lock`, `lock_timeout`, `ddl_lock_timeout`, `ddl_retries` and `init_sql`",
        )
    })
}

/// What a config file and a `.env` file read to, as the messages a user
/// would see, for the fuzz target of the redaction promise (`runtime/fuzz`):
/// the config file's `database_url` shown redacted, or its error; `.env`'s
/// `DATABASE_URL` shown redacted, or its error.
#[cfg(fuzzing)]
pub(crate) fn rendered(text: &str) -> [String; 2] {
    let shown = |url: Option<String>| {
        url.map(|url| crate::database_url::redact_url(&url))
            .unwrap_or_default()
    };
    let config = match config_file(text, "fuzz.toml") {
        Ok(file) => shown(file.database_url),
        Err(error) => error.to_string(),
    };
    let dotenv = match dotenv_text(text) {
        Ok(url) => shown(url),
        Err(error) => error.to_string(),
    };
    [config, dotenv]
}

/// serde's and toml's message without the value or key it quotes
/// (`invalid type: string "…", expected u32`, ``unknown field `…` ``): a
/// config file's content is never shown, since a password may have been
/// put under the wrong key, or written as a key. The position says where
/// it is, and the message lists the keys there are.
fn unquoted(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((found, expected)) = rest.split_once(", expected")
        {
            let kind = found.split([' ', '`', '"']).next().unwrap_or(found);
            return format!("{prefix}{kind}, expected{expected}");
        }
    }
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((_, expected)) = rest.split_once("`, ")
    {
        return format!("unknown key, {expected}");
    }
    message.to_owned()
}

/// A duration under `key` in the config file `shown`, such as `"30s"`.
fn config_duration(shown: &str, key: &str, value: &str) -> Result<Duration, CliError> {
    duration_parser(value).map_err(|_| {
        CliError::message(
            format!("invalid `{key}` in the config file `{shown}`: not a duration"),
            format!("set `{key}` to a duration such as \"30s\" or \"5m\""),
        )
    })
}

/// `DATABASE_URL` from `./.env`, without touching the environment.
fn dotenv_database_url() -> Result<Option<String>, CliError> {
    let path = Path::new(".env");
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::io("cannot read `.env`".to_owned(), e))?;
    dotenv_text(&text)
}

/// `DATABASE_URL` from the text of a `.env` file.
fn dotenv_text(text: &str) -> Result<Option<String>, CliError> {
    let mut found = None;
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        let (key, value) = item.map_err(|e| dotenv_error(&e, text))?;
        if key == "DATABASE_URL" && !value.is_empty() {
            found = Some(value);
        }
    }
    Ok(found)
}

fn dotenv_error(error: &dotenvy::Error, text: &str) -> CliError {
    // dotenvy's own message quotes the line, which may hold a password:
    // say where it is instead.
    let what = match error {
        dotenvy::Error::LineParse(line, index) => format!(
            "{}a line that does not parse",
            text.find(line.as_str()).map_or_else(String::new, |start| {
                // The entry's first line: an unterminated quote is found at
                // the end of the file, but the entry starts here.
                let first = line.find('\n').unwrap_or(line.len());
                position(text, start + (*index).min(first))
            })
        ),
        // An I/O error's message holds no content of the file.
        dotenvy::Error::Io(error) => error.to_string(),
        // `VarError::NotUnicode` quotes the variable's value: said without it.
        dotenvy::Error::EnvVar(_) => "a variable it names is not set or not valid UTF-8".to_owned(),
        _ => "it does not parse".to_owned(),
    };
    CliError::message(
        format!("cannot read `.env`: {what}"),
        "fix `.env`, or give the database URL with `--database-url`",
    )
}

/// `line L, column C: ` of a byte offset in `text`, or nothing when the
/// offset is not a position in it.
fn position(text: &str, offset: usize) -> String {
    let Some(before) = text.get(..offset) else {
        return String::new();
    };
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    format!("line {line}, column {column}: ")
}

/// `file` as named in the config file `config`: an absolute path as it is, a
/// relative one from the directory that holds `config`. A config file named
/// without a directory (`revchain.toml`) is in the current directory, where
/// `file` is too.
fn beside(config: &Path, file: &Path) -> PathBuf {
    // `with_file_name` replaces the last component of `config`, the name of
    // the file that was just read, and keeps an absolute `file` whole.
    config.with_file_name(file)
}

/// A directory as shown in messages: as given, without a trailing `/` and
/// without a leading `./`.
pub(crate) fn display_dir(dir: &Path) -> String {
    let text = dir.to_string_lossy();
    let text = text.strip_prefix("./").unwrap_or(&text);
    let trimmed = text.trim_end_matches(['/', '\\']);
    if trimmed.is_empty() {
        if text.is_empty() {
            ".".to_owned()
        } else {
            text.to_owned()
        }
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_lose_the_values_they_quote() {
        assert_eq!(
            unquoted("invalid type: string \"s3cret\", expected u32"),
            "invalid type: string, expected u32"
        );
        assert_eq!(
            unquoted("invalid type: integer `5`, expected a string"),
            "invalid type: integer, expected a string"
        );
        assert_eq!(
            unquoted("unknown field `u:s3cret@h`, expected one of `dir`, `lock`"),
            "unknown key, expected one of `dir`, `lock`"
        );
        assert_eq!(
            unquoted("unknown field `databse_url`, expected `dir`"),
            "unknown key, expected `dir`"
        );
        assert_eq!(unquoted("duplicate key"), "duplicate key");
    }

    #[test]
    fn directories_are_shown_as_given() {
        assert_eq!(display_dir(Path::new("./migrations/")), "migrations");
        assert_eq!(display_dir(Path::new("db/migrations")), "db/migrations");
        assert_eq!(display_dir(Path::new("/")), "/");
        assert_eq!(display_dir(Path::new("")), ".");
    }

    #[test]
    fn paths_in_a_config_file_are_relative_to_its_directory() {
        let beside = |config: &str, file: &str| beside(Path::new(config), Path::new(file));
        assert_eq!(
            beside("revchain.toml", "migrations"),
            Path::new("migrations")
        );
        assert_eq!(beside("./revchain.toml", "db/m"), Path::new("./db/m"));
        assert_eq!(
            beside("conf/revchain.toml", "../migrations"),
            Path::new("conf/../migrations")
        );
        assert_eq!(beside("conf/revchain.toml", "/srv/m"), Path::new("/srv/m"));
    }
}
