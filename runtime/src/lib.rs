//! Migrations for diesel as one linear chain of revisions.
//!
//! Every revision directory names its parent, and [`embed_revisions!`]
//! refuses, at compile time, a history that is not one straight line. A
//! [`Migrator`] then applies the embedded chain through any diesel
//! connection (see [`MigrationConnection`]) on SQLite (feature `sqlite`, the
//! default, bundled), PostgreSQL (`postgres_backend`, or `postgres` with
//! diesel's `PgConnection`) or MySQL/MariaDB (`mysql_backend`, or `mysql`):
//! each revision exactly once, under a lock, with its bookkeeping in the
//! same transaction. With the feature `tracing`, each operation is a span
//! and each revision an event.
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use diesel::Connection;
//!
//! static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
//!
//! let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
//! revchain::Migrator::new(&REVISIONS).upgrade(&mut conn, "head").unwrap();
//! # }
//! ```
//!
//! See the README for the directory format and the rules.

mod backend;
mod bookkeeping;
pub mod build;
mod classify;
#[cfg(all(
    feature = "cli",
    any(feature = "sqlite", feature = "postgres", feature = "mysql")
))]
pub mod cli;
#[cfg(all(
    feature = "cli",
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql"))
))]
compile_error!(
    "the `cli` feature of `revchain` needs a backend: enable `sqlite`, `postgres` or `mysql`"
);
#[cfg(any(feature = "cli", feature = "testing"))]
mod database_url;
mod diesel_source;
mod error;
mod migrator;
mod report;
mod revisions;
#[cfg(feature = "testing")]
mod scratch;
mod target;
#[cfg(feature = "testing")]
pub mod testing;
mod trace;
mod version_table;

pub use backend::MigrationConnection;
pub use bookkeeping::{quote_identifier, quote_literal};
pub use error::{
    ConnectionLost, DdlLockTimeout, Direction, DriftReason, Drifted, Error, RevisionFailed,
    TargetError,
};
pub use migrator::{
    DEFAULT_VERSION_TABLE, Lease, LockHolder, LockState, LockStatus, LockStrategy, Migrator,
    ParseLockStrategyError, Released, SyncPlan, SyncRevert,
};
pub use report::{Progress, Report, Status, Step};
pub use revchain_internals::sql::Dialect;
pub use revchain_internals::{Checksum, chain_digest, revision_checksum};
pub use revisions::{Revision, Revisions};
pub use target::{MIN_PREFIX_LEN, Target};
pub use version_table::{MAX_TABLE_NAME_BYTES, VersionTable};

/// Embeds a migrations directory as a [`Revisions`] chain, refusing to compile
/// unless it is one linear chain.
///
/// The path is relative to the calling crate's `Cargo.toml`; with no argument
/// it is `"migrations"`.
///
/// ```
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
/// assert_eq!(REVISIONS.iter().next().and_then(|r| r.parent()), None);
///
/// // A `const`, as diesel's documentation declares `embed_migrations!`,
/// // works too, and shares the one copy of the chain; a borrow of it
/// // lives as long as the program.
/// const ALSO: revchain::Revisions = revchain::embed_revisions!("../migrations");
/// assert_eq!(ALSO.head().map(|r| r.id()), REVISIONS.head().map(|r| r.id()));
/// let migrator = revchain::Migrator::new(&ALSO);
/// let head: &'static revchain::Revision = ALSO.head().unwrap();
/// assert_eq!(migrator.revisions().head().map(|r| r.id()), Some(head.id()));
/// ```
///
/// A fork, a missing parent, a second root, a cycle, a duplicate id, a stale
/// `HEAD` file, a malformed `metadata.toml`, a missing `up.sql` or a stray
/// file is a compile error that names the files and says what to change;
/// every defect is reported in one build.
pub use revchain_macros::embed_revisions;

/// Makes a function a test that gets its own database, migrated (feature
/// `testing`): the diesel answer to `#[sqlx::test]`.
///
/// The function takes one argument, `&mut` a diesel connection; its type
/// chooses the backend. `SqliteConnection` gets a temporary file;
/// `PgConnection` and `MysqlConnection` a database created on the server
/// named by `REVCHAIN_TEST_POSTGRES_URL` or `REVCHAIN_TEST_MYSQL_URL` (or
/// `REVCHAIN_TEST_DATABASE_URL`, when its scheme is the backend's). When
/// the variable is unset the test is skipped with a notice, unless `CI` is
/// set: then it fails. The database is migrated to `to` (default `"head"`)
/// with the chain `revisions` (default: `REVISIONS`, the static in scope),
/// and dropped when the test ends, even if it panics. The function returns
/// `()` or `Result<(), E>`. A misuse (an unknown argument, a function that
/// is `async`, generic or does not take one `&mut` connection) is a compile
/// error, every one reported in the same build.
///
/// ```
/// # #[cfg(feature = "sqlite")] mod m {
/// use diesel::connection::SimpleConnection;
///
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
///
/// #[revchain::test]
/// fn users_have_names(conn: &mut diesel::SqliteConnection) {
///     conn.batch_execute("INSERT INTO users (id, name, email, created_at) VALUES (1, 'ada', 'ada@example.com', '2026-01-01')")
///         .unwrap();
/// }
///
/// #[revchain::test(revisions = REVISIONS, to = "base")]
/// fn starts_empty(conn: &mut diesel::SqliteConnection) -> Result<(), revchain::Error> {
///     assert_eq!(revchain::Migrator::new(&REVISIONS).current(conn)?, None);
///     Ok(())
/// }
/// # }
/// ```
#[cfg(feature = "testing")]
pub use revchain_macros::test;

/// Upgrades the database to the embedded head: the one call an application
/// makes at startup. Equivalent to `Migrator::new(revisions).upgrade(conn, "head")`.
pub fn upgrade_to_head<C: MigrationConnection>(
    conn: &mut C,
    revisions: &Revisions,
) -> Result<Report, Error> {
    Migrator::new(revisions).upgrade(conn, "head")
}

/// What `embed_revisions!` expands to. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::revisions::{EmbeddedChain, Revisions, Source};
    /// What `#[revchain::test]` expands to.
    #[cfg(feature = "testing")]
    pub use crate::testing::__run as run_test;
}
