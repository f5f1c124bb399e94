//! The `revchain` command line, written once and used twice: by the
//! `revchain` binary, over a migrations directory (`--dir`), and by an
//! application's own binary, over its embedded chain, as a `db` subcommand.
//! Requires the cargo feature `cli`.
//!
//! The commands and their output follow Alembic's (and OpenStack's
//! `tacker-db-manage`): `upgrade`, `downgrade`, `stamp`, `current`,
//! `history`, `heads`, `show`, `check` (and `verify`), plus `revision` in the
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
//! - **Exit status**: 0 on success, 1 on failure, 2 on bad usage.
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
mod commands;
pub(crate) mod connection;
mod error;
mod output;
mod revision;
mod scratch;
mod script;
mod settings;
mod url;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

pub use args::{
    CheckArgs, Cli, Command, CurrentArgs, DbArgs, DbCommand, DialectArg, DowngradeArgs, Format,
    GlobalArgs, HistoryArgs, RevisionArgs, ShowArgs, StampArgs, UpgradeArgs,
};
pub use url::redact_url;

use crate::{Migrator, Revisions};
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
        Ok(cli) => run_cli(cli),
        Err(error) => clap_exit(&error),
    }
}

/// Prints a clap error (or help, or the version) and returns its exit code:
/// 2 for bad usage, 0 for `--help` and `--version`.
pub fn clap_exit(error: &clap::Error) -> ExitCode {
    let _ = error.print();
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
}

/// Runs a parsed standalone command over its migrations directory.
pub fn run_cli(cli: Cli) -> ExitCode {
    let output = Output::new(cli.global.format.unwrap_or_default());
    let result = Settings::read(&cli.global).and_then(|settings| {
        let (path, display) = match (&cli.dir, &settings.dir) {
            (Some(dir), _) => (dir.clone(), settings::display_dir(dir)),
            (None, Some((dir, display))) => (dir.clone(), display.clone()),
            (None, None) => (PathBuf::from("migrations"), "migrations".to_owned()),
        };
        let mut session = Session {
            output: &output,
            global: &cli.global,
            settings,
            source: Source::Dir { path, display },
            default_url: None,
            default_version_table: None,
            connection: None,
        };
        match &cli.command {
            Command::Revision(args) => revision::revision(&mut session, args),
            Command::Db(command) => commands::run(&mut session, command),
        }
    });
    finish(&output, result)
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
    default_database_url: Option<String>,
    default_version_table: Option<String>,
}

impl Embedded {
    /// The commands over `revisions`, usually `embed_revisions!`'s.
    pub fn new(revisions: &'static Revisions) -> Self {
        Embedded {
            revisions,
            default_database_url: None,
            default_version_table: None,
        }
    }

    /// The database URL when neither the options, the config files,
    /// `DATABASE_URL` nor `.env` give one.
    pub fn default_database_url(mut self, url: impl Into<String>) -> Self {
        self.default_database_url = Some(url.into());
        self
    }

    /// The version table when neither `--version-table` nor a config file
    /// names one (the application's own `Migrator::version_table`).
    pub fn default_version_table(mut self, name: impl Into<String>) -> Self {
        self.default_version_table = Some(name.into());
        self
    }

    /// Runs the command and returns the process's exit status.
    pub fn run(&self, args: DbArgs) -> ExitCode {
        let output = Output::new(args.global.format.unwrap_or_default());
        let result = Settings::read(&args.global).and_then(|settings| {
            let mut session = Session {
                output: &output,
                global: &args.global,
                settings,
                source: Source::Embedded(self.revisions),
                default_url: self.default_database_url.clone(),
                default_version_table: self.default_version_table.clone(),
                connection: None,
            };
            commands::run(&mut session, &args.command)
        });
        finish(&output, result)
    }
}

/// [`Embedded::new(revisions).run(args)`](Embedded::run).
pub fn run(revisions: &'static Revisions, args: DbArgs) -> ExitCode {
    Embedded::new(revisions).run(args)
}

fn finish(output: &Output, result: Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            output.error(&error);
            ExitCode::FAILURE
        }
    }
}

/// Where the chain comes from.
enum Source {
    Embedded(&'static Revisions),
    Dir { path: PathBuf, display: String },
}

/// One run of one command.
pub(crate) struct Session<'a> {
    output: &'a Output,
    global: &'a GlobalArgs,
    settings: Settings,
    source: Source,
    default_url: Option<String>,
    default_version_table: Option<String>,
    connection: Option<(AnyConnection, DatabaseUrl)>,
}

impl Session<'_> {
    /// The chain: embedded, or read from the directory with the
    /// compiler's rules.
    fn revisions(&self) -> Result<&'static Revisions, CliError> {
        match &self.source {
            Source::Embedded(revisions) => Ok(revisions),
            Source::Dir { path, display } => {
                Revisions::load(path, display).map_err(|defects| {
                    if defects.contains(revchain_internals::DefectKind::DirectoryNotFound)
                        && defects.len() == 1
                        && !path.exists()
                    {
                        CliError::message(
                            format!("the migrations directory `{display}` does not exist"),
                            "pass `--dir DIR`, set `dir` in a config file, or create the first revision with `revchain revision -m MESSAGE`",
                        )
                    } else {
                        CliError::Defects(defects)
                    }
                })
            }
        }
    }

    /// A migrator with the configured version table.
    fn migrator(&self, revisions: &'static Revisions) -> Migrator<'static> {
        let table = self
            .settings
            .version_table
            .clone()
            .or_else(|| self.default_version_table.clone());
        let migrator = Migrator::new(revisions);
        match table {
            Some(table) => migrator.version_table(table),
            None => migrator,
        }
    }

    /// The database URL, parsed; its password is hidden from all output
    /// from now on.
    fn database_url(&self) -> Result<DatabaseUrl, CliError> {
        let url = self.settings.database_url(self.default_url.as_deref())?;
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
            .find_database_url(self.default_url.as_deref())?
        {
            Some(_) => self.database_url().map(Some),
            None => Ok(None),
        }
    }

    /// The connection, opened on first use.
    fn connection(&mut self) -> Result<&mut AnyConnection, CliError> {
        if self.connection.is_none() {
            let url = self.database_url()?;
            let connection = AnyConnection::establish(&url)?;
            self.connection = Some((connection, url));
        }
        match &mut self.connection {
            Some((connection, _)) => Ok(connection),
            None => Err(CliError::bare("no connection")),
        }
    }

    /// The URL of the open connection, as shown.
    fn shown_url(&self) -> String {
        self.connection
            .as_ref()
            .map(|(_, url)| url.shown.clone())
            .unwrap_or_default()
    }
}
