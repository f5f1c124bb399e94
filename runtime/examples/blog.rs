//! A blog in one binary: the application and its migrations, deployed
//! together. The example history in `migrations/` (users, posts, tags,
//! post_tags, comments) is embedded at compile time, and the binary carries
//! the migration commands as its `db` subcommand, the same code as the
//! `revchain` command.
//!
//! ```text
//! cargo run -p revchain --features cli --example blog -- db upgrade
//! cargo run -p revchain --features cli --example blog -- serve
//! cargo run -p revchain --features cli --example blog -- db current
//! cargo run -p revchain --features cli --example blog -- db history
//! cargo run -p revchain --features cli --example blog -- db downgrade -1
//! ```
//!
//! The models are in `blog/schema.rs`; CI checks that they match the
//! history (`revchain --dir migrations check --schema
//! runtime/examples/blog/schema.rs`), and `revchain revision -m "…"
//! --autogenerate --schema runtime/examples/blog/schema.rs` writes the
//! revision after an edit.
//!
//! `serve` refuses to start unless the database is at the embedded head: it
//! says which revision the database is at, and to run `blog db upgrade`.
//! Then it publishes a post and prints the front page, as a stand-in for
//! serving requests.
//!
//! The database is the SQLite file `blog.db` in the current directory, or
//! `--database-url` / `DATABASE_URL`. `serve` uses SQLite only; `db` works
//! on every backend compiled in (features `postgres`, `mysql`).

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use diesel::prelude::*;
use revchain::{Migrator, Revisions};

static REVISIONS: Revisions = revchain::embed_revisions!("../migrations");

/// The database when nothing names one.
const DEFAULT_DATABASE: &str = "blog.db";

#[derive(Parser)]
#[command(name = "blog", about = "A blog in one binary, with its migrations")]
struct Blog {
    #[command(subcommand)]
    command: BlogCommand,
}

#[derive(Subcommand)]
enum BlogCommand {
    /// Check that the database is at head, publish a post and print the front page
    Serve(ServeArgs),
    /// Migrate the database: `upgrade`, `downgrade`, `current`, `history`, …
    Db(revchain::cli::DbArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// The SQLite database [default: `DATABASE_URL`, then `blog.db`]
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// The title of the post to publish
    #[arg(long, default_value = "Hello from a single binary")]
    title: String,
}

fn main() -> ExitCode {
    // Usage errors as `revchain` prints them: JSON with `db --format json`.
    let blog = match Blog::try_parse() {
        Ok(blog) => blog,
        Err(error) => return revchain::cli::usage_error(&error),
    };
    match blog.command {
        BlogCommand::Db(args) => revchain::cli::Embedded::new(&REVISIONS)
            .default_database_url(DEFAULT_DATABASE)
            .run(args),
        BlogCommand::Serve(args) => match serve(&args) {
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
        },
    }
}

/// The models, `diesel::table!` as `diesel print-schema` writes them: a
/// file of their own, so that `revchain check --schema` and `revision
/// --autogenerate` can read it.
#[path = "blog/schema.rs"]
mod schema;

type Failure = Box<dyn std::error::Error>;

/// The SQLite file a URL names.
fn sqlite_path(url: &str) -> Result<&str, Failure> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or(url.strip_prefix("sqlite:"))
    {
        return Ok(path);
    }
    if url.contains("://") {
        return Err(format!(
            "`serve` in this example uses SQLite, not `{}`: `blog db …` works on every backend",
            revchain::cli::redact_url(url)
        )
        .into());
    }
    Ok(url)
}

fn serve(args: &ServeArgs) -> Result<(), Failure> {
    let url = args
        .database_url
        .clone()
        .or_else(|| std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
    let mut conn = SqliteConnection::establish(sqlite_path(&url)?)?;

    // The startup check: one lookup of one row.
    let migrator = Migrator::new(&REVISIONS);
    if !migrator.is_at_head(&mut conn)? {
        let status = migrator.status(&mut conn)?;
        let head = REVISIONS.head().map_or("none", |r| r.id());
        if status.known && status.dirty.is_none() && status.digest_matches {
            let current = status
                .current
                .map_or_else(|| "base".to_owned(), |id| format!("`{id}`"));
            return Err(format!(
                "the database is at {current}, not at head `{head}`: run `blog db upgrade`"
            )
            .into());
        }
        return Err(status.to_string().into());
    }

    publish(&mut conn, &args.title)?;
    front_page(&mut conn)
}

/// Publishes a post by Ada, tagged `news`, with a comment.
fn publish(conn: &mut SqliteConnection, title: &str) -> Result<(), Failure> {
    use schema::*;

    conn.transaction(|conn| {
        let ada: Option<i32> = users::table
            .filter(users::name.eq("Ada"))
            .select(users::id)
            .first(conn)
            .optional()?;
        let ada = match ada {
            Some(id) => id,
            None => {
                diesel::insert_into(users::table)
                    .values((
                        users::name.eq("Ada"),
                        users::email.eq("ada@example.invalid"),
                    ))
                    .execute(conn)?;
                last_id(conn)?
            }
        };
        diesel::insert_into(posts::table)
            .values((
                posts::author_id.eq(ada),
                posts::title.eq(title),
                posts::body.eq("Migrated by the same binary that serves it."),
                posts::published.eq(true),
                posts::published_at.eq(diesel::dsl::sql::<
                    diesel::sql_types::Nullable<diesel::sql_types::Timestamp>,
                >("CURRENT_TIMESTAMP")),
            ))
            .execute(conn)?;
        let post = last_id(conn)?;
        let news: Option<i32> = tags::table
            .filter(tags::name.eq("news"))
            .select(tags::id)
            .first(conn)
            .optional()?;
        let news = match news {
            Some(id) => id,
            None => {
                diesel::insert_into(tags::table)
                    .values(tags::name.eq("news"))
                    .execute(conn)?;
                last_id(conn)?
            }
        };
        diesel::insert_into(post_tags::table)
            .values((post_tags::post_id.eq(post), post_tags::tag_id.eq(news)))
            .execute(conn)?;
        diesel::insert_into(comments::table)
            .values((
                comments::post_id.eq(post),
                comments::author_id.eq(ada),
                comments::body.eq("First!"),
            ))
            .execute(conn)?;
        Ok::<_, diesel::result::Error>(())
    })?;
    Ok(())
}

/// The id of the row just inserted.
fn last_id(conn: &mut SqliteConnection) -> QueryResult<i32> {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>(
        "last_insert_rowid()",
    ))
    .get_result(conn)
}

/// The three newest posts, with author, tags and comment count.
fn front_page(conn: &mut SqliteConnection) -> Result<(), Failure> {
    use schema::*;

    let newest: Vec<(i32, String, String)> = posts::table
        .inner_join(users::table)
        .filter(posts::published.eq(true))
        .order(posts::id.desc())
        .limit(3)
        .select((posts::id, posts::title, users::name))
        .load(conn)?;
    let total: i64 = posts::table.count().get_result(conn)?;
    println!("blog: {total} post{}", if total == 1 { "" } else { "s" });
    for (id, title, author) in newest {
        let tags: Vec<String> = post_tags::table
            .inner_join(tags::table)
            .filter(post_tags::post_id.eq(id))
            .select(tags::name)
            .load(conn)?;
        let comments: i64 = comments::table
            .filter(comments::post_id.eq(id))
            .count()
            .get_result(conn)?;
        println!(
            "#{id} {title}, by {author} [{}] ({comments} comment{})",
            tags.join(", "),
            if comments == 1 { "" } else { "s" }
        );
    }
    Ok(())
}
