//! Database URLs: which backend, what to hand to diesel, and how to show one
//! without its password.
//!
//! Each form is read by structure, the way its driver reads it, and the
//! password is redacted by its position in the text, never by searching
//! for its text:
//! - `postgres://`/`postgresql://` URIs and keyword/value strings
//!   (`host=… password=…`) as libpq reads them (see [`libpq`]);
//! - `mysql://`/`mariadb://` URLs with the `url` crate, the parser diesel's
//!   `MysqlConnection` uses;
//! - SQLite: `sqlite://path`, `sqlite:path`, `file:` URIs, `:memory:` and
//!   plain paths, which hold no password. A text without a scheme that
//!   starts with `WORD=`, or holds white space followed by `WORD=`, is a
//!   PostgreSQL keyword/value string, or an error: never a SQLite path,
//!   since it may hold a password that would become a file's name.

pub(crate) mod libpq;

use url::Url;

use crate::Dialect;

/// A database URL that cannot be read: what is wrong, and what to do. The
/// command line shows it as its own error (`CliError` converts from it);
/// `revchain::testing` in its panic message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}\n  = help: {help}")]
pub(crate) struct UrlError {
    pub(crate) message: String,
    pub(crate) help: String,
}

impl UrlError {
    pub(crate) fn message(message: impl Into<String>, help: impl Into<String>) -> Self {
        UrlError {
            message: message.into(),
            help: help.into(),
        }
    }
}

/// What a redacted password or secret setting is shown as.
const HIDDEN: &str = "***";

/// What a database name written into a PostgreSQL URI's path escapes: all
/// but letters, digits, `_`, `-` and `.`.
const DATABASE_NAME: percent_encoding::AsciiSet = percent_encoding::NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'-')
    .remove(b'.');

/// How the URL was written, for [`DatabaseUrl::with_database`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    Sqlite,
    PostgresUri,
    PostgresKeywords,
    Mysql,
}

/// A parsed database URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DatabaseUrl {
    /// The backend, chosen by the URL's scheme.
    pub(crate) backend: Dialect,
    /// What diesel's `establish` receives.
    pub(crate) connect: String,
    /// The URL as printed: with its password replaced by `***`.
    pub(crate) shown: String,
    /// The password and secret settings, raw and decoded: scrubbed from a
    /// driver's message where it is wrapped (see [`scrub`]), nowhere else.
    pub(crate) secrets: Vec<String>,
    form: Form,
}

impl DatabaseUrl {
    /// Reads a URL: `sqlite://path`, `sqlite:path`, a plain path or
    /// `:memory:` for SQLite; `postgres://`/`postgresql://` or a libpq
    /// keyword/value string; `mysql://`/`mariadb://`.
    pub(crate) fn parse(url: &str) -> Result<Self, UrlError> {
        if url.trim().is_empty() {
            return Err(UrlError::message(
                "the database URL is empty",
                "pass `--database-url`, or set `database_url` in a config file or `DATABASE_URL`",
            ));
        }
        if libpq::uri_prefix(url).is_some() {
            return postgres_uri(url);
        }
        let Some(scheme) = scheme(url) else {
            if let Some(path) = url.strip_prefix("sqlite:") {
                return sqlite_path(path, url);
            }
            if libpq::looks_like_keywords(url) {
                return postgres_keywords(url);
            }
            return Ok(DatabaseUrl::sqlite(url, url));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => sqlite_path(&url[scheme.len() + 3..], url),
            "file" => Ok(DatabaseUrl::sqlite(url, url)),
            "mysql" | "mariadb" => mysql(url),
            other => Err(UrlError::message(
                format!("unsupported database URL scheme `{other}`"),
                "use `sqlite://FILE` (or a plain file path), `postgres://…` (or `host=… dbname=…`) or `mysql://…` (`mariadb://…`)",
            )),
        }
    }

    /// A SQLite file or `:memory:`, and the URL that names it, shown as it
    /// is: a SQLite URL holds no password.
    pub(crate) fn sqlite(path: &str, url: &str) -> Self {
        DatabaseUrl {
            backend: Dialect::Sqlite,
            connect: path.to_owned(),
            shown: url.to_owned(),
            secrets: Vec::new(),
            form: Form::Sqlite,
        }
    }

    /// The same server and credentials with another database, or with none
    /// (`None`); a SQLite URL is returned as it is.
    pub(crate) fn with_database(&self, database: Option<&str>) -> Result<Self, UrlError> {
        let text = &self.connect;
        let changed = match self.form {
            Form::Sqlite => return Ok(self.clone()),
            Form::PostgresUri => {
                let uri = libpq::parse_uri(text)?;
                let path = uri.path.unwrap_or(uri.path_at..uri.path_at);
                let mut changed = text[..path.start].to_owned();
                if let Some(database) = database {
                    changed.push('/');
                    changed.extend(percent_encoding::utf8_percent_encode(
                        database,
                        &DATABASE_NAME,
                    ));
                }
                changed.push_str(&text[path.end..]);
                changed
            }
            Form::PostgresKeywords => {
                let keywords = libpq::parse_keywords(text)?;
                let mut changed = String::new();
                let mut from = 0;
                for setting in keywords.settings.iter().filter(|s| s.keyword == "dbname") {
                    changed.push_str(&text[from..setting.whole.start]);
                    from = setting.whole.end;
                }
                changed.push_str(&text[from..]);
                if let Some(database) = database {
                    changed = format!(
                        "{} dbname={}",
                        changed.trim_end(),
                        libpq::quote_value(database)
                    );
                }
                changed
            }
            Form::Mysql => {
                let mut url = Url::parse(text).map_err(unreadable_mysql)?;
                match database {
                    Some(database) => url.set_path(&format!("/{database}")),
                    None => url.set_path(""),
                }
                url.to_string()
            }
        };
        DatabaseUrl::parse(&changed)
    }
}

fn sqlite_path(path: &str, url: &str) -> Result<DatabaseUrl, UrlError> {
    if path.is_empty() {
        Err(UrlError::message(
            "the SQLite URL names no file",
            "write `sqlite://FILE`, a plain file path, or `:memory:`",
        ))
    } else {
        Ok(DatabaseUrl::sqlite(path, url))
    }
}

/// The scheme of `scheme://…`, if the text has one.
fn scheme(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// `text` with each span replaced by `***`; the spans are in order and do
/// not overlap.
fn redact_spans(text: &str, spans: &[std::ops::Range<usize>]) -> String {
    let mut shown = String::with_capacity(text.len());
    let mut from = 0;
    for span in spans {
        shown.push_str(&text[from..span.start]);
        shown.push_str(HIDDEN);
        from = span.end;
    }
    shown.push_str(&text[from..]);
    shown
}

/// The raw text and the decoded value of each secret, for [`scrub`].
fn secrets_of<'a>(
    text: &str,
    found: impl Iterator<Item = (std::ops::Range<usize>, &'a str)>,
) -> Vec<String> {
    let mut secrets: Vec<String> = Vec::new();
    for (span, decoded) in found {
        secrets.push(text[span].to_owned());
        secrets.push(decoded.to_owned());
    }
    secrets.retain(|s| !s.is_empty());
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    secrets
}

fn postgres_uri(url: &str) -> Result<DatabaseUrl, UrlError> {
    let uri = libpq::parse_uri(url)?;
    let secret_settings = uri
        .settings
        .iter()
        .filter(|s| libpq::is_secret_keyword(&s.keyword));
    let found: Vec<(std::ops::Range<usize>, &str)> = uri
        .password
        .iter()
        .map(|(span, decoded)| (span.clone(), decoded.as_str()))
        .chain(secret_settings.map(|s| (s.value.clone(), s.decoded.as_str())))
        .collect();
    let spans: Vec<_> = found.iter().map(|(span, _)| span.clone()).collect();
    // libpq takes the prefix in lower case only.
    let prefix = libpq::uri_prefix(url).unwrap_or(0);
    Ok(DatabaseUrl {
        backend: Dialect::Postgres,
        connect: format!("{}{}", url[..prefix].to_ascii_lowercase(), &url[prefix..]),
        shown: redact_spans(url, &spans),
        secrets: secrets_of(url, found.into_iter()),
        form: Form::PostgresUri,
    })
}

fn postgres_keywords(text: &str) -> Result<DatabaseUrl, UrlError> {
    let keywords = libpq::parse_keywords(text)?;
    let found: Vec<(std::ops::Range<usize>, &str)> = keywords
        .settings
        .iter()
        .filter(|s| libpq::is_secret_keyword(&s.keyword))
        .map(|s| (s.value.clone(), s.decoded.as_str()))
        .collect();
    let spans: Vec<_> = found.iter().map(|(span, _)| span.clone()).collect();
    Ok(DatabaseUrl {
        backend: Dialect::Postgres,
        connect: text.to_owned(),
        shown: redact_spans(text, &spans),
        secrets: secrets_of(text, found.into_iter()),
        form: Form::PostgresKeywords,
    })
}

fn unreadable_mysql(error: url::ParseError) -> UrlError {
    // `url`'s messages name what is wrong, never the text.
    UrlError::message(
        format!("the MySQL URL cannot be read: {error}"),
        "write `mysql://USER:PASSWORD@HOST:PORT/DATABASE`, with `/`, `?`, `#` and `%` in the user name or password percent-encoded (`%2F`, `%3F`, `%23`, `%25`)",
    )
}

fn mysql(text: &str) -> Result<DatabaseUrl, UrlError> {
    let url = Url::parse(text).map_err(unreadable_mysql)?;
    // The user name and password end at the last `@` before the first `/`,
    // `?` or `#`: an `@` after them means the password held one of those,
    // and a piece of it would be read as the host, database or options.
    let after_host = [Some(url.path()), url.query(), url.fragment()];
    if after_host.iter().flatten().any(|part| part.contains('@')) {
        return Err(UrlError::message(
            "the MySQL URL has an `@` after its host: the password holds a raw `/`, `?` or `#`",
            "percent-encode them in the password (`%2F`, `%3F`, `%23`)",
        ));
    }
    let mut shown = url.clone();
    let mut secrets = Vec::new();
    if let Some(password) = url.password() {
        secrets.push(password.to_owned());
        secrets.push(percent_decode(password));
        // A password can be set on a URL with a host, which this one has.
        let _ = shown.set_password(Some(HIDDEN));
    }
    if let Some(query) = url.query() {
        let mut spans = Vec::new();
        let mut at = 0;
        for parameter in query.split('&') {
            if let Some((name, value)) = parameter.split_once('=')
                && libpq::is_secret_keyword(&percent_decode(name).to_ascii_lowercase())
            {
                let start = at + name.len() + 1;
                spans.push(start..start + value.len());
                secrets.push(value.to_owned());
                secrets.push(percent_decode(&value.replace('+', " ")));
            }
            at += parameter.len() + 1;
        }
        shown.set_query(Some(&redact_spans(query, &spans)));
    }
    secrets.retain(|s| !s.is_empty());
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    let mut connect = url.clone();
    // `mariadb://` is read as `mysql://`, both being non-special schemes.
    let _ = connect.set_scheme("mysql");
    Ok(DatabaseUrl {
        backend: Dialect::Mysql,
        connect: connect.to_string(),
        shown: shown.to_string(),
        secrets,
        form: Form::Mysql,
    })
}

/// Shows a database URL with its password (and any `password`,
/// `sslpassword` or other secret setting) replaced by `***`, reading the URL
/// as its driver does: libpq's URIs and keyword/value strings for
/// PostgreSQL, the `url` crate for MySQL. A SQLite path is shown as it is,
/// and so is any other text that holds no password. A URL that cannot be
/// read is shown as its scheme and `://***` (or `***`), never in part.
///
/// ```
/// # #[cfg(feature = "cli")] {
/// use revchain::cli::redact_url;
///
/// assert_eq!(
///     redact_url("postgres://app:s3cret@db.example:5432/app"),
///     "postgres://app:***@db.example:5432/app"
/// );
/// // libpq ends the password at the first `@`: `?` and `#` are its own.
/// assert_eq!(redact_url("postgres://app:a?b#c@db/app"), "postgres://app:***@db/app");
/// assert_eq!(
///     redact_url("host=db user=app password='s3 cret' dbname=app"),
///     "host=db user=app password=*** dbname=app"
/// );
/// assert_eq!(
///     redact_url("mysql://root@localhost/app?password=s3cret&ssl_mode=required"),
///     "mysql://root@localhost/app?password=***&ssl_mode=required"
/// );
/// assert_eq!(redact_url("postgres://app@db/app"), "postgres://app@db/app");
/// assert_eq!(redact_url("blog.db"), "blog.db");
/// # }
/// ```
#[cfg(any(feature = "cli", test))]
pub fn redact_url(url: &str) -> String {
    match DatabaseUrl::parse(url) {
        Ok(parsed) => parsed.shown,
        Err(_) if url.trim().is_empty() => url.to_owned(),
        Err(_) => match scheme(url) {
            Some(scheme) => format!("{scheme}://{HIDDEN}"),
            None => HIDDEN.to_owned(),
        },
    }
}

/// Whether a character ends a token of a driver's message: white space,
/// quotes, brackets and the delimiters of URLs and settings.
fn delimits(c: char) -> bool {
    c.is_whitespace() || "\"'`:@/?#&=,;()[]{}<>".contains(c)
}

/// Replaces each secret in a driver's message with `***`. Only for the
/// message of a driver, where it is wrapped into revchain's error: a
/// secret is replaced where it stands as a token of its own, between
/// delimiters (see [`delimits`]) or the message's ends, as a driver quotes
/// a value (`"…"`) or a URL's part (`:…@`), so that a one-letter password
/// (or `"`) does not garble the rest of the message. A password of white
/// space only is left alone: it cannot be told from the message's own
/// spacing, which it would garble, and showing a space reveals nothing.
pub(crate) fn scrub(message: &str, secrets: &[String]) -> String {
    let mut text = message.to_owned();
    for secret in secrets.iter().filter(|s| !s.trim().is_empty()) {
        let mut out = String::with_capacity(text.len());
        let mut from = 0;
        for (start, _) in text.match_indices(secret.as_str()) {
            if start < from {
                continue;
            }
            let end = start + secret.len();
            let alone_before = text[..start].chars().next_back().is_none_or(delimits);
            let alone_after = text[end..].chars().next().is_none_or(delimits);
            if alone_before && alone_after {
                out.push_str(&text[from..start]);
                out.push_str(HIDDEN);
                from = end;
            }
        }
        out.push_str(&text[from..]);
        text = out;
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
mod tests;
