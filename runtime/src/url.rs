//! Database URLs taken apart by structure: their scheme, their database,
//! their password (removed before any URL is shown).

/// The scheme of `scheme://…`, if the text has one.
pub(crate) fn scheme(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// `url` with its database (the first path segment) replaced by `database`,
/// or removed with `None`; the rest (user, password, host, query) kept.
pub(crate) fn with_database(url: &str, database: Option<&str>) -> String {
    let start = scheme(url).map_or(0, |scheme| scheme.len() + 3);
    let rest = &url[start..];
    let authority_end = start + rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let tail = &url[authority_end..];
    let path_end = authority_end + tail.find(['?', '#']).unwrap_or(tail.len());
    let mut out = url[..authority_end].to_owned();
    if let Some(database) = database {
        out.push('/');
        out.push_str(database);
    }
    out.push_str(&url[path_end..]);
    out
}

/// The `user:password@` part of a `scheme://` URL, as a range of `url`.
pub(crate) fn userinfo(url: &str) -> Option<(usize, usize)> {
    let scheme = scheme(url)?;
    let start = scheme.len() + 3;
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..authority_end].rfind('@')?;
    Some((start, start + at))
}

/// Replaces the password of a database URL with `***`, both in the
/// `user:password@` part and in a `password=` query parameter. Anything that
/// is not a URL is returned as it is. Use it for every URL you print.
///
/// ```
/// # #[cfg(feature = "cli")] {
/// use revchain::cli::redact_url;
///
/// assert_eq!(
///     redact_url("postgres://app:s3cret@db.example:5432/app"),
///     "postgres://app:***@db.example:5432/app"
/// );
/// assert_eq!(
///     redact_url("mysql://root@localhost/app?password=s3cret&ssl=true"),
///     "mysql://root@localhost/app?password=***&ssl=true"
/// );
/// assert_eq!(redact_url("postgres://app@db/app"), "postgres://app@db/app");
/// assert_eq!(redact_url("blog.db"), "blog.db");
/// # }
/// ```
pub fn redact_url(url: &str) -> String {
    let mut shown = url.to_owned();
    if let Some((start, end)) = userinfo(url)
        && let Some(colon) = url[start..end].find(':')
    {
        shown = format!("{}***{}", &url[..start + colon + 1], &url[end..]);
    }
    redact_query(&shown)
}

/// Replaces the value of every query parameter whose name ends in
/// `password`.
fn redact_query(url: &str) -> String {
    let Some(question) = url.find('?') else {
        return url.to_owned();
    };
    let (head, query) = url.split_at(question + 1);
    let (query, fragment) = match query.find('#') {
        Some(hash) => query.split_at(hash),
        None => (query, ""),
    };
    let parameters: Vec<String> = query
        .split('&')
        .map(|parameter| match parameter.split_once('=') {
            Some((name, _)) if name.to_ascii_lowercase().ends_with("password") => {
                format!("{name}=***")
            }
            _ => parameter.to_owned(),
        })
        .collect();
    format!("{head}{}{fragment}", parameters.join("&"))
}
