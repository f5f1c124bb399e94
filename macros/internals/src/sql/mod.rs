//! Splitting SQL files into statements, per dialect.
//!
//! The runtime applies a revision statement by statement, so that a failure
//! names the statement and its line, and the `--sql` script generator writes
//! the statements out one by one. Both call [`split`], which reads a file the
//! way the database's own command-line client (`sqlite3`, `psql`, `mysql`)
//! would: comments, string literals, quoted identifiers, PostgreSQL dollar
//! quotes, trigger and routine bodies and the `mysql` client's `DELIMITER`
//! lines are all understood, so a semicolon ends a statement only where the
//! client would end it.
//!
//! ```
//! use revchain_internals::sql::{Dialect, split};
//!
//! let up = "-- the users\nCREATE TABLE users (name TEXT DEFAULT 'a;b');;\n\nINSERT INTO users VALUES ('x')";
//! let statements = split(up, Dialect::Sqlite)?;
//! let texts: Vec<&str> = statements.iter().map(|s| s.text).collect();
//! assert_eq!(
//!     texts,
//!     ["CREATE TABLE users (name TEXT DEFAULT 'a;b')", "INSERT INTO users VALUES ('x')"]
//! );
//! assert_eq!(statements[0].line, 2);
//! assert_eq!(statements[1].line, 4);
//! # Ok::<(), revchain_internals::sql::SplitError>(())
//! ```
//!
//! The splitter never fails on SQL it does not understand: an unterminated
//! string, comment or dollar quote runs to the end of the file and becomes the
//! last statement, for the database to report. It fails only on client
//! commands revchain cannot run, such as psql's `\connect`.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

mod blocks;
mod lexer;
mod splitter;

/// The SQL dialect of a migrations directory: which database's rules
/// [`split`] follows.
///
/// `Display` gives `sqlite`, `postgres` or `mysql`; `FromStr` also accepts
/// `postgresql`, `pg` and `mariadb`, in any case.
///
/// ```
/// use revchain_internals::sql::Dialect;
///
/// assert_eq!("PostgreSQL".parse::<Dialect>(), Ok(Dialect::Postgres));
/// assert_eq!("mariadb".parse::<Dialect>(), Ok(Dialect::Mysql));
/// assert_eq!(Dialect::Postgres.to_string(), "postgres");
/// assert!("oracle".parse::<Dialect>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// SQLite, as read by the `sqlite3` shell.
    Sqlite,
    /// PostgreSQL, as read by `psql`.
    Postgres,
    /// MySQL and MariaDB, as read by the `mysql` client.
    Mysql,
}

impl Dialect {
    /// The dialect's name: `sqlite`, `postgres` or `mysql`.
    ///
    /// ```
    /// assert_eq!(revchain_internals::sql::Dialect::Mysql.as_str(), "mysql");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Dialect {
    type Err = ParseDialectError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.trim().to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Dialect::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(Dialect::Postgres),
            "mysql" | "mariadb" => Ok(Dialect::Mysql),
            _ => Err(ParseDialectError {
                name: name.to_owned(),
            }),
        }
    }
}

/// The error of `Dialect::from_str`: the name is not a dialect revchain knows.
///
/// ```
/// let error = "oracle".parse::<revchain_internals::sql::Dialect>().unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "unknown SQL dialect `oracle`: expected `sqlite`, `postgres` (or `postgresql`, `pg`) or `mysql` (or `mariadb`)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseDialectError {
    name: String,
}

impl fmt::Display for ParseDialectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown SQL dialect `{}`: expected `sqlite`, `postgres` (or `postgresql`, `pg`) or `mysql` (or `mariadb`)",
            self.name
        )
    }
}

impl std::error::Error for ParseDialectError {}

/// One statement of an SQL file, borrowed from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement<'a> {
    /// The statement from its first token to its last, without its
    /// terminator: comments and whitespace before the first token and after
    /// the last one are left out, comments between tokens are kept. Unless an
    /// unterminated string, quoted identifier, comment or dollar quote runs
    /// to the end of the file, it never ends inside one of them, so a
    /// terminator can be written right after it.
    pub text: &'a str,
    /// The 1-based line on which [`text`](Self::text) starts.
    pub line: usize,
    /// Where [`text`](Self::text) is in the input: `&sql[span] == text`.
    pub span: Range<usize>,
}

/// A file [`split`] refuses: it holds a command for a database's
/// command-line client, which revchain cannot run.
///
/// ```
/// use revchain_internals::sql::{Dialect, split};
///
/// let error = split("CREATE TABLE t (id int);\n\n\\connect other\n", Dialect::Postgres).unwrap_err();
/// assert_eq!(error.line(), 3);
/// assert_eq!(
///     error.to_string(),
///     "psql meta-command `\\connect` on line 3 cannot be run by revchain"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitError {
    line: usize,
    message: String,
}

impl SplitError {
    /// The 1-based line of the offending command.
    pub fn line(&self) -> usize {
        self.line
    }

    /// What is wrong, in lowercase, without a trailing period; the same text
    /// as `Display`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SplitError {}

/// Quotes a string literal for `dialect`: `'` doubled, and on MySQL `\`
/// doubled too, since MySQL reads backslash escapes by default. The one
/// literal quoting rule of the runtime and the autogenerate engine.
///
/// ```
/// use revchain_internals::sql::{quote_literal, Dialect};
///
/// assert_eq!(quote_literal(Dialect::Sqlite, "it's"), "'it''s'");
/// assert_eq!(quote_literal(Dialect::Mysql, "a\\b"), "'a\\\\b'");
/// ```
pub fn quote_literal(dialect: Dialect, value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for c in value.chars() {
        match c {
            '\'' => quoted.push_str("''"),
            '\\' if dialect == Dialect::Mysql => quoted.push_str("\\\\"),
            c => quoted.push(c),
        }
    }
    quoted.push('\'');
    quoted
}

/// Quotes an identifier for `dialect`: `"name"` with `"` doubled, or
/// `` `name` `` with `` ` `` doubled on MySQL. The one quoting rule of the
/// runtime, the offline scripts and the autogenerate engine.
///
/// ```
/// use revchain_internals::sql::{quote_identifier, Dialect};
///
/// assert_eq!(quote_identifier(Dialect::Postgres, "my \"table\""), "\"my \"\"table\"\"\"");
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

/// Splits `sql` into its statements, in order, following `dialect`'s rules.
///
/// Empty statements (`;;`) and statements made of comments only are left out,
/// so a file of comments gives no statement at all. Besides `;`, the rules are
/// those of the database's command-line client:
///
/// - all dialects: `--` and `/* */` comments (PostgreSQL nests the latter),
///   `'...'` strings with `''` inside;
/// - SQLite: `"..."`, `` `...` `` and `[...]` identifiers; a
///   `CREATE TRIGGER ... BEGIN ... END` ends only at a `;` after `; END`, as in
///   `sqlite3`; a line starting with `.` (an `sqlite3` dot-command) is an error;
/// - PostgreSQL: `"..."` identifiers, `E'...'` strings with backslash escapes,
///   `$$ ... $$` and `$tag$ ... $tag$` dollar quotes; as in `psql`, a `;`
///   inside parentheses or inside the `BEGIN ATOMIC ... END` body of a
///   `CREATE FUNCTION` or `CREATE PROCEDURE` does not end the statement; a
///   backslash outside quotes (a psql meta-command) and `COPY ... FROM STDIN`
///   (which reads its rows from psql) are errors;
/// - MySQL and MariaDB: `#` comments, `--` comments only when followed by
///   whitespace (or, as in the `mysql` client, starting a line between
///   statements, as in `----------`), `/*! ... */` executable comments kept
///   as statement text, backslash escapes in `'...'` and `"..."`,
///   `` `...` `` identifiers; `DELIMITER` lines change the terminator as in
///   the `mysql` client and are not statements; a backslash outside quotes
///   (a client command such as `\G`), other than `\N`, is an error; with the
///   `;` terminator, the `BEGIN ... END`, `IF ... END
///   IF`, `CASE ... END`, `LOOP`, `WHILE` and `REPEAT` blocks of
///   `CREATE TRIGGER`, `PROCEDURE`, `FUNCTION` and `EVENT` (and MariaDB's
///   `BEGIN NOT ATOMIC`) are tracked, so that the whole routine is one
///   statement even without `DELIMITER`.
///
/// `BEGIN;` on its own is a transaction statement in every dialect.
///
/// ```
/// use revchain_internals::sql::{Dialect, split};
///
/// let up = "\
/// CREATE FUNCTION touch() RETURNS trigger AS $$
/// BEGIN
///     NEW.updated_at := now();
///     RETURN NEW;
/// END;
/// $$ LANGUAGE plpgsql;
/// CREATE TRIGGER touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
/// ";
/// let statements = split(up, Dialect::Postgres)?;
/// assert_eq!(statements.len(), 2);
/// assert!(statements[0].text.ends_with("LANGUAGE plpgsql"));
/// assert_eq!(statements[1].line, 7);
/// # Ok::<(), revchain_internals::sql::SplitError>(())
/// ```
pub fn split(sql: &str, dialect: Dialect) -> Result<Vec<Statement<'_>>, SplitError> {
    splitter::Splitter::new(sql, dialect).run()
}

/// Whether the statement `sql` holds a `;` that does not end it, outside
/// strings and comments: one inside a trigger or routine body, where the
/// `mysql` client would cut the statement, so that a MySQL script wraps it
/// in `DELIMITER` lines. A `;` inside a string literal needs no such thing.
///
/// ```
/// use revchain_internals::sql::{Dialect, has_inner_semicolon};
///
/// assert!(has_inner_semicolon("CREATE TRIGGER t AFTER UPDATE ON x FOR EACH ROW BEGIN SET @a = 1; SET @b = 2; END", Dialect::Mysql));
/// assert!(!has_inner_semicolon("INSERT INTO log VALUES ('DROP TABLE x;')", Dialect::Mysql));
/// ```
pub fn has_inner_semicolon(sql: &str, dialect: Dialect) -> bool {
    splitter::Splitter::new(sql, dialect).has_inner_semicolon()
}

/// Whether `sql` holds no statement at all: only whitespace, comments and
/// empty statements, as in a placeholder revision. A file [`split`] refuses is
/// not a placeholder.
///
/// ```
/// use revchain_internals::sql::{Dialect, is_placeholder};
///
/// assert!(is_placeholder("-- nothing to do here\n;\n", Dialect::Sqlite));
/// assert!(is_placeholder("# nothing\n/* at all */", Dialect::Mysql));
/// assert!(!is_placeholder("/*!40101 SET NAMES utf8 */;", Dialect::Mysql));
/// assert!(!is_placeholder("SELECT 1", Dialect::Postgres));
/// ```
pub fn is_placeholder(sql: &str, dialect: Dialect) -> bool {
    matches!(split(sql, dialect), Ok(statements) if statements.is_empty())
}
