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
//! `history`, `heads`, `show`, `check` (and `verify`), `lock status`,
//! `lock release [--force]`, `sync [--dry-run]` and `test` (the stairway
//! of [`crate::testing`], on a scratch database), plus `revision`,
//! `import`, `rebase`, `completions SHELL` and `man` in the standalone
//! binary.
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
//!   stderr, errors included: `{"error": {"message": …, "help": …,
//!   "causes": […]}}`; usage errors (exit 2), `--help` and `--version` too
//!   (see [`usage_error`] for an application's own parser).
//! - **Colour** only when the stream is a terminal and `NO_COLOR` is unset or
//!   empty.
//! - **Exit status**: 0 on success, 1 on failure, 2 on bad usage. Results
//!   that cannot be written are a failure (`error: cannot write to standard
//!   output`, with its cause), except on a closed pipe (`revchain history |
//!   head -1`), which ends the command quietly with 0.
//! - **Passwords** never appear: URLs are read by structure, as their
//!   drivers read them, and shown through [`redact_url`]; a driver's
//!   message is scrubbed of the password where it is wrapped into the
//!   error. Nothing else is rewritten: scripts, history and JSON come
//!   through as they are.
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
//!     // Usage errors, `--help` and `--version` as `revchain` prints them:
//!     // JSON with `--format json`.
//!     let app = match App::try_parse() {
//!         Ok(app) => app,
//!         Err(error) => return revchain::cli::usage_error(&error),
//!     };
//!     match app.command {
//!         AppCommand::Serve => ExitCode::SUCCESS,
//!         AppCommand::Db(args) => revchain::cli::Embedded::new(&REVISIONS)
//!             .default_database_url("app.db")
//!             .run(args),
//!     }
//! }
//! ```

mod args;
mod atomic;
mod autogenerate;
mod check;
mod commands;
pub(crate) mod connection;
mod early;
mod error;
mod git;
mod import;
#[cfg(any(feature = "postgres", test))]
mod keepalive;
mod lock;
mod output;
mod rebase;
mod revision;
mod scratch;
mod script;
mod settings;
mod shell;
mod sqlite_file;
mod sync;
mod test_command;
mod usage;

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use revchain_internals::{DefectKind, Defects};

pub use crate::database_url::redact_url;
pub use args::{
    CheckArgs, Cli, Command, CompletionsArgs, CurrentArgs, DbArgs, DbCommand, DowngradeArgs,
    Format, GlobalArgs, HistoryArgs, ImportArgs, ImportTool, LockCommand, RebaseArgs, ReleaseArgs,
    RevisionArgs, ShowArgs, StampArgs, StepsArgs, SyncArgs, TestArgs, UpgradeArgs,
};
pub use shell::{Shell, write_completions, write_man_page};

/// What the fuzz target of the redaction promise (`runtime/fuzz`) reaches:
/// built only by cargo-fuzz (`--cfg fuzzing`).
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing {
    /// A config file's and a `.env` file's text, read as the command reads
    /// them: each one's database URL as shown, or its error message.
    pub fn rendered_settings(text: &str) -> [String; 2] {
        super::settings::rendered(text)
    }
}

use crate::database_url::DatabaseUrl;
use crate::{Dialect, Migrator, Revisions};
use connection::AnyConnection;
use error::CliError;
use output::Output;
use settings::Settings;

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
    let args: Vec<T> = args.into_iter().collect();
    match Cli::try_parse_from(args.iter().cloned()) {
        // Neither reads settings nor opens a database.
        Ok(Cli {
            command: Command::Completions(args),
            ..
        }) => print_generated(|out| write_completions(args.shell, out)),
        Ok(Cli {
            command: Command::Man,
            ..
        }) => print_generated(write_man_page),
        Ok(cli) => run(
            &cli.global,
            &Defaults::default(),
            |settings| Source::dir(cli.dir.as_deref(), settings),
            |session| match &cli.command {
                Command::Revision(args) => revision::revision(session, args),
                Command::Import(args) => import::import(session, args),
                Command::Rebase(args) => rebase::rebase(session, args),
                Command::Db(command) => commands::run(session, command),
                Command::Completions(_) | Command::Man => Ok(()),
            },
        ),
        Err(error) => usage::exit(&error, usage::requested_format(&args)),
    }
}

/// Prints a clap error of an application that mounts [`DbArgs`], or the
/// help or version it stands for, as the `revchain` binary prints its own,
/// and returns the exit status: 2 for bad usage, else 0. With `--format
/// json` among the process's arguments, it is one JSON document on stdout,
/// like every other outcome of the `db` subcommand. Use it where clap's
/// `parse` would print and exit:
///
/// ```no_run
/// use std::process::ExitCode;
///
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
/// fn main() -> ExitCode {
///     match App::try_parse() {
///         Ok(app) => revchain::cli::Embedded::new(&REVISIONS).run(app.db),
///         Err(error) => revchain::cli::usage_error(&error),
///     }
/// }
/// ```
pub fn usage_error(error: &clap::Error) -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    usage::exit(error, usage::requested_format(&args))
}

/// Writes what `generate` writes (a completion script, the manual page) on
/// stdout, and returns the exit status.
fn print_generated(generate: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> ExitCode {
    let mut stdout = io::stdout().lock();
    finish(
        &Output::new(Format::Text),
        generate(&mut stdout).map_err(CliError::Stdout),
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

    /// SQL to run on every connection the commands open (the database's,
    /// and the scratch databases of `check --schema`), before anything
    /// else, as Flyway's `initSql`: for a history that only applies with,
    /// say, `SET FOREIGN_KEY_CHECKS = 0`. Each statement runs by itself;
    /// the config files' `init_sql` and `--init-sql` run after these.
    ///
    /// ```
    /// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
    ///
    /// let db = revchain::cli::Embedded::new(&REVISIONS)
    ///     .init_sql(["SET FOREIGN_KEY_CHECKS = 0"]);
    /// # let _ = db;
    /// ```
    pub fn init_sql<I, S>(mut self, statements: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.defaults
            .init_sql
            .extend(statements.into_iter().map(Into::into));
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
    init_sql: Vec<String>,
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
                    && revchain_internals::is_absent(path) =>
            {
                CliError::message(
                    format!("the migrations directory `{display}` does not exist"),
                    "pass `--dir DIR`, set `dir` in a config file, or create the first revision with `revchain revision -m MESSAGE`",
                )
            }
            _ => CliError::Defects(defects),
        })
    }

    /// A migrator with the configured version table, whose name is checked
    /// here ([`VersionTable::new`](crate::VersionTable::new), the runtime's
    /// one check), before any connection creates a SQLite file.
    fn migrator<'r>(&self, revisions: &'r Revisions) -> Result<Migrator<'r>, CliError> {
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
        Ok(match table {
            Some(table) => migrator.version_table(crate::VersionTable::new(table)?.name()),
            None => migrator,
        })
    }

    /// The SQL every connection runs first: the application's, then the
    /// settings' (config files, then `--init-sql`).
    fn init_sql(&self) -> Vec<String> {
        let mut statements = self.defaults.init_sql.clone();
        statements.extend(self.settings.init_sql.iter().cloned());
        statements
    }

    /// The database URL, parsed; it is shown by its redacted form only.
    fn database_url(&self) -> Result<DatabaseUrl, CliError> {
        let url = self
            .settings
            .database_url(self.defaults.database_url.as_deref())?;
        DatabaseUrl::parse(&url.value).map_err(|error| CliError::Message {
            message: format!("{} (from {})", error.message, url.origin),
            help: Some(error.help),
        })
    }

    /// The database URL if anything gives one, parsed.
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

    /// The connection of a command that only reads (`current`, `history
    /// -i`, `verify`, `show`, `lock status`), or that has nothing to do on a
    /// database that does not exist (`lock release`), opened on first use: as
    /// [`Self::connection`], except that a SQLite file must exist already
    /// (see [`sqlite_file`]), so that a typo in its path is an error naming
    /// it, not a new empty database at base.
    fn reading_connection(&mut self) -> Result<(&mut AnyConnection, &DatabaseUrl), CliError> {
        if self.connection.is_none() {
            let url = self.database_url()?;
            if url.backend == Dialect::Sqlite {
                sqlite_file::SqliteFile::of(&url.connect).require_existing(&url.shown)?;
            }
        }
        self.connection()
    }

    /// The connection, opened on first use, and its URL.
    fn connection(&mut self) -> Result<(&mut AnyConnection, &DatabaseUrl), CliError> {
        let (connection, url) = match self.connection.take() {
            Some(open) => self.connection.insert(open),
            None => {
                let url = self.database_url()?;
                let connection = AnyConnection::establish(&url, &self.init_sql())?;
                self.connection.insert((connection, url))
            }
        };
        Ok((connection, url))
    }
}
