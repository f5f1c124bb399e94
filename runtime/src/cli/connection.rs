//! A connection to whichever backend the URL names, among those compiled in.

use super::error::{CliError, DriverMessage};
use crate::Dialect;
use crate::database_url::{DatabaseUrl, scrub};

/// A diesel connection of one of the compiled-in backends.
pub(crate) enum AnyConnection {
    #[cfg(feature = "sqlite")]
    Sqlite(diesel::SqliteConnection),
    #[cfg(feature = "postgres")]
    Postgres(diesel::PgConnection),
    #[cfg(feature = "mysql")]
    Mysql(diesel::MysqlConnection),
}

/// Runs `$body` with `$conn` bound to the concrete connection inside an
/// [`AnyConnection`], so that each generic runtime call is written once.
macro_rules! with_connection {
    ($any:expr, |$conn:ident| $body:expr) => {
        match $any {
            #[cfg(feature = "sqlite")]
            $crate::cli::connection::AnyConnection::Sqlite($conn) => $body,
            #[cfg(feature = "postgres")]
            $crate::cli::connection::AnyConnection::Postgres($conn) => $body,
            #[cfg(feature = "mysql")]
            $crate::cli::connection::AnyConnection::Mysql($conn) => $body,
        }
    };
}
pub(crate) use with_connection;

impl AnyConnection {
    /// Connects, or explains which cargo feature the URL needs, then runs
    /// the `init_sql` statements, in order, before anything else (as
    /// Flyway's `initSql`).
    pub(crate) fn establish(url: &DatabaseUrl, init_sql: &[String]) -> Result<Self, CliError> {
        let mut conn = Self::connect(url)?;
        for (n, sql) in init_sql.iter().enumerate() {
            with_connection!(&mut conn, |c| diesel::connection::SimpleConnection::batch_execute(c, sql))
                .map_err(|error| {
                    // The statement itself is not shown: it comes from the
                    // command line or a config file, and may hold a secret.
                    CliError::context(
                        format!(
                            "the `init_sql` statement {} of {} failed on `{}`",
                            n + 1,
                            init_sql.len(),
                            url.shown
                        ),
                        Some("correct it in `--init-sql`, `init_sql` of the config files or the application's `Embedded::init_sql`".to_owned()),
                        error,
                    )
                })?;
        }
        Ok(conn)
    }

    /// Connects, or explains which cargo feature the URL needs.
    fn connect(url: &DatabaseUrl) -> Result<Self, CliError> {
        match url.backend {
            Dialect::Sqlite => {
                #[cfg(feature = "sqlite")]
                {
                    let mut connection: diesel::SqliteConnection = establish(url)?;
                    super::sqlite_file::require_database(&mut connection, &url.shown)?;
                    Ok(AnyConnection::Sqlite(connection))
                }
                #[cfg(not(feature = "sqlite"))]
                {
                    Err(missing_feature(url, "SQLite", "sqlite"))
                }
            }
            Dialect::Postgres => {
                #[cfg(feature = "postgres")]
                {
                    // TCP keepalives unless the URL sets them (see
                    // `keepalive`).
                    let mut with_keepalives = url.clone();
                    with_keepalives.connect =
                        super::keepalive::with_postgres_keepalives(&url.connect)?;
                    establish(&with_keepalives).map(AnyConnection::Postgres)
                }
                #[cfg(not(feature = "postgres"))]
                {
                    Err(missing_feature(url, "PostgreSQL", "postgres"))
                }
            }
            Dialect::Mysql => {
                #[cfg(feature = "mysql")]
                {
                    establish(url).map(AnyConnection::Mysql)
                }
                #[cfg(not(feature = "mysql"))]
                {
                    Err(missing_feature(url, "MySQL and MariaDB", "mysql"))
                }
            }
        }
    }
}

/// Connects; a failure is wrapped with the URL as shown, and the driver's
/// message scrubbed of the password here, the one place it can hold it.
fn establish<C: diesel::Connection>(url: &DatabaseUrl) -> Result<C, CliError> {
    C::establish(&url.connect).map_err(|source| CliError::Connect {
        url: url.shown.clone(),
        source: DriverMessage(scrub(&source.to_string(), &url.secrets)),
    })
}

#[allow(dead_code)]
fn missing_feature(url: &DatabaseUrl, name: &str, feature: &str) -> CliError {
    CliError::message(
        format!(
            "`{}` needs {name} support, which this build of revchain leaves out",
            url.shown
        ),
        format!(
            "rebuild with the cargo feature `{feature}` of `revchain` (for the command: `cargo install revchain --features cli,{feature}`)"
        ),
    )
}
