//! The runtime against real databases: SQLite always; PostgreSQL and
//! MySQL/MariaDB on the servers named by `REVCHAIN_TEST_POSTGRES_URL` and
//! `REVCHAIN_TEST_MYSQL_URL`, each test in a fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod adoption;
mod adoption_foreign;
mod async_wrapper;
mod concurrency;
mod corrupt;
mod ddl_lock;
mod drift;
mod failure;
mod import;
mod kill;
mod lock_commands;
mod locks;
mod log_columns;
mod lost_connection;
mod migration_source;
mod multi_connection;
mod pooled;
mod pools;
mod read_only;
mod realworld;
mod roundtrip;
mod stairway;
mod stairway_stepper;
mod sync;
mod targets;
mod testing_attr;
mod tracing_events;
mod transactions;
mod version_row;
mod version_table_name;

/// Writes `files` (paths relative to `dir`, with their text) into `dir`: a
/// history made at run time.
pub fn write_files(dir: &std::path::Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// Runs `$body` with `$conn` bound to a fresh connection of each backend.
#[macro_export]
macro_rules! on_every_backend {
    ($sqlite:ident, $pg:ident, $mysql:ident, |$conn:ident| $body:block) => {
        #[test]
        fn $sqlite() {
            let db = revchain_tests::TestSqlite::new();
            let mut $conn = db.conn();
            $body
        }

        #[test]
        fn $pg() {
            let Some(db) = revchain_tests::TestDatabase::postgres() else {
                return;
            };
            let mut $conn = db.pg();
            $body
        }

        #[test]
        fn $mysql() {
            let Some(db) = revchain_tests::TestDatabase::mysql() else {
                return;
            };
            let mut $conn = db.mysql_conn();
            $body
        }
    };
}
