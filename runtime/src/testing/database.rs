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
use crate::database_url::{DatabaseUrl, scrub};
use crate::scratch::{create_sql, drop_sql, maintenance_url, remove_sqlite_file, scratch_name};
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
    /// The variable's URL cannot be read.
    #[error("`{variable}` cannot be read as a database URL: {message}")]
    Url {
        /// The variable.
        variable: &'static str,
        /// What is wrong, and what to do.
        message: String,
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
        maintenance: DatabaseUrl,
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
        let (variable, server) = server_url(dialect)?;
        let unreadable = |error: crate::database_url::UrlError| TestDatabaseError::Url {
            variable,
            message: error.to_string(),
        };
        let maintenance = maintenance_url(&server).map_err(unreadable)?;
        let shown = server.with_database(None).map_err(unreadable)?.shown;
        let url = server.with_database(Some(&name)).map_err(unreadable)?;
        // A driver's message may quote the URL: its secrets are scrubbed.
        let create = |error: String| TestDatabaseError::Create {
            server: shown.clone(),
            message: scrub(&error, &server.secrets),
            help: match dialect {
                Dialect::Postgres => {
                    "the user needs `CREATEDB` and access to the database `postgres`"
                }
                _ => "the user needs the `CREATE` and `DROP` privileges",
            }
            .to_owned(),
        };
        let mut admin = C::establish(&maintenance.connect).map_err(|e| create(e.to_string()))?;
        admin
            .batch_execute(&create_sql(dialect, &name))
            .map_err(|e| create(e.to_string()))?;
        drop(admin);
        // From here on, dropping `place` drops the database.
        let place = Place::new(PlaceKind::Server {
            maintenance,
            shown: shown.clone(),
            name,
        });
        let conn = C::establish(&url.connect).map_err(|e| create(e.to_string()))?;
        Ok(TestDatabase {
            conn,
            _place: place,
            url: url.shown,
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
            } => C::establish(&maintenance.connect)
                .map_err(|e| scrub(&e.to_string(), &maintenance.secrets))
                .and_then(|mut admin| {
                    admin
                        .batch_execute(&drop_sql(C::DIALECT, name))
                        .map_err(|e| scrub(&e.to_string(), &maintenance.secrets))
                })
                .map_err(|e| format!("cannot drop the test database `{name}` on `{shown}`: {e}")),
        };
        if let Err(message) = result {
            eprintln!("warning: {message}");
        }
    }
}

/// The server of the tests for `dialect`, from the environment, and the
/// variable that named it.
fn server_url(dialect: Dialect) -> Result<(&'static str, DatabaseUrl), TestDatabaseError> {
    server_from(dialect, |name| {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    })
}

/// [`server_url`] with the variables read by `var`. The URL is read by
/// structure (libpq's rules for PostgreSQL, the `url` crate for MySQL), and
/// shown, in an error too, only with its password removed.
fn server_from(
    dialect: Dialect,
    var: impl Fn(&'static str) -> Option<String>,
) -> Result<(&'static str, DatabaseUrl), TestDatabaseError> {
    let (variable, example) = match dialect {
        Dialect::Postgres => (POSTGRES_URL_VARIABLE, "postgres://postgres@127.0.0.1:5432"),
        _ => (MYSQL_URL_VARIABLE, "mysql://root@127.0.0.1:3306"),
    };
    let read = |name: &'static str| {
        let text = var(name)?;
        Some(
            DatabaseUrl::parse(&text)
                .map(|url| (name, url))
                .map_err(|error| TestDatabaseError::Url {
                    variable: name,
                    message: error.to_string(),
                }),
        )
    };
    if let Some(found) = read(variable) {
        let (name, url) = found?;
        if url.backend != dialect {
            return Err(TestDatabaseError::Url {
                variable: name,
                message: format!(
                    "`{}` is not a {dialect} URL\n  = help: write a URL such as `{example}`",
                    url.shown
                ),
            });
        }
        return Ok((name, url));
    }
    match read(DATABASE_URL_VARIABLE).transpose()? {
        Some((name, url)) if url.backend == dialect => Ok((name, url)),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn only(name: &'static str, value: &'static str) -> impl Fn(&'static str) -> Option<String> {
        move |asked| (asked == name).then(|| value.to_owned())
    }

    #[test]
    fn the_backends_variable_is_read_by_structure() {
        let (variable, url) = server_from(
            Dialect::Postgres,
            only(POSTGRES_URL_VARIABLE, "host=db user=app password='s3 cret'"),
        )
        .unwrap();
        assert_eq!(variable, POSTGRES_URL_VARIABLE);
        assert_eq!(url.shown, "host=db user=app password=***");
        let shown = url
            .with_database(Some("revchain_scratch_1_2_ab"))
            .unwrap()
            .shown;
        assert_eq!(
            shown,
            "host=db user=app password=*** dbname='revchain_scratch_1_2_ab'"
        );
    }

    #[test]
    fn the_shared_variable_serves_only_its_own_backend() {
        let shared = only(DATABASE_URL_VARIABLE, "mysql://root:s3cret@db:3306");
        let (variable, url) = server_from(Dialect::Mysql, &shared).unwrap();
        assert_eq!(variable, DATABASE_URL_VARIABLE);
        assert_eq!(url.shown, "mysql://root:***@db:3306");
        assert!(matches!(
            server_from(Dialect::Postgres, &shared),
            Err(TestDatabaseError::NotConfigured {
                variable: POSTGRES_URL_VARIABLE,
                ..
            })
        ));
    }

    #[test]
    fn a_wrong_url_is_named_by_its_variable_without_its_password() {
        let other = server_from(
            Dialect::Postgres,
            only(POSTGRES_URL_VARIABLE, "mysql://root:s3cret@db:3306"),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(other.contains(POSTGRES_URL_VARIABLE), "{other}");
        assert!(other.contains("mysql://root:***@db:3306"), "{other}");
        assert!(!other.contains("s3cret"), "{other}");
        let unreadable = server_from(
            Dialect::Postgres,
            only(POSTGRES_URL_VARIABLE, "oracle://u:s3cret@db/app"),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(unreadable.contains(POSTGRES_URL_VARIABLE), "{unreadable}");
        assert!(!unreadable.contains("s3cret"), "{unreadable}");
    }
}
