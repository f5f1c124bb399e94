//! Database URLs: which backend, what to hand to diesel, and how to show one
//! without its password.

use super::error::CliError;
use crate::Dialect;
pub use crate::url::redact_url;
#[cfg(test)]
use crate::url::with_database;
use crate::url::{scheme, userinfo};

/// A parsed database URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DatabaseUrl {
    /// The backend, chosen by the URL's scheme.
    pub(crate) backend: Dialect,
    /// What diesel's `establish` receives.
    pub(crate) connect: String,
    /// The URL as printed: with its password replaced by `***`.
    pub(crate) shown: String,
    /// The password in every form it may appear in a driver's message.
    pub(crate) secrets: Vec<String>,
}

impl DatabaseUrl {
    /// Reads a URL: `sqlite://path`, `sqlite:path`, a plain path or
    /// `:memory:` for SQLite; `postgres://`/`postgresql://`; `mysql://`/
    /// `mariadb://`.
    pub(crate) fn parse(url: &str) -> Result<Self, CliError> {
        let shown = redact_url(url);
        let secrets = secrets(url);
        let make = |backend, connect: String| DatabaseUrl {
            backend,
            connect,
            shown: shown.clone(),
            secrets: secrets.clone(),
        };
        if url.trim().is_empty() {
            return Err(CliError::message(
                "the database URL is empty",
                "pass `--database-url`, or set `database_url` in a config file or `DATABASE_URL`",
            ));
        }
        let Some(scheme) = scheme(url) else {
            // A plain path, `:memory:`, or `sqlite:path`.
            if let Some(path) = url.strip_prefix("sqlite:") {
                return sqlite_path(path, &shown).map(|p| make(Dialect::Sqlite, p));
            }
            return Ok(make(Dialect::Sqlite, url.to_owned()));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                let rest = &url["sqlite://".len()..];
                sqlite_path(rest, &shown).map(|p| make(Dialect::Sqlite, p))
            }
            "file" => Ok(make(Dialect::Sqlite, url.to_owned())),
            "postgres" | "postgresql" => Ok(make(Dialect::Postgres, url.to_owned())),
            "mysql" => Ok(make(Dialect::Mysql, url.to_owned())),
            "mariadb" => Ok(make(
                Dialect::Mysql,
                format!("mysql://{}", &url["mariadb://".len()..]),
            )),
            other => Err(CliError::message(
                format!("unsupported database URL scheme `{other}` in `{shown}`"),
                "use `sqlite://FILE` (or a plain file path), `postgres://…` or `mysql://…` (`mariadb://…`)",
            )),
        }
    }
}

fn sqlite_path(path: &str, shown: &str) -> Result<String, CliError> {
    if path.is_empty() {
        Err(CliError::message(
            format!("the SQLite URL `{shown}` names no file"),
            "write `sqlite://FILE`, a plain file path, or `:memory:`",
        ))
    } else {
        Ok(path.to_owned())
    }
}

/// The password of a URL, raw and percent-decoded, for scrubbing messages.
fn secrets(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some((start, end)) = userinfo(url)
        && let Some((_, password)) = url[start..end].split_once(':')
    {
        found.push(password.to_owned());
    }
    if let Some((_, query)) = url.split_once('?') {
        for parameter in query.split(['&', '#']) {
            if let Some((name, value)) = parameter.split_once('=')
                && name.to_ascii_lowercase().ends_with("password")
            {
                found.push(value.to_owned());
            }
        }
    }
    let decoded: Vec<String> = found.iter().map(|s| percent_decode(s)).collect();
    found.extend(decoded);
    found.retain(|s| !s.is_empty());
    found.sort_by_key(|s| std::cmp::Reverse(s.len()));
    found.dedup();
    found
}

/// Replaces every occurrence of each secret in `text` with `***`.
pub(crate) fn scrub(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_owned();
    for secret in secrets {
        if !secret.is_empty() && text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), "***");
        }
    }
    text
}

/// Decodes `%XX` escapes (invalid UTF-8 becomes U+FFFD).
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn redacts_the_password_of_every_scheme() {
        for (url, shown) in [
            ("postgres://u:pw@h:5432/d", "postgres://u:***@h:5432/d"),
            ("postgresql://u:pw@h/d", "postgresql://u:***@h/d"),
            (
                "mysql://root:pw@127.0.0.1:3306/x",
                "mysql://root:***@127.0.0.1:3306/x",
            ),
            ("mariadb://root:pw@h/x", "mariadb://root:***@h/x"),
            ("postgres://:pw@h/d", "postgres://:***@h/d"),
            ("postgres://u:@h/d", "postgres://u:***@h/d"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }

    #[test]
    fn a_password_with_at_signs_and_slashes_is_redacted_whole() {
        assert_eq!(redact_url("postgres://u:p@ss@h/d"), "postgres://u:***@h/d");
        assert_eq!(
            redact_url("postgres://u:p%40ss%2Fw@h/d"),
            "postgres://u:***@h/d"
        );
    }

    #[test]
    fn leaves_urls_without_a_password_alone() {
        for url in [
            "postgres://u@h/d",
            "postgres://h/d",
            "sqlite://blog.db",
            "sqlite:blog.db",
            "blog.db",
            ":memory:",
            "/var/lib/app/db.sqlite",
            "mysql://h/d?ssl_mode=required",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn redacts_password_query_parameters() {
        assert_eq!(
            redact_url("postgres://u@h/d?sslmode=require&password=pw#x"),
            "postgres://u@h/d?sslmode=require&password=***#x"
        );
        assert_eq!(
            redact_url("postgres://u:a@h/d?sslpassword=b"),
            "postgres://u:***@h/d?sslpassword=***"
        );
    }

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            with_database(
                "postgres://u:p@h:5432/app?sslmode=disable",
                Some("postgres")
            ),
            "postgres://u:p@h:5432/postgres?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h", Some("scratch")),
            "postgres://u@h/scratch"
        );
        assert_eq!(
            with_database("mysql://root:p@h:3306/app", None),
            "mysql://root:p@h:3306"
        );
        assert_eq!(
            with_database("mysql://root@h/app?ssl_mode=required", None),
            "mysql://root@h?ssl_mode=required"
        );
    }

    #[test]
    fn the_at_sign_in_a_path_is_not_userinfo() {
        assert_eq!(redact_url("sqlite://dir/a:b@c.db"), "sqlite://dir/a:b@c.db");
    }

    #[test]
    fn scrubs_raw_and_decoded_passwords_from_messages() {
        let url = DatabaseUrl::parse("postgres://u:p%40ss@h/d").unwrap();
        assert_eq!(url.shown, "postgres://u:***@h/d");
        let message = "password authentication failed: p@ss and p%40ss";
        assert_eq!(
            scrub(message, &url.secrets),
            "password authentication failed: *** and ***"
        );
    }

    #[test]
    fn schemes_choose_the_backend() {
        for (url, backend, connect) in [
            ("sqlite://a/b.db", Dialect::Sqlite, "a/b.db"),
            ("sqlite:b.db", Dialect::Sqlite, "b.db"),
            ("sqlite:///abs/b.db", Dialect::Sqlite, "/abs/b.db"),
            (":memory:", Dialect::Sqlite, ":memory:"),
            ("C:\\data\\b.db", Dialect::Sqlite, "C:\\data\\b.db"),
            ("postgresql://h/d", Dialect::Postgres, "postgresql://h/d"),
            ("mariadb://root@h/d", Dialect::Mysql, "mysql://root@h/d"),
        ] {
            let parsed = DatabaseUrl::parse(url).unwrap();
            assert_eq!(
                (parsed.backend, parsed.connect.as_str()),
                (backend, connect),
                "{url}"
            );
        }
        for url in ["oracle://h/d", "sqlite://", ""] {
            assert!(DatabaseUrl::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn an_unsupported_scheme_is_shown_redacted() {
        let error = DatabaseUrl::parse("oracle://u:topsecret@h/d").unwrap_err();
        assert!(!error.to_string().contains("topsecret"), "{error}");
    }
}
