//! An async service on tokio, axum and diesel-async, with its migrations.
//!
//! ```text
//! export DATABASE_URL=postgres://postgres@127.0.0.1:5432/app
//! cargo run -p revchain --features cli,postgres --example async_service -- serve
//! cargo run -p revchain --features cli,postgres --example async_service -- serve --no-migrate
//! cargo run -p revchain --features cli,postgres --example async_service -- db current
//! curl http://127.0.0.1:3000/users/count
//! ```
//!
//! At startup `serve` migrates to the embedded head (unless `--no-migrate`,
//! where something else migrates, such as `async_service db upgrade` in a
//! deployment step), then checks that the database is at head and refuses
//! to serve otherwise. revchain is synchronous, as diesel's migrations are:
//! it runs in `spawn_blocking`, on diesel-async's `AsyncPgConnection` behind
//! its `AsyncConnectionWrapper` (the feature `async-connection-wrapper`),
//! which drives the connection on the service's tokio runtime. The requests
//! are then served with diesel-async's `AsyncPgConnection` itself.
//!
//! The service's own path needs only revchain's `postgres_backend` and
//! links no libpq. The `db` subcommand is revchain's command line
//! (`revchain::cli`), which connects with diesel's `PgConnection` and so
//! needs the feature `postgres`, which links libpq. An application that must
//! not link libpq leaves `cli` out and migrates at startup only.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use clap::{Args, Parser, Subcommand};
use diesel::Connection;
use diesel::sql_types::BigInt;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use revchain::{Migrator, Revisions};
use tokio::sync::Mutex;

static REVISIONS: Revisions = revchain::embed_revisions!("../migrations");

#[derive(Parser)]
#[command(
    name = "async_service",
    about = "An async service on diesel-async, with its migrations"
)]
struct App {
    #[command(subcommand)]
    command: AppCommand,
}

#[derive(Subcommand)]
enum AppCommand {
    /// Migrate to head (unless `--no-migrate`), check, and serve HTTP
    Serve(ServeArgs),
    /// Migrate the database: `upgrade`, `downgrade`, `current`, `history`, …
    Db(revchain::cli::DbArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// The PostgreSQL database [default: `DATABASE_URL`]
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Where to listen
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Only check that the database is at head; something else migrates it
    #[arg(long)]
    no_migrate: bool,
}

fn main() -> ExitCode {
    match App::parse().command {
        // The command line is synchronous: no runtime needed.
        AppCommand::Db(args) => revchain::cli::Embedded::new(&REVISIONS).run(args),
        AppCommand::Serve(args) => {
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(runtime) => runtime,
                Err(error) => {
                    eprintln!("error: cannot start the tokio runtime: {error}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(serve(args)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// Migrates (or checks), then serves until the process is stopped.
async fn serve(args: ServeArgs) -> Result<(), String> {
    let url = args
        .database_url
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .ok_or("no database: pass `--database-url URL` or set `DATABASE_URL`")?;
    let migrate = !args.no_migrate;
    let startup_url = url.clone();
    // revchain blocks: off the async workers, on a blocking thread, where
    // the wrapper drives diesel-async's connection on this runtime.
    let status = tokio::task::spawn_blocking(move || -> Result<revchain::Status, String> {
        type Wrapper = AsyncConnectionWrapper<AsyncPgConnection>;
        let mut conn = <Wrapper as Connection>::establish(&startup_url)
            .map_err(|error| format!("cannot connect to the database: {error}"))?;
        let migrator = Migrator::new(&REVISIONS);
        if migrate {
            let report = migrator
                .upgrade(&mut conn, "head")
                .map_err(|error| error.to_string())?;
            for step in &report.steps {
                println!("applied {} ({:.1?})", step.id, step.duration);
            }
        }
        migrator
            .status(&mut conn)
            .map_err(|error| error.to_string())
    })
    .await
    .map_err(|error| format!("the startup migration did not finish: {error}"))??;
    if !status.is_at_head() {
        // Says where the database is, and what to run.
        return Err(status.to_string());
    }

    let conn = AsyncPgConnection::establish(&url)
        .await
        .map_err(|error| format!("cannot connect to the database: {error}"))?;
    let state = Arc::new(Mutex::new(conn));
    let app = axum::Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/users/count", get(users_count))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", args.listen))?;
    println!("serving on http://{}", args.listen);
    axum::serve(listener, app)
        .await
        .map_err(|error| format!("serving failed: {error}"))
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// `GET /users/count`: a query of the application, on diesel-async.
async fn users_count(
    State(conn): State<Arc<Mutex<AsyncPgConnection>>>,
) -> Result<String, (StatusCode, String)> {
    let mut conn = conn.lock().await;
    let count: Count = diesel::sql_query("SELECT COUNT(*) AS n FROM users")
        .get_result(&mut *conn)
        .await
        .map_err(|error| (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?;
    Ok(count.n.to_string())
}
