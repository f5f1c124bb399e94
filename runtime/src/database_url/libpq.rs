//! PostgreSQL connection strings read as libpq reads them: URIs
//! (`postgres://…`) and keyword/value strings (`host=… password='a b'`).
//!
//! No general URL parser fits: libpq's URI grammar is its own. It ends the
//! user name and password at the FIRST `@` (and looks for it only before the
//! first `/`), so a password may hold raw `?`, `#` and `:`, and the query has
//! no fragment (`#` is text). A WHATWG or RFC 3986 parser (the `url` crate)
//! reads the same text differently: it takes the last `@`, and ends the
//! authority at `?` and `#`. So this module mirrors libpq's own parser,
//! `conninfo_uri_parse_options` and `conninfo_parse` in
//! `src/interfaces/libpq/fe-connect.c`, step by step, and keeps where each
//! part lies in the text: the password is then redacted by its position,
//! never by searching its text.
//!
//! Text that libpq would refuse with a message quoting it (a bad `%`
//! escape, a query parameter without `=`, an unclosed `[`), or that it
//! would read with a piece of the password as the host or the database (a
//! raw `@` or `/` in the password), is refused here first, by a message
//! that names the part and never quotes it.

use std::ops::Range;

use super::UrlError;

/// The libpq connection keywords (PostgreSQL 18). A text that starts with
/// `KEYWORD=` for one of them is a keyword/value connection string.
const KEYWORDS: &[&str] = &[
    "application_name",
    "channel_binding",
    "client_encoding",
    "connect_timeout",
    "dbname",
    "fallback_application_name",
    "gssdelegation",
    "gssencmode",
    "gsslib",
    "host",
    "hostaddr",
    "keepalives",
    "keepalives_count",
    "keepalives_idle",
    "keepalives_interval",
    "krbsrvname",
    "load_balance_hosts",
    "max_protocol_version",
    "min_protocol_version",
    "oauth_ca_file",
    "oauth_client_id",
    "oauth_client_secret",
    "oauth_issuer",
    "oauth_scope",
    "options",
    "passfile",
    "password",
    "port",
    "replication",
    "require_auth",
    "requirepeer",
    "requiressl",
    "scram_client_key",
    "scram_server_key",
    "service",
    "ssl_max_protocol_version",
    "ssl_min_protocol_version",
    "sslcert",
    "sslcertmode",
    "sslcompression",
    "sslcrl",
    "sslcrldir",
    "sslkey",
    "sslmode",
    "sslnegotiation",
    "sslpassword",
    "sslrootcert",
    "sslsni",
    "target_session_attrs",
    "tcp_user_timeout",
    "user",
];

/// Whether a keyword's value is a secret: `password`, `sslpassword`, and
/// the OAuth client secret and SCRAM keys.
pub(crate) fn is_secret_keyword(keyword: &str) -> bool {
    keyword.ends_with("password") || keyword.ends_with("secret") || keyword.starts_with("scram_")
}

/// One `keyword=value` of a keyword/value string or of a URI's query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Setting {
    /// The keyword, decoded.
    pub(crate) keyword: String,
    /// Where the value lies in the text, quotes included.
    pub(crate) value: Range<usize>,
    /// The value as libpq reads it (percent-decoded or unescaped).
    pub(crate) decoded: String,
    /// Where the whole setting lies: the keyword to the value's end.
    pub(crate) whole: Range<usize>,
}

/// A `postgres://` or `postgresql://` URI, as libpq reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Uri {
    /// The password between `:` and `@`, if the URI has one, and decoded.
    pub(crate) password: Option<(Range<usize>, String)>,
    /// `/dbname`, the `/` included, up to the query.
    pub(crate) path: Option<Range<usize>>,
    /// Where the path starts, or would start: after the hosts.
    pub(crate) path_at: usize,
    /// Whether the URI has a `?`.
    pub(crate) has_query: bool,
    /// The query's parameters.
    pub(crate) settings: Vec<Setting>,
}

/// A keyword/value connection string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Keywords {
    /// Its settings, in order.
    pub(crate) settings: Vec<Setting>,
}

/// The length of libpq's URI prefix (`postgresql://` or `postgres://`,
/// ASCII case ignored here; the caller hands libpq the lower-case form).
pub(crate) fn uri_prefix(text: &str) -> Option<usize> {
    ["postgresql://", "postgres://"]
        .into_iter()
        .find_map(|prefix| {
            text.get(..prefix.len())
                .filter(|start| start.eq_ignore_ascii_case(prefix))
                .map(|_| prefix.len())
        })
}

fn refuse(what: impl Into<String>) -> UrlError {
    UrlError::message(
        what,
        "percent-encode the user name and password (`@` as `%40`, `/` as `%2F`, `%` as `%25`), or pass a keyword/value string such as `host=H user=U password='P' dbname=D`",
    )
}

/// Reads a URI as libpq's `conninfo_uri_parse_options` does.
pub(crate) fn parse_uri(text: &str) -> Result<Uri, UrlError> {
    let bytes = text.as_bytes();
    let n = bytes.len();
    let at = |p: usize| bytes.get(p).copied();
    let start = uri_prefix(text).ok_or_else(|| refuse("not a PostgreSQL URI"))?;
    // The user name and password: up to the first `@`, if one comes before
    // the first `/`.
    let mut p = start;
    while p < n && !matches!(bytes[p], b'@' | b'/') {
        p += 1;
    }
    let mut password = None;
    if at(p) == Some(b'@') {
        let userinfo = start..p;
        let colon = text[userinfo.clone()].find(':').map(|i| start + i);
        let user_end = colon.unwrap_or(p);
        decode(&text[start..user_end], "the user name")?;
        if let Some(colon) = colon {
            let span = colon + 1..p;
            password = Some((span.clone(), decode(&text[span], "the password")?));
        }
        p += 1;
    } else {
        p = start;
    }
    // The hosts and ports: `host[:port][,host[:port]]…`.
    let hosts_start = p;
    loop {
        if at(p) == Some(b'[') {
            let close = text[p..]
                .find(']')
                .map(|i| p + i)
                .ok_or_else(|| refuse("the PostgreSQL URI has an IPv6 host without its `]`"))?;
            if close == p + 1 {
                return Err(refuse("the PostgreSQL URI has an empty IPv6 host `[]`"));
            }
            p = close + 1;
            if !matches!(at(p), None | Some(b':' | b'/' | b'?' | b',')) {
                return Err(refuse(
                    "the PostgreSQL URI has text after an IPv6 host's `]` where `:`, `/`, `?` or `,` belongs",
                ));
            }
        } else {
            while p < n && !matches!(bytes[p], b':' | b'/' | b'?' | b',') {
                p += 1;
            }
        }
        if at(p) == Some(b':') {
            p += 1;
            let port = p;
            while p < n && !matches!(bytes[p], b'/' | b'?' | b',') {
                p += 1;
            }
            // libpq would quote a port that is not a number, and with a
            // raw `/` in the password (`u:pa/ss@h`), the port is a piece of
            // it.
            if !text[port..p].bytes().all(|b| b.is_ascii_digit()) {
                return Err(refuse(
                    "the PostgreSQL URI has a port that is not a number: if that is a user name and password, the password holds a raw `/`",
                ));
            }
        }
        if at(p) == Some(b',') {
            p += 1;
            continue;
        }
        break;
    }
    let hosts = &text[hosts_start..p];
    decode(hosts, "the host")?;
    let mut path = None;
    let path_at = p;
    if at(p) == Some(b'/') {
        let path_start = p;
        while p < n && bytes[p] != b'?' {
            p += 1;
        }
        decode(&text[path_start + 1..p], "the database name")?;
        path = Some(path_start..p);
    }
    // A raw `@` after the user name and password (in the host, port,
    // database name or query): the password held `@` or `/`, and libpq
    // would read a piece of it as the host, database or a setting. An `@`
    // of a query value is written `%40`.
    if text[hosts_start..].contains('@') {
        return Err(refuse(
            "the PostgreSQL URI has a raw `@` after its user name and password, where libpq reads the host, database name or settings: a password holding `@` or `/` must be percent-encoded",
        ));
    }
    let mut settings = Vec::new();
    let has_query = at(p) == Some(b'?');
    if has_query {
        p += 1;
        while p < n {
            let end = text[p..].find('&').map_or(n, |i| p + i);
            let piece = &text[p..end];
            let Some(equals) = piece.find('=') else {
                return Err(refuse(format!(
                    "the PostgreSQL URI's query parameter number {} has no `=`",
                    settings.len() + 1
                )));
            };
            let keyword = decode(&piece[..equals], "a query parameter's name")?;
            if piece[equals + 1..].contains('=') {
                return Err(refuse(format!(
                    "the PostgreSQL URI's query parameter `{keyword}` has a second raw `=` in its value"
                )));
            }
            let value = p + equals + 1..end;
            let decoded = decode(&text[value.clone()], "a query parameter's value")?;
            settings.push(Setting {
                keyword,
                value,
                decoded,
                whole: p..end,
            });
            p = end + 1;
        }
    }
    Ok(Uri {
        password,
        path,
        path_at,
        has_query,
        settings,
    })
}

/// Percent-decodes a part as libpq's `conninfo_uri_decode`, which refuses a
/// `%` not followed by two hex digits, and `%00`.
fn decode(part: &str, what: &str) -> Result<String, UrlError> {
    let bytes = part.as_bytes();
    for (i, _) in part.match_indices('%') {
        let hex = bytes.get(i + 1..i + 3);
        match hex {
            Some(hex) if hex.iter().all(u8::is_ascii_hexdigit) => {
                if hex == b"00" {
                    return Err(refuse(format!(
                        "{what} of the PostgreSQL URI holds `%00`, which libpq refuses"
                    )));
                }
            }
            _ => {
                return Err(refuse(format!(
                    "{what} of the PostgreSQL URI holds a `%` that is not followed by two hex digits"
                )));
            }
        }
    }
    let decoded = percent_encoding::percent_decode_str(part).decode_utf8_lossy();
    Ok(decoded.into_owned())
}

/// libpq's white space (C's `isspace`).
fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// The keyword a text starts with, when it starts as a keyword/value string
/// does: letters, digits and `_`, then optional white space and `=`.
fn leading_keyword(text: &str) -> Option<&str> {
    let text = text.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    let rest = text[end..].trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
    (end > 0 && rest.starts_with('=')).then(|| &text[..end])
}

/// Whether a text without a scheme is meant as a keyword/value string: it
/// starts with `WORD=`, or holds white space followed by `WORD=` (as in
/// `db.sqlite password=x`). Such a text is never a SQLite path.
pub(crate) fn looks_like_keywords(text: &str) -> bool {
    leading_keyword(text).is_some()
        || text
            .char_indices()
            .filter(|(_, c)| c.is_ascii() && is_space(*c as u8))
            .any(|(i, _)| leading_keyword(&text[i..]).is_some())
}

/// Reads a keyword/value string as libpq's `conninfo_parse` does, and
/// checks its keywords.
pub(crate) fn parse_keywords(text: &str) -> Result<Keywords, UrlError> {
    let help = "write PostgreSQL settings as `host=H port=P dbname=D user=U password='P'` (quote a value holding spaces with `'`, escape `'` and `\\` with `\\`); for a SQLite file whose name holds `=`, write `sqlite:NAME`";
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut settings = Vec::new();
    let mut p = 0;
    loop {
        while p < n && is_space(bytes[p]) {
            p += 1;
        }
        if p == n {
            break;
        }
        let name_start = p;
        while p < n && bytes[p] != b'=' && !is_space(bytes[p]) {
            p += 1;
        }
        let keyword = text[name_start..p].to_owned();
        while p < n && is_space(bytes[p]) {
            p += 1;
        }
        let known = KEYWORDS.contains(&keyword.as_str());
        // Only a known keyword is named: anything else may be a piece of a
        // password (`password secret`).
        if p == n || bytes[p] != b'=' {
            return Err(UrlError::message(
                if known {
                    format!("the PostgreSQL connection string has no `=` after `{keyword}`")
                } else {
                    format!(
                        "the PostgreSQL connection string has a word without `=` at byte {}",
                        name_start + 1
                    )
                },
                help,
            ));
        }
        if !known {
            return Err(UrlError::message(
                format!(
                    "the PostgreSQL connection string has an unknown keyword at byte {}",
                    name_start + 1
                ),
                help,
            ));
        }
        p += 1;
        while p < n && is_space(bytes[p]) {
            p += 1;
        }
        let value_start = p;
        let mut decoded = Vec::new();
        if bytes.get(p) == Some(&b'\'') {
            p += 1;
            loop {
                match bytes.get(p) {
                    None => {
                        return Err(UrlError::message(
                            format!(
                                "the PostgreSQL connection string's `{keyword}` has a quote `'` that is never closed"
                            ),
                            help,
                        ));
                    }
                    Some(b'\\') => {
                        if let Some(&next) = bytes.get(p + 1) {
                            decoded.push(next);
                            p += 2;
                        } else {
                            p += 1;
                        }
                    }
                    Some(b'\'') => {
                        p += 1;
                        break;
                    }
                    Some(&byte) => {
                        decoded.push(byte);
                        p += 1;
                    }
                }
            }
        } else {
            while p < n && !is_space(bytes[p]) {
                if bytes[p] == b'\\' {
                    p += 1;
                    if p < n {
                        decoded.push(bytes[p]);
                        p += 1;
                    }
                } else {
                    decoded.push(bytes[p]);
                    p += 1;
                }
            }
        }
        settings.push(Setting {
            keyword,
            value: value_start..p,
            decoded: String::from_utf8_lossy(&decoded).into_owned(),
            whole: name_start..p,
        });
    }
    Ok(Keywords { settings })
}

/// A value quoted for a keyword/value string.
pub(crate) fn quote_value(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn password(uri: &str) -> Option<String> {
        parse_uri(uri).unwrap().password.map(|(_, p)| p)
    }

    #[test]
    fn the_password_ends_at_the_first_at_sign_as_in_libpq() {
        assert_eq!(password("postgres://u:pw@h/d").as_deref(), Some("pw"));
        assert_eq!(
            password("postgres://u:p?s#s:x@h/d").as_deref(),
            Some("p?s#s:x")
        );
        assert_eq!(
            password("postgres://u:p%40s%2F@h/d").as_deref(),
            Some("p@s/")
        );
        assert_eq!(password("postgres://u:@h/d").as_deref(), Some(""));
        assert_eq!(password("postgres://u@h/d"), None);
        assert_eq!(password("postgresql://h/d?x=a%40b"), None);
        assert!(parse_uri("postgresql://h/d?x=a@b").is_err());
        let uri = parse_uri("postgres://u:pw@h:1,[::1]:2/d?sslmode=require&password=q").unwrap();
        assert_eq!(uri.path, Some(27..29));
        assert_eq!(uri.settings[1].keyword, "password");
        assert_eq!(uri.settings[1].decoded, "q");
    }

    #[test]
    fn text_libpq_would_misread_or_quote_is_refused_without_quoting_it() {
        for uri in [
            "postgres://u:p@Xq7@h/d",
            "postgres://u:p/Xq7@h/d",
            "postgres://u:Xq7/p@h/d",
            "postgres://u:Xq7%zz@h/d",
            "postgres://u:Xq7%00@h/d",
            "postgres://u:@?=@h/d",
            "postgres://h/d?password",
            "postgres://h/d?password=a=Xq7",
            "postgres://u:pw@[::1/d",
        ] {
            let error = parse_uri(uri).unwrap_err().to_string();
            assert!(!error.contains("Xq7"), "{uri}: {error}");
        }
    }

    #[test]
    fn keyword_strings_are_read_as_libpq_reads_them() {
        let keywords = parse_keywords(r"host=h  user = u password='a b\'c' dbname=d\ x").unwrap();
        let values: Vec<(&str, &str)> = keywords
            .settings
            .iter()
            .map(|s| (s.keyword.as_str(), s.decoded.as_str()))
            .collect();
        assert_eq!(
            values,
            [
                ("host", "h"),
                ("user", "u"),
                ("password", "a b'c"),
                ("dbname", "d x")
            ]
        );
        for text in [
            "host=h password secret",
            "host=h pasword=x",
            "password='open",
        ] {
            let error = parse_keywords(text).unwrap_err().to_string();
            assert!(
                !error.contains("secret") && !error.contains("open"),
                "{error}"
            );
        }
    }

    #[test]
    fn what_looks_like_a_keyword_string() {
        for text in ["host=h", " dbname = d", "a.db password=x", "x=1"] {
            assert!(looks_like_keywords(text), "{text}");
        }
        for text in [
            "app.db",
            "dir/a=b.db",
            ":memory:",
            "my file.db",
            "C:\\x=1.db",
        ] {
            assert!(!looks_like_keywords(text), "{text}");
        }
    }

    #[test]
    fn quoting_round_trips() {
        let text = format!("password={}", quote_value(r"a b'c\d"));
        assert_eq!(
            parse_keywords(&text).unwrap().settings[0].decoded,
            r"a b'c\d"
        );
    }
}
