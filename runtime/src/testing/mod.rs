//! Testing migrations (feature `testing`): the stairway, a fresh database
//! per test, and data migrations tested at their revision.
//!
//! - [`stairway`] / [`Stairway`]: for each revision in order, upgrade it,
//!   downgrade it and upgrade it again; the schema after the downgrade must
//!   equal the schema before the upgrade (compared by introspection:
//!   tables, columns, types, nullability, keys, and indexes where
//!   introspected; per revision, the tables its SQL names in full and the
//!   others by name). Then the models against head, if given, and the
//!   downgrade from head to base. Every failure is reported, with its
//!   revision, file, statement and the database's message, or the schema
//!   difference. `revchain test` runs the same code.
//! - [`TestDatabase`] and `#[revchain::test]`: a database created for one
//!   test, migrated, and dropped when the test ends, even if it panics.
//! - [`DataMigration`]: the database at the parent of a revision, seeded by
//!   the test, the revision applied, the result checked by the test; and
//!   the reverse for its `down.sql`.
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use revchain::testing::{TestDatabase, stairway};
//!
//! static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
//!
//! let mut db = TestDatabase::<diesel::SqliteConnection>::new().unwrap();
//! let report = stairway(&REVISIONS, db.conn()).unwrap();
//! assert!(report.is_ok(), "{report}");
//! # }
//! ```

mod data;
mod database;
mod report;
mod snapshot;
mod stairway;

pub use data::DataMigration;
pub use database::{
    DATABASE_URL_VARIABLE, MYSQL_URL_VARIABLE, POSTGRES_URL_VARIABLE, TestConnection, TestDatabase,
    TestDatabaseError,
};
pub use report::{Check, Failure, RevisionOutcome, Skipped, StairwayReport, StairwayTime};
pub use stairway::{Stairway, StairwayConnection, StairwayError, stairway};

/// The models and the introspection the stairway compares with, from
/// `revchain-schema`.
pub use revchain_schema::{Introspect, IntrospectError, Schema, parse_file};

/// Creates the database of a `#[revchain::test]`, migrated to `target`,
/// runs `test` with its connection, and drops the database afterwards,
/// even when `test` panics. Without a server for the backend, the test is
/// skipped with a notice, unless `CI` is set: then it fails. What the
/// attribute expands to; not public API.
#[doc(hidden)]
pub fn __run<C: TestConnection, T>(
    revisions: &crate::Revisions,
    target: &str,
    test: impl FnOnce(&mut C) -> T,
) -> Option<T> {
    match TestDatabase::<C>::migrated(revisions, target) {
        Ok(mut database) => Some(test(database.conn())),
        Err(error @ TestDatabaseError::NotConfigured { .. })
            if std::env::var_os("CI").is_none() =>
        {
            eprintln!("note: skipping this test: {error}");
            None
        }
        #[allow(clippy::panic)] // A test fails by panicking.
        Err(error) => panic!("{error}"),
    }
}
