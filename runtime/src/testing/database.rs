//! A fresh database per test: a temporary SQLite file, or a database
//! created on a PostgreSQL or MySQL/MariaDB server, migrated, and dropped
//! when the test ends, even when it panics.
//!
//! Its name is a scratch database's (`revchain_scratch_<pid>_<nanos>_<host>`),
//! so that the one a killed test run left behind is removed by a later
//! `revchain test`, `check --schema` or `revision --autogenerate` on the
//! same server.

use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use diesel::Connection;

use super::stairway::StairwayConnection;
use crate::scratch::{create_sql, drop_sql, maintenance_url, remove_sqlite_file, scratch_name};
use crate::url::{redact_url, scheme, with_database};
use crate::{Dialect, Error, Migrator, Revisions};

/// The variable naming the PostgreSQL server of the tests.
pub const POSTGRES_URL_VARIABLE: &str = "REVCHAIN_TEST_POSTGRES_URL";
/// The variable naming the MySQL/MariaDB server of the tests.
pub const MYSQL_URL_VARIABLE: &str = "REVCHAIN_TEST_MYSQL_URL";
/// The variable naming the server of the tests for either backend, read
/// when the backend's own variable is unset and its scheme matches.
pub const DATABASE_URL_VARIABLE: &str = "REVCHAIN_TEST_DATABASE_URL";

/// A diesel connection a test database can be made for:
/// `SqliteConnection`, `PgConnection`, `MysqlConnection`.
pub trait TestConnection: StairwayConnection + Connection {}

impl<C: StairwayConnection + Connection> TestConnection for C {}

/// Why a test database could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestDatabaseError {
    /// No variable names a server for the connection's backend.
    #[error(
        "no {dialect} server for the tests: `{variable}` is not set\n  = help: set `{variable}` (or `REVCHAIN_TEST_DATABASE_URL`) to a server URL such as `{example}`; each test creates its own database there and drops it"
    )]
    NotConfigured {
        /// The backend.
        dialect: Dialect,
        /// The variable to set.
        variable: &'static str,
        /// An example URL.
        example: &'static str,
    },
    /// The server refused the connection or the `CREATE DATABASE`.
    #[error("cannot create a test database on `{server}`: {message}\n  = help: {help}")]
    Create {
        /// The server, password removed.
        server: String,
        /// The database's or the driver's message.
        message: String,
        /// What to do.
        help: String,
    },
    /// Migrating the new database failed.
    #[error("cannot migrate the test database to `{target}`: {source}")]
    Migrate {
        /// The target.
        target: String,
        /// What failed.
        source: Box<Error>,
    },
}

/// A database made for one test, with a connection to it; dropped (the
/// file removed, or `DROP DATABASE`) when this value is, on panic too.
///
/// SQLite needs nothing; PostgreSQL and MySQL/MariaDB need a server, named
/// by `REVCHAIN_TEST_POSTGRES_URL` or `REVCHAIN_TEST_MYSQL_URL` (else
/// `REVCHAIN_TEST_DATABASE_URL` when its scheme is the backend's), whose
/// user may create databases.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use revchain::testing::TestDatabase;
///
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
///
/// let mut db = TestDatabase::<diesel::SqliteConnection>::migrated(&REVISIONS, "head").unwrap();
/// assert!(revchain::Migrator::new(&REVISIONS).is_at_head(db.conn()).unwrap());
/// let file = db.url().to_owned();
/// drop(db);
/// assert!(!std::path::Path::new(&file).exists());
/// # }
/// ```
pub struct TestDatabase<C: TestConnection> {
    // Fields drop in order: the connection, then the database.
    conn: C,
    _place: Place<C>,
    url: String,
}

/// Where a test database lives; removes it when dropped.
struct Place<C: TestConnection> {
    kind: PlaceKind,
    connection: PhantomData<fn() -> C>,
}

enum PlaceKind {
    File(PathBuf),
    Server {
        maintenance: String,
        shown: String,
        name: String,
    },
}

impl<C: TestConnection> TestDatabase<C> {
    /// An empty database.
    pub fn new() -> Result<Self, TestDatabaseError> {
        let name = unique_name();
        let dialect = C::DIALECT;
        if dialect == Dialect::Sqlite {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            let url = path.display().to_string();
            let place = Place::new(PlaceKind::File(path));
            let conn = C::establish(&url).map_err(|error| TestDatabaseError::Create {
                server: url.clone(),
                message: error.to_string(),
                help: "the system's temporary directory must be writable (`TMPDIR`)".to_owned(),
            })?;
            return Ok(TestDatabase {
                conn,
                _place: place,
                url,
            });
        }
        let server = server_url(dialect)?;
        let maintenance = maintenance_url(dialect, &server);
        let shown = redact_url(&with_database(&server, None));
        let create = |error: String| TestDatabaseError::Create {
            server: shown.clone(),
            message: error,
            help: match dialect {
                Dialect::Postgres => {
                    "the user needs `CREATEDB` and access to the database `postgres`"
                }
                _ => "the user needs the `CREATE` and `DROP` privileges",
            }
            .to_owned(),
        };
        let mut admin = C::establish(&maintenance).map_err(|e| create(e.to_string()))?;
        admin
            .batch_execute(&create_sql(dialect, &name))
            .map_err(|e| create(e.to_string()))?;
        drop(admin);
        let url = with_database(&server, Some(&name));
        // From here on, dropping `place` drops the database.
        let place = Place::new(PlaceKind::Server {
            maintenance,
            shown: shown.clone(),
            name,
        });
        let conn = C::establish(&url).map_err(|e| create(e.to_string()))?;
        Ok(TestDatabase {
            conn,
            _place: place,
            url: redact_url(&url),
        })
    }

    /// A database migrated to `target` (`head`, `base`, an id…) with a
    /// default [`Migrator`].
    pub fn migrated(revisions: &Revisions, target: &str) -> Result<Self, TestDatabaseError> {
        Self::migrated_with(&Migrator::new(revisions), target)
    }

    /// A database migrated to `target` by `migrator`.
    pub fn migrated_with(migrator: &Migrator<'_>, target: &str) -> Result<Self, TestDatabaseError> {
        let mut database = Self::new()?;
        migrator
            .upgrade(database.conn(), target)
            .map_err(|source| TestDatabaseError::Migrate {
                target: target.to_owned(),
                source: Box::new(source),
            })?;
        Ok(database)
    }

    /// The connection to the database.
    pub fn conn(&mut self) -> &mut C {
        &mut self.conn
    }

    /// The database's URL (its password removed) or SQLite file.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl<C: TestConnection> Place<C> {
    fn new(kind: PlaceKind) -> Self {
        Place {
            kind,
            connection: PhantomData,
        }
    }
}

impl<C: TestConnection> Drop for Place<C> {
    /// Removes the file, or drops the database; a failure is a warning on
    /// stderr (a drop cannot fail).
    fn drop(&mut self) {
        let result = match &self.kind {
            PlaceKind::File(path) => remove_sqlite_file(path).map_err(|error| {
                format!(
                    "cannot remove the test database `{}`: {error}",
                    path.display()
                )
            }),
            PlaceKind::Server {
                maintenance,
                shown,
                name,
            } => C::establish(maintenance)
                .map_err(|e| e.to_string())
                .and_then(|mut admin| {
                    admin
                        .batch_execute(&drop_sql(C::DIALECT, name))
                        .map_err(|e| e.to_string())
                })
                .map_err(|e| format!("cannot drop the test database `{name}` on `{shown}`: {e}")),
        };
        if let Err(message) = result {
            eprintln!("warning: {message}");
        }
    }
}

/// The server of the tests for `dialect`, from the environment.
fn server_url(dialect: Dialect) -> Result<String, TestDatabaseError> {
    let (variable, example, schemes): (_, _, &[&str]) = match dialect {
        Dialect::Postgres => (
            POSTGRES_URL_VARIABLE,
            "postgres://postgres@127.0.0.1:5432",
            &["postgres", "postgresql"],
        ),
        _ => (
            MYSQL_URL_VARIABLE,
            "mysql://root@127.0.0.1:3306",
            &["mysql", "mariadb"],
        ),
    };
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if let Some(url) = set(variable) {
        return Ok(url);
    }
    match set(DATABASE_URL_VARIABLE) {
        Some(url) if scheme(&url).is_some_and(|s| schemes.contains(&s)) => Ok(url),
        _ => Err(TestDatabaseError::NotConfigured {
            dialect,
            variable,
            example,
        }),
    }
}

/// A scratch database's name, unique in this process even when two tests
/// start in the same nanosecond.
fn unique_name() -> String {
    static LAST: Mutex<Option<SystemTime>> = Mutex::new(None);
    let mut last = LAST
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut now = SystemTime::now();
    if let Some(previous) = *last
        && now <= previous
    {
        now = previous + Duration::from_nanos(1);
    }
    *last = Some(now);
    // A clock before 1970 cannot name one: the pid alone still does.
    scratch_name(now).unwrap_or_else(|_| format!("revchain_scratch_{}_0", std::process::id()))
}
