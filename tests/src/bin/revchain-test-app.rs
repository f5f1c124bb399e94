//! An application that embeds the repository's example history and mounts
//! the migration commands as its `db` subcommand, as `examples/blog.rs`
//! does: the embedded twin of `revchain`, for the tests that compare them.
//!
//! `revchain-test-app db <upgrade|downgrade|stamp|current|history|heads|show|check|verify|lock> …`
//!
//! `REVCHAIN_TEST_APP_INIT_SQL`, when set, is the application's
//! `Embedded::init_sql`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "revchain-test-app")]
struct App {
    #[command(subcommand)]
    command: AppCommand,
}

#[derive(Subcommand)]
enum AppCommand {
    /// Migrates the database
    Db(revchain::cli::DbArgs),
}

fn main() -> ExitCode {
    let app = match App::try_parse() {
        Ok(app) => app,
        Err(error) => return revchain::cli::usage_error(&error),
    };
    match app.command {
        AppCommand::Db(args) => revchain::cli::Embedded::new(&revchain_tests::EXAMPLE)
            .init_sql(std::env::var("REVCHAIN_TEST_APP_INIT_SQL").ok())
            .run(args),
    }
}
