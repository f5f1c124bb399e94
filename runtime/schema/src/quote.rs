//! Quoting names, exactly as `revchain::quote_identifier` does.
//!
//! revchain's command line depends on this crate, so this crate cannot
//! depend on `revchain` (cargo refuses the cycle); the tests check that both
//! quote alike.

use revchain_internals::sql::Dialect;

/// Quotes an identifier for `dialect`: `"name"` with `"` doubled, or
/// `` `name` `` with `` ` `` doubled on MySQL. The same function as
/// `revchain::quote_identifier`.
///
/// ```
/// use revchain_schema::{quote_identifier, Dialect};
///
/// assert_eq!(quote_identifier(Dialect::Sqlite, "new_\"users\""), "\"new_\"\"users\"\"\"");
/// assert_eq!(quote_identifier(Dialect::Mysql, "a`b"), "`a``b`");
/// ```
pub fn quote_identifier(dialect: Dialect, name: &str) -> String {
    let quote = match dialect {
        Dialect::Mysql => '`',
        _ => '"',
    };
    let mut quoted = String::with_capacity(name.len() + 2);
    quoted.push(quote);
    for c in name.chars() {
        if c == quote {
            quoted.push(quote);
        }
        quoted.push(c);
    }
    quoted.push(quote);
    quoted
}
