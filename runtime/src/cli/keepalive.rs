//! TCP keepalives on the connections the command opens, so that a server
//! that vanished without closing the connection (a dead host, a cut
//! network: no FIN, no RST) is noticed instead of waited on forever.
//!
//! PostgreSQL: libpq's connection parameters, added to the URL's query
//! unless the URL sets them. MySQL and MariaDB: diesel's URL has no such
//! option, and none is needed to turn them on: libmysqlclient and MariaDB
//! Connector/C set `SO_KEEPALIVE` on every TCP connection they open, with
//! the operating system's timing (on Linux `net.ipv4.tcp_keepalive_time`,
//! two hours by default).

use super::error::CliError;
use crate::database_url::libpq;

/// libpq's keepalive parameters and revchain's defaults: the first probe
/// after 60 s of silence, then one every 10 s, and the connection is
/// declared dead after 6 unanswered ones, about two minutes in all.
pub(crate) const POSTGRES_KEEPALIVES: [(&str, &str); 4] = [
    ("keepalives", "1"),
    ("keepalives_idle", "60"),
    ("keepalives_interval", "10"),
    ("keepalives_count", "6"),
];

/// `url` (a `postgres://` URI or a keyword/value string) with each of
/// [`POSTGRES_KEEPALIVES`] that it does not set added to it. The text is
/// read as libpq reads it (see `libpq`: a URI's query has no fragment, and
/// `#` or `?` may be a password's), never searched as text; the rest is kept
/// as it is.
pub(crate) fn with_postgres_keepalives(url: &str) -> Result<String, CliError> {
    let uri = libpq::uri_prefix(url).is_some();
    let settings = if uri {
        libpq::parse_uri(url)?.settings
    } else {
        libpq::parse_keywords(url)?.settings
    };
    let missing: Vec<String> = POSTGRES_KEEPALIVES
        .iter()
        .filter(|(name, _)| !settings.iter().any(|given| given.keyword == *name))
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    if missing.is_empty() {
        return Ok(url.to_owned());
    }
    if !uri {
        return Ok(format!("{} {}", url.trim_end(), missing.join(" ")));
    }
    let separator = match libpq::parse_uri(url)?.has_query {
        false => "?",
        true if url.ends_with(['?', '&']) => "",
        true => "&",
    };
    Ok(format!("{url}{separator}{}", missing.join("&")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    const ALL: &str = "keepalives=1&keepalives_idle=60&keepalives_interval=10&keepalives_count=6";

    fn with_postgres_keepalives(url: &str) -> String {
        super::with_postgres_keepalives(url).unwrap()
    }

    #[test]
    fn keepalives_are_added_to_a_url_without_them() {
        assert_eq!(
            with_postgres_keepalives("postgres://u:p@h:5432/d"),
            format!("postgres://u:p@h:5432/d?{ALL}")
        );
        assert_eq!(
            with_postgres_keepalives("postgres://h/d?sslmode=require"),
            format!("postgres://h/d?sslmode=require&{ALL}")
        );
        assert_eq!(
            with_postgres_keepalives("postgres://h/d?"),
            format!("postgres://h/d?{ALL}")
        );
        // libpq has no fragment: `#` is the database name's, or the
        // password's.
        assert_eq!(
            with_postgres_keepalives("postgres://h/d#x"),
            format!("postgres://h/d#x?{ALL}")
        );
        assert_eq!(
            with_postgres_keepalives("postgres://u:p#?s@h/d"),
            format!("postgres://u:p#?s@h/d?{ALL}")
        );
        assert_eq!(
            with_postgres_keepalives("host=h password='a b' "),
            format!("host=h password='a b' {}", ALL.replace('&', " "))
        );
    }

    #[test]
    fn the_users_own_settings_are_kept() {
        assert_eq!(
            with_postgres_keepalives("postgres://h/d?keepalives=0"),
            "postgres://h/d?keepalives=0&keepalives_idle=60&keepalives_interval=10&keepalives_count=6"
        );
        let all_set = "postgres://h/d?keepalives_idle=5&keepalives=1&keepalives_count=2&keepalives%5Finterval=1";
        assert_eq!(with_postgres_keepalives(all_set), all_set);
    }

    #[test]
    fn a_value_that_looks_like_a_setting_is_not_one() {
        // The password parameter's value holds `keepalives_idle=`: still
        // not set.
        assert_eq!(
            with_postgres_keepalives("postgres://h/d?password=keepalives_idle%3D9"),
            format!("postgres://h/d?password=keepalives_idle%3D9&{ALL}")
        );
    }
}
