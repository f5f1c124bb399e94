//! A connection to whichever backend the URL names, among those compiled in.

use super::error::{CliError, DriverMessage};
use super::url::{DatabaseUrl, scrub};
use crate::Dialect;

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
    /// Connects, or explains which cargo feature the URL needs.
    pub(crate) fn establish(url: &DatabaseUrl) -> Result<Self, CliError> {
        match url.backend {
            Dialect::Sqlite => {
                #[cfg(feature = "sqlite")]
                {
                    establish(url).map(AnyConnection::Sqlite)
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
