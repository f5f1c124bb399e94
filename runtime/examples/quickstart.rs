//! Upgrades a SQLite database to the head of the repository's example
//! history, then checks it is at head, as an application does at startup.
//!
//! ```text
//! cargo run -p revchain --example quickstart -- [DATABASE_FILE]
//! ```
//!
//! The default file is `revchain-example.db` in the current directory. Run it
//! twice: the second run has nothing to apply.

use std::process::ExitCode;

use diesel::{Connection, SqliteConnection};
use revchain::{Migrator, Progress, Revisions};

static REVISIONS: Revisions = revchain::embed_revisions!("../migrations");

fn main() -> ExitCode {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "revchain-example.db".to_owned());
    match run(&path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = std::error::Error::source(&*error);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn run(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = SqliteConnection::establish(path)?;
    let migrator = Migrator::new(&REVISIONS);
    println!(
        "{path}: {} revisions embedded, head `{}`",
        REVISIONS.len(),
        REVISIONS.head().map_or("none", |r| r.id())
    );
    let report = migrator.upgrade_with_progress(&mut conn, "head", &mut |event| {
        if let Progress::Finished(step) = event {
            println!(
                "  applied {} ({}) in {:.1?}",
                step.id, step.message, step.duration
            );
        }
    })?;
    if report.steps.is_empty() {
        println!("nothing to apply");
    }
    // What an application checks at startup: one indexed lookup.
    migrator.ensure_at_head(&mut conn)?;
    println!("{}", migrator.status(&mut conn)?);
    Ok(())
}
