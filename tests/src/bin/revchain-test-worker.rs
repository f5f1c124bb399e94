//! A process that upgrades a database, for the tests that run several at
//! once or kill one halfway.
//!
//! `revchain-test-worker <sqlite|postgres|mysql|async-postgres|async-mysql> <url> <history> [target]`
//! (`async-…`: diesel-async's connection behind its `AsyncConnectionWrapper`)
//! prints `starting <id>` before each revision it runs, `waiting <holder>`
//! while another process holds the migration lock, and `applied <n>` at the
//! end; on error it prints the error and exits with 1. The lock strategy is
//! `REVCHAIN_TEST_LOCK` (`auto` when unset).

use std::io::Write;
use std::process::ExitCode;

use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use revchain::{LockStrategy, Migrator, Progress};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, backend, url, history, rest @ ..] = args.as_slice() else {
        eprintln!(
            "usage: revchain-test-worker <sqlite|postgres|mysql|async-postgres|async-mysql> <url> <history> [target]"
        );
        return ExitCode::from(2);
    };
    let Some(revisions) = revchain_tests::fixtures::by_name(history) else {
        eprintln!("unknown history `{history}`");
        return ExitCode::from(2);
    };
    let target = rest.first().map_or("head", String::as_str);
    let strategy = match std::env::var("REVCHAIN_TEST_LOCK") {
        Ok(name) => match name.parse::<LockStrategy>() {
            Ok(strategy) => strategy,
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::from(2);
            }
        },
        Err(_) => LockStrategy::Auto,
    };
    let migrator = Migrator::new(revisions).lock(strategy);
    let mut progress = |event: Progress| {
        match event {
            Progress::Starting { id, .. } => println!("starting {id}"),
            Progress::Waiting { holder, .. } => println!(
                "waiting {}",
                holder.map_or_else(|| "unknown".to_owned(), |h| h.to_string())
            ),
            Progress::Finished(_) | Progress::Retrying { .. } => {}
        }
        let _ = std::io::stdout().flush();
    };
    let result = match backend.as_str() {
        "sqlite" => diesel::SqliteConnection::establish(url)
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                migrator
                    .upgrade_with_progress(&mut c, target, &mut progress)
                    .map_err(|e| e.to_string())
            }),
        "postgres" => diesel::PgConnection::establish(url)
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                migrator
                    .upgrade_with_progress(&mut c, target, &mut progress)
                    .map_err(|e| e.to_string())
            }),
        "mysql" => diesel::MysqlConnection::establish(url)
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                migrator
                    .upgrade_with_progress(&mut c, target, &mut progress)
                    .map_err(|e| e.to_string())
            }),
        // diesel-async's pure-Rust connections, through its wrapper.
        "async-postgres" => {
            AsyncConnectionWrapper::<diesel_async::AsyncPgConnection>::establish(url)
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    migrator
                        .upgrade_with_progress(&mut c, target, &mut progress)
                        .map_err(|e| e.to_string())
                })
        }
        "async-mysql" => {
            AsyncConnectionWrapper::<diesel_async::AsyncMysqlConnection>::establish(url)
                .map_err(|e| e.to_string())
                .and_then(|mut c| {
                    migrator
                        .upgrade_with_progress(&mut c, target, &mut progress)
                        .map_err(|e| e.to_string())
                })
        }
        other => Err(format!("unknown backend `{other}`")),
    };
    match result {
        Ok(report) => {
            println!("applied {}", report.steps.len());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
