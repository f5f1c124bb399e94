//! The `revchain` command line, written once and used twice: by the
//! `revchain` binary, over a migrations directory (`--dir`), and by an
//! application's own binary, over its embedded chain, as a `db` subcommand.
//! Requires the cargo feature `cli`.
//!
//! Three entry points: [`main`], the binary's whole `main`; [`main_from`],
//! the same with the arguments given; and [`Embedded`], the `db`
//! subcommand of an application.
//!
//! The commands and their output follow Alembic's (and OpenStack's
//! `tacker-db-manage`): `upgrade`, `downgrade`, `stamp`, `current`,
//! `history`, `heads`, `show`, `check` (and `verify`), `lock status` and
//! `lock release [--force]`, `test` (the stairway of
//! [`crate::testing`], on a scratch database), plus `revision` in the
//! standalone binary.
//!
//! - **Models.** `revision --autogenerate` and `check --schema` compare
//!   diesel's `schema.rs` (`--schema FILE`, `schema` in a config file, or
//!   `src/schema.rs`) with the database at head, through the
//!   `revchain-schema` engine. The database at head is a scratch database
//!   upgraded to head and removed afterwards, on error too: a temporary
//!   SQLite file without a URL or with a SQLite one, else a database
//!   `revchain_scratch_<pid>_<nanos>` created on the URL's server. The
//!   database the URL names is never touched.
//! - **Streams.** Results (`history`, `current`, `heads`, `show`, `check`,
//!   `revision`, `--sql` scripts) go to stdout. The progress of `upgrade`,
//!   `downgrade` and `stamp` is a log, on stderr, as Alembic logs it:
//!   `Running upgrade <base> -> 2026-01-05-090000, create users (1.2 ms)`.
//!   Warnings and errors go to stderr as `warning: …` and `error: …` lines,
//!   each error followed by its causes (`  caused by: …`).
//! - **`--format json`** prints one JSON document on stdout and nothing on
//!   stderr, errors included: `{"error": {"message": …, "causes": […]}}`.
//! - **Colour** only when the stream is a terminal and `NO_COLOR` is unset or
//!   empty.
//! - **Exit status**: 0 on success, 1 on failure, 2 on bad usage. Results
//!   that cannot be written are a failure (`error: cannot write to standard
//!   output`, with its cause), except on a closed pipe (`revchain history |
//!   head -1`), which ends the command quietly with 0.
//! - **Passwords** never appear: URLs are shown through [`redact_url`], and
//!   the password is scrubbed from every line printed, drivers' messages
//!   included.
//! - **Settings**: the database URL is `--database-url`, else
//!   `database_url` from the `--config-file`s (later files win), else
//!   `DATABASE_URL` from the environment, else `DATABASE_URL` from `.env`
//!   in the current directory, else the application's default.
//!
//! # Embedding
//!
//! ```no_run
//! use std::process::ExitCode;
//!
//! use clap::{Parser, Subcommand};
//!
//! static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
//!
//! #[derive(Parser)]
//! struct App {
//!     #[command(subcommand)]
//!     command: AppCommand,
//! }
//!
//! #[derive(Subcommand)]
//! enum AppCommand {
//!     /// Starts the application
//!     Serve,
//!     /// Migrates the database: `app db upgrade`, `app db current`, …
//!     Db(revchain::cli::DbArgs),
//! }
//!
//! fn main() -> ExitCode {
//!     match App::parse().command {
//!         AppCommand::Serve => ExitCode::SUCCESS,
//!         AppCommand::Db(args) => revchain::cli::Embedded::new(&REVISIONS)
//!             .default_database_url("app.db")
//!             .run(args),
//!     }
//! }
//! ```

mod args;
mod autogenerate;
mod check;
mod commands;
pub(crate) mod connection;
mod error;
#[cfg(any(feature = "postgres", test))]
mod keepalive;
mod lock;
mod output;
mod revision;
mod scratch;
mod script;
mod settings;
mod test_command;
mod url;

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use revchain_internals::{DefectKind, Defects};

pub use args::{
    CheckArgs, Cli, Command, CurrentArgs, DbArgs, DbCommand, DowngradeArgs, Format, GlobalArgs,
    HistoryArgs, LockCommand, ReleaseArgs, RevisionArgs, ShowArgs, StampArgs, StepsArgs, TestArgs,
    UpgradeArgs,
};
pub use url::redact_url;

use crate::{Dialect, Migrator, Revisions};
use connection::AnyConnection;
use error::CliError;
use output::Output;
use settings::Settings;
use url::DatabaseUrl;

/// The `revchain` binary: parses the process's arguments and runs the
/// command. Its `main` is one line:
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     revchain::cli::main()
/// }
/// ```
pub fn main() -> ExitCode {
    main_from(std::env::args_os())
}

/// [`main`] with the arguments given (the first is the program name).
///
/// ```
/// use std::process::ExitCode;
///
/// // Usage errors exit with 2.
/// assert_eq!(revchain::cli::main_from(["revchain", "upgrade", "--no-such-flag"]), ExitCode::from(2));
/// ```
pub fn main_from<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => run(
            &cli.global,
            &Defaults::default(),
            |settings| Source::dir(cli.dir.as_deref(), settings),
            |session| match &cli.command {
                Command::Revision(args) => revision::revision(session, args),
                Command::Db(command) => commands::run(session, command),
            },
        ),
        Err(error) => clap_exit(&error),
    }
}

/// Prints a clap error, or the help or version it stands for, and returns
/// its exit status: 2 for bad usage (on stderr, best effort), else that of
/// writing the help or version on stdout.
fn clap_exit(error: &clap::Error) -> ExitCode {
    let printed = error.print();
    if error.use_stderr() {
        return ExitCode::from(2);
    }
    let printed = printed.and_then(|()| io::stdout().flush());
    finish(
        &Output::new(Format::Text),
        printed.map_err(CliError::Stdout),
    )
}

/// Runs the migration commands over an embedded chain: the `db` subcommand
/// of an application. The same code as the `revchain` binary, so both print
/// the same output for the same state.
///
/// ```
/// use clap::Parser;
///
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
///
/// #[derive(Parser)]
/// struct App {
///     #[command(flatten)]
///     db: revchain::cli::DbArgs,
/// }
///
/// let app = App::parse_from(["app", "heads"]);
/// let code = revchain::cli::Embedded::new(&REVISIONS).run(app.db);
/// assert_eq!(code, std::process::ExitCode::SUCCESS);
/// ```
#[derive(Clone, Debug)]
pub struct Embedded {
    revisions: &'static Revisions,
    defaults: Defaults,
}

impl Embedded {
    /// The commands over `revisions`, usually `embed_revisions!`'s.
    pub fn new(revisions: &'static Revisions) -> Self {
        Embedded {
            revisions,
            defaults: Defaults::default(),
        }
    }

    /// The database URL when neither the options, the config files,
    /// `DATABASE_URL` nor `.env` give one.
    pub fn default_database_url(mut self, url: impl Into<String>) -> Self {
        self.defaults.database_url = Some(url.into());
        self
    }

    /// The version table when neither `--version-table` nor a config file
    /// names one (the application's own `Migrator::version_table`).
    pub fn default_version_table(mut self, name: impl Into<String>) -> Self {
        self.defaults.version_table = Some(name.into());
        self
    }

    /// Runs the command and returns the process's exit status.
    pub fn run(&self, args: DbArgs) -> ExitCode {
        run(
            &args.global,
            &self.defaults,
            |_| Source::Embedded(self.revisions),
            |session| commands::run(session, &args.command),
        )
    }
}

/// What an application sets for when nothing else does; nothing for the
/// `revchain` binary.
#[derive(Clone, Debug, Default)]
struct Defaults {
    database_url: Option<String>,
    version_table: Option<String>,
}

/// From parsed arguments to the exit status, for the binary and for an
/// application alike: reads the settings, opens a session over the chain
/// `source` names, runs `command` in it, and prints its error if any.
fn run(
    global: &GlobalArgs,
    defaults: &Defaults,
    source: impl FnOnce(&Settings) -> Source,
    command: impl FnOnce(&mut Session<'_>) -> Result<(), CliError>,
) -> ExitCode {
    let output = Output::new(global.format.unwrap_or_default());
    let result = Settings::read(global).and_then(|settings| {
        let source = source(&settings);
        command(&mut Session::new(
            &output, global, settings, source, defaults,
        ))
    });
    finish(&output, result)
}

/// The exit status of a command: 0 on success, and on a closed stdout
/// (`revchain history | head -1`), which only ends the output early; else
/// its error, printed, and 1.
fn finish(output: &Output, result: Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Stdout(error)) if error.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(error) => {
            output.error(&error);
            ExitCode::FAILURE
        }
    }
}

/// Where the chain comes from.
enum Source {
    Embedded(&'static Revisions),
    /// A migrations directory, read at most once per command.
    Dir {
        path: PathBuf,
        display: String,
        loaded: Option<Revisions>,
    },
}

impl Source {
    /// The directory: `--dir`, else `dir` of the config files, else
    /// `./migrations`.
    fn dir(explicit: Option<&Path>, settings: &Settings) -> Self {
        let (path, display) = match (explicit, &settings.dir) {
            (Some(dir), _) => (dir.to_path_buf(), settings::display_dir(dir)),
            (None, Some((dir, display))) => (dir.clone(), display.clone()),
            (None, None) => (PathBuf::from("migrations"), "migrations".to_owned()),
        };
        Source::Dir {
            path,
            display,
            loaded: None,
        }
    }
}

/// One run of one command.
pub(crate) struct Session<'a> {
    output: &'a Output,
    global: &'a GlobalArgs,
    settings: Settings,
    source: Source,
    defaults: &'a Defaults,
    /// The connection, once opened, and the URL it was opened with.
    connection: Option<(AnyConnection, DatabaseUrl)>,
}

impl<'a> Session<'a> {
    fn new(
        output: &'a Output,
        global: &'a GlobalArgs,
        settings: Settings,
        source: Source,
        defaults: &'a Defaults,
    ) -> Self {
        Session {
            output,
            global,
            settings,
            source,
            defaults,
            connection: None,
        }
    }

    /// The chain, checked: embedded (the compiler checked it), or read from
    /// the directory with the compiler's rules, on first use only. A cheap
    /// clone, so that the session stays free to open its connection.
    fn chain(&mut self) -> Result<Revisions, Defects> {
        match &mut self.source {
            Source::Embedded(revisions) => Ok((*revisions).clone()),
            Source::Dir {
                loaded: Some(revisions),
                ..
            } => Ok(revisions.clone()),
            Source::Dir {
                path,
                display,
                loaded,
            } => Ok(loaded.insert(Revisions::load(path, display)?).clone()),
        }
    }

    /// The chain, as [`Self::chain`], with a missing directory told as such.
    fn revisions(&mut self) -> Result<Revisions, CliError> {
        let chain = self.chain();
        chain.map_err(|defects| match &self.source {
            Source::Dir { path, display, .. }
                if defects.contains(DefectKind::DirectoryNotFound)
                    && defects.len() == 1
                    && !path.exists() =>
            {
                CliError::message(
                    format!("the migrations directory `{display}` does not exist"),
                    "pass `--dir DIR`, set `dir` in a config file, or create the first revision with `revchain revision -m MESSAGE`",
                )
            }
            _ => CliError::Defects(defects),
        })
    }

    /// A migrator with the configured version table.
    fn migrator<'r>(&self, revisions: &'r Revisions) -> Migrator<'r> {
        let table = self
            .settings
            .version_table
            .clone()
            .or_else(|| self.defaults.version_table.clone());
        let migrator = Migrator::new(revisions)
            .lock(self.settings.lock.unwrap_or_default())
            .lock_timeout(self.settings.lock_timeout)
            .ddl_lock_timeout(self.settings.ddl_lock_timeout)
            .ddl_retries(self.settings.ddl_retries.unwrap_or(0));
        match table {
            Some(table) => migrator.version_table(table),
            None => migrator,
        }
    }

    /// The database URL, parsed; its password is hidden from all output
    /// from now on.
    fn database_url(&self) -> Result<DatabaseUrl, CliError> {
        let url = self
            .settings
            .database_url(self.defaults.database_url.as_deref())?;
        // Hide the password before anything can print it.
        let parsed = DatabaseUrl::parse(&url.value);
        if let Ok(parsed) = &parsed {
            self.output.hide(&parsed.secrets);
        }
        parsed.map_err(|error| match error {
            CliError::Message { message, help } => CliError::Message {
                message: format!("{message} (from {})", url.origin),
                help,
            },
            other => other,
        })
    }

    /// The database URL if anything gives one, parsed; its password is
    /// hidden from all output from now on.
    fn find_database_url(&self) -> Result<Option<DatabaseUrl>, CliError> {
        match self
            .settings
            .find_database_url(self.defaults.database_url.as_deref())?
        {
            Some(_) => self.database_url().map(Some),
            None => Ok(None),
        }
    }

    /// The SQL dialect of scripts and autogenerated revisions: `--dialect`,
    /// else the database URL's scheme (the application's default URL
    /// included); `None` when neither gives one. A `--dialect` that
    /// disagrees with a URL the user gave (option, config file,
    /// `DATABASE_URL`, `.env`) is an error: one of the two is a mistake.
    fn dialect(&self) -> Result<Option<Dialect>, CliError> {
        let Some(dialect) = self.global.dialect else {
            return Ok(self.find_database_url()?.map(|url| url.backend));
        };
        if self.settings.find_database_url(None)?.is_some() {
            let url = self.database_url()?;
            if url.backend != dialect {
                return Err(CliError::message(
                    format!(
                        "`--dialect {dialect}` disagrees with the database URL `{}`, which is {}",
                        url.shown, url.backend
                    ),
                    "drop `--dialect` to use the URL's, or give the URL of a database of that dialect",
                ));
            }
        }
        Ok(Some(dialect))
    }

    /// The connection, opened on first use, and its URL.
    fn connection(&mut self) -> Result<(&mut AnyConnection, &DatabaseUrl), CliError> {
        let (connection, url) = match self.connection.take() {
            Some(open) => self.connection.insert(open),
            None => {
                let url = self.database_url()?;
                let connection = AnyConnection::establish(&url)?;
                self.connection.insert((connection, url))
            }
        };
        Ok((connection, url))
    }
}
