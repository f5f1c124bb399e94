//! The command line, as clap types: the standalone [`Cli`], and the
//! [`DbArgs`]/[`DbCommand`] an application flattens into its own parser.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Options every command accepts, before or after the command's name.
///
/// They are `global`, so in an application that mounts [`DbArgs`] as
/// `db`, both `app db --database-url X current` and
/// `app db current --database-url X` work.
#[derive(Args, Clone, Debug, Default, PartialEq, Eq)]
pub struct GlobalArgs {
    /// The database: `sqlite://FILE`, `sqlite:FILE`, a file path or
    /// `:memory:`; `postgres://…` or `postgresql://…`; `mysql://…` or
    /// `mariadb://…` [default: `database_url` of the config files, then
    /// `DATABASE_URL` from the environment, then from `.env`]
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// A TOML file with any of `database_url`, `dir` and `version_table`;
    /// repeat it to layer files, later files win
    #[arg(long = "config-file", global = true, value_name = "FILE")]
    pub config_files: Vec<PathBuf>,

    /// The version table; its log table is `<NAME>_log` [default:
    /// `revchain_version`]
    #[arg(long, global = true, value_name = "NAME")]
    pub version_table: Option<String>,

    /// Output for people (`text`) or for scripts (`json`, on stdout, errors
    /// included)
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// The SQL dialect of `--sql` scripts [default: from the database URL's
    /// scheme]
    #[arg(long, global = true, value_enum, value_name = "DIALECT")]
    pub dialect: Option<DialectArg>,
}

/// How results and errors are printed.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// For people: Alembic's lines, colour on a terminal.
    #[default]
    Text,
    /// For scripts: one JSON document on stdout, errors included.
    Json,
}

/// The dialect of an offline `--sql` script.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialectArg {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    #[value(alias = "postgresql")]
    Postgres,
    /// MySQL and MariaDB.
    #[value(alias = "mariadb")]
    Mysql,
}

impl From<DialectArg> for crate::Dialect {
    fn from(dialect: DialectArg) -> Self {
        match dialect {
            DialectArg::Sqlite => crate::Dialect::Sqlite,
            DialectArg::Postgres => crate::Dialect::Postgres,
            DialectArg::Mysql => crate::Dialect::Mysql,
        }
    }
}

/// The migration commands, with the [global options](GlobalArgs): what an
/// application mounts as its `db` subcommand.
///
/// ```
/// use clap::{Parser, Subcommand};
///
/// #[derive(Parser)]
/// struct App {
///     #[command(subcommand)]
///     command: AppCommand,
/// }
///
/// #[derive(Subcommand)]
/// enum AppCommand {
///     /// Starts the application
///     Serve,
///     /// Migrates the database
///     Db(revchain::cli::DbArgs),
/// }
///
/// let app = App::try_parse_from(["app", "db", "upgrade", "--database-url", "app.db"]).unwrap();
/// let AppCommand::Db(db) = app.command else { unreachable!() };
/// assert_eq!(db.global.database_url.as_deref(), Some("app.db"));
/// ```
#[derive(Args, Clone, Debug, PartialEq, Eq)]
pub struct DbArgs {
    /// The global options.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: DbCommand,
}

/// The commands that work on an embedded chain as well as on a directory.
#[derive(Subcommand, Clone, Debug, PartialEq, Eq)]
pub enum DbCommand {
    /// Upgrade the database to a later revision (default: head)
    Upgrade(UpgradeArgs),
    /// Revert the database to an earlier revision
    Downgrade(DowngradeArgs),
    /// Record a revision as the current one without running any SQL
    Stamp(StampArgs),
    /// Show the database's current revision
    Current(CurrentArgs),
    /// List the revisions, newest first
    History(HistoryArgs),
    /// Show the head revision
    Heads,
    /// Show one revision
    Show(ShowArgs),
    /// Check that the revisions form one straight line
    Check,
    /// Check that the database is clean, at a known revision, and that every
    /// applied revision still has the content it was applied with
    Verify,
}

/// `upgrade [TARGET] [--delta N] [--sql] [--single-transaction]`.
#[derive(Args, Clone, Debug, Default, PartialEq, Eq)]
#[command(allow_negative_numbers = true)]
pub struct UpgradeArgs {
    /// `head`, an id or a prefix of at least 4 characters, `+N`, `<id>+N`,
    /// `base+N`; with `--sql`, also a range `FROM:TO`
    #[arg(value_name = "TARGET", conflicts_with = "delta")]
    pub target: Option<String>,
    /// Upgrade by N revisions (the same as the target `+N`)
    #[arg(long, value_name = "N")]
    pub delta: Option<u32>,
    /// Print the SQL script instead of connecting to the database
    #[arg(long)]
    pub sql: bool,
    /// Run every revision in one transaction (PostgreSQL and SQLite)
    #[arg(long)]
    pub single_transaction: bool,
}

/// `downgrade TARGET [--delta N] [--sql] [--single-transaction]`.
#[derive(Args, Clone, Debug, Default, PartialEq, Eq)]
#[command(allow_negative_numbers = true)]
pub struct DowngradeArgs {
    /// `base`, an id or a prefix of at least 4 characters, `-N`, `head-N`;
    /// with `--sql`, a range `FROM:TO`
    #[arg(
        value_name = "TARGET",
        conflicts_with = "delta",
        required_unless_present = "delta"
    )]
    pub target: Option<String>,
    /// Downgrade by N revisions (the same as the target `-N`)
    #[arg(long, value_name = "N")]
    pub delta: Option<u32>,
    /// Print the SQL script instead of connecting to the database
    #[arg(long)]
    pub sql: bool,
    /// Revert every revision in one transaction (PostgreSQL and SQLite)
    #[arg(long)]
    pub single_transaction: bool,
}

/// `stamp TARGET [--purge]`.
#[derive(Args, Clone, Debug, Default, PartialEq, Eq)]
#[command(allow_negative_numbers = true)]
pub struct StampArgs {
    /// The revision to record: `head`, `base`, an id or a prefix, `+N`, `-N`
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// Empty the version table first, whatever it holds
    #[arg(long)]
    pub purge: bool,
}

/// `current [-v]`.
#[derive(Args, Clone, Debug, Default, PartialEq, Eq)]
pub struct CurrentArgs {
    /// Show the revision's parent, path and full message
    #[arg(short, long)]
    pub verbose: bool,
}

/// `history [-r START:END] [-v] [-i]`.
#[derive(Args, Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryArgs {
    /// Only the revisions from START to END, both included: `base`, `head`,
    /// `current`, ids or prefixes, `-N:` (N below END) and `:+N` (N above
    /// START)
    #[arg(
        short = 'r',
        long = "rev-range",
        value_name = "START:END",
        allow_hyphen_values = true
    )]
    pub rev_range: Option<String>,
    /// Show each revision's parent, path and full message
    #[arg(short, long)]
    pub verbose: bool,
    /// Mark the database's current revision (connects to the database)
    #[arg(short = 'i', long)]
    pub indicate_current: bool,
}

/// `show REV`.
#[derive(Args, Clone, Debug, Default, PartialEq, Eq)]
#[command(allow_negative_numbers = true)]
pub struct ShowArgs {
    /// `head`, `current`, an id or a prefix of at least 4 characters,
    /// `head-N`, `base+N`, `<id>+N`, `+N`, `-N`
    #[arg(value_name = "REV")]
    pub rev: String,
}

/// `revision -m MESSAGE [--rev-id ID]`.
#[derive(Args, Clone, Debug, Default, PartialEq, Eq)]
pub struct RevisionArgs {
    /// What the revision does; its first line names the directory
    #[arg(short, long, value_name = "MESSAGE")]
    pub message: String,
    /// The id [default: the UTC time, `YYYY-MM-DD-HHMMSS`]
    #[arg(long, value_name = "ID")]
    pub rev_id: Option<String>,
}

/// The `revchain` command: Alembic's commands over a migrations directory.
///
/// ```
/// use clap::Parser;
///
/// let cli = revchain::cli::Cli::try_parse_from(["revchain", "history", "--dir", "db/migrations"]).unwrap();
/// assert_eq!(cli.dir.as_deref(), Some(std::path::Path::new("db/migrations")));
/// ```
#[derive(Parser, Clone, Debug, PartialEq, Eq)]
#[command(
    name = "revchain",
    version,
    about = "Migrations for diesel as one linear chain of revisions",
    long_about = "Migrations for diesel as one linear chain of revisions.\n\nThe commands and their output follow Alembic's (and tacker-db-manage's). Results go to stdout; the progress of `upgrade`, `downgrade` and `stamp`, warnings and errors go to stderr, except with `--format json`, which prints one JSON document on stdout, errors included. Exit status: 0 on success, 1 on failure, 2 on bad usage."
)]
pub struct Cli {
    /// The global options.
    #[command(flatten)]
    pub global: GlobalArgs,

    /// The migrations directory [default: `dir` of the config files, then
    /// `./migrations`]
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of the standalone `revchain`.
#[derive(Subcommand, Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Create a new revision on top of the head, and point `HEAD` at it
    Revision(RevisionArgs),
    /// The commands an application can embed.
    #[command(flatten)]
    Db(DbCommand),
}
