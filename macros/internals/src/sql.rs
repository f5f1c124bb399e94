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
    Splitter::new(sql, dialect).run()
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

/// A lexical token, as far as the splitter cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token<'a> {
    /// A bare word: a keyword, an identifier or a number.
    Word(&'a str),
    /// A `;` that does not end the statement.
    Semi,
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// A `:` that is not part of `:=` (a MySQL label).
    Colon,
    /// `=` or `@` (MySQL `DEFINER = user@host`).
    Assign,
    /// Anything else: strings, quoted identifiers, operators.
    Other,
}

/// How far `sqlite3_complete` has got in a statement: only a
/// `CREATE [TEMP] TRIGGER` changes where the statement ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum SqliteState {
    #[default]
    Start,
    Explain,
    Create,
    Normal,
    /// Inside a trigger; the last token was not `;`.
    Trigger,
    /// Inside a trigger, right after a `;`.
    TriggerSemi,
    /// Inside a trigger, right after `; END`: the next `;` ends it.
    TriggerEnd,
}

/// psql's tracking of `COPY ... FROM STDIN`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum CopyState {
    #[default]
    None,
    Copy,
    From,
    Stdin,
}

/// What the first words of a MySQL statement say about its body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum MysqlHead {
    #[default]
    Start,
    /// After a leading `BEGIN`: a transaction unless `NOT ATOMIC` follows.
    Begin,
    /// After `CREATE` or `ALTER`, before the kind of object.
    Create,
    /// A stored program or compound statement: blocks are tracked.
    Routine,
    /// Anything else: the next `;` ends it.
    Plain,
}

/// An open MySQL compound-statement block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Block {
    /// `BEGIN`, `IF`, `LOOP`, `WHILE`, `REPEAT` or a `CASE` statement.
    Compound,
    /// A `CASE` expression: its `THEN` and `ELSE` are followed by
    /// expressions, not statements.
    CaseExpression,
}

/// The statement being read.
#[derive(Debug, Default)]
struct Current {
    /// Where its first token starts; `None` while only whitespace and
    /// comments have been read.
    start: Option<usize>,
    /// Where its last token ends.
    end: usize,
    /// Open parentheses (PostgreSQL, and MySQL routines).
    parens: usize,
    sqlite: SqliteState,
    /// psql's record of the first identifiers: the first letter of
    /// `create`, `or`, `replace`, `function` and `procedure`, else 0.
    pg_words: [u8; 4],
    pg_word_count: usize,
    /// psql's `begin_depth`.
    pg_begin: usize,
    pg_copy: CopyState,
    mysql: MysqlHead,
    blocks: Vec<Block>,
    /// Whether the next MySQL word starts a statement inside a routine body.
    statement_start: bool,
    /// Whether the last MySQL word closed a block (`END` of `END IF`).
    after_end: bool,
    /// Whether the last MySQL token was `=` or `@`.
    after_assign: bool,
}

struct Splitter<'a> {
    sql: &'a str,
    bytes: &'a [u8],
    dialect: Dialect,
    pos: usize,
    /// Where the content starts: after a byte order mark, if any.
    content_start: usize,
    /// The `mysql` client's delimiter.
    delimiter: &'a str,
    /// Inside a MySQL `/*! ... */` executable comment.
    executable_comment: bool,
    current: Current,
    statements: Vec<Statement<'a>>,
    /// Line counting: newlines before `counted_to`.
    counted_to: usize,
    newlines: usize,
}

const BYTE_ORDER_MARK: &str = "\u{feff}";

impl<'a> Splitter<'a> {
    fn new(sql: &'a str, dialect: Dialect) -> Self {
        let content_start = if sql.starts_with(BYTE_ORDER_MARK) {
            BYTE_ORDER_MARK.len()
        } else {
            0
        };
        Splitter {
            sql,
            bytes: sql.as_bytes(),
            dialect,
            pos: content_start,
            content_start,
            delimiter: ";",
            executable_comment: false,
            current: Current::default(),
            statements: Vec::new(),
            counted_to: 0,
            newlines: 0,
        }
    }

    fn run(mut self) -> Result<Vec<Statement<'a>>, SplitError> {
        while self.pos < self.bytes.len() {
            let before = self.pos;
            self.step()?;
            if self.pos <= before {
                // Every step consumes input; this only keeps the loop finite
                // should one ever fail to.
                self.pos = next_char_boundary(self.sql, before);
            }
        }
        self.finish()?;
        Ok(self.statements)
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    fn starts_with_at(&self, at: usize, prefix: &[u8]) -> bool {
        self.bytes
            .get(at..)
            .is_some_and(|rest| rest.starts_with(prefix))
    }

    /// The position of the `\n` ending the line that holds `at`, or the end.
    fn line_end(&self, at: usize) -> usize {
        self.bytes
            .get(at..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(self.bytes.len(), |offset| at + offset)
    }

    /// The 1-based line of byte `at`.
    fn line_at(&mut self, at: usize) -> usize {
        if at < self.counted_to {
            self.counted_to = 0;
            self.newlines = 0;
        }
        let at = at.min(self.bytes.len());
        self.newlines += self
            .bytes
            .get(self.counted_to..at)
            .map_or(0, |bytes| bytes.iter().filter(|&&b| b == b'\n').count());
        self.counted_to = at;
        self.newlines + 1
    }

    fn error(&mut self, at: usize, message: impl FnOnce(usize) -> String) -> SplitError {
        let line = self.line_at(at);
        SplitError {
            line,
            message: message(line),
        }
    }

    /// Reads one token, comment or run of whitespace at `self.pos`.
    fn step(&mut self) -> Result<(), SplitError> {
        let pos = self.pos;
        let Some(byte) = self.byte(pos) else {
            self.pos = self.bytes.len();
            return Ok(());
        };
        if self.current.start.is_none() && self.client_command(pos, byte)? {
            return Ok(());
        }
        if let Some(len) = self.terminator_at(pos, byte) {
            self.finish()?;
            self.pos = pos + len;
            return Ok(());
        }
        let next = self.byte(pos + 1);
        let dialect = self.dialect;
        match byte {
            _ if is_space(char::from(byte)) => self.pos = pos + 1,
            b'-' if next == Some(b'-') && self.dash_comment(pos) => self.pos = self.line_end(pos),
            b'#' if dialect == Dialect::Mysql => self.pos = self.line_end(pos),
            b'/' if next == Some(b'*') => self.block_comment(pos),
            b'*' if self.executable_comment && next == Some(b'/') => {
                self.executable_comment = false;
                self.token(pos, pos + 2, Token::Other);
            }
            b'\'' => {
                let end = self.quoted(pos, b'\'', dialect == Dialect::Mysql);
                self.token(pos, end, Token::Other);
            }
            b'"' => {
                let end = self.quoted(pos, b'"', dialect == Dialect::Mysql);
                self.token(pos, end, Token::Other);
            }
            b'`' if dialect != Dialect::Postgres => {
                let end = self.quoted(pos, b'`', false);
                self.token(pos, end, Token::Other);
            }
            b'[' if dialect == Dialect::Sqlite => {
                let end = self
                    .bytes
                    .get(pos + 1..)
                    .and_then(|rest| rest.iter().position(|&b| b == b']'))
                    .map_or(self.bytes.len(), |offset| pos + 1 + offset + 1);
                self.token(pos, end, Token::Other);
            }
            b'$' if dialect == Dialect::Postgres => {
                let end = self.dollar_quote(pos).unwrap_or(pos + 1);
                self.token(pos, end, Token::Other);
            }
            b'\\' if dialect == Dialect::Postgres => {
                let name = command_name(self.sql, pos);
                return Err(self.error(pos, |line| {
                    format!("psql meta-command `{name}` on line {line} cannot be run by revchain")
                }));
            }
            // `\N` is MySQL's old spelling of `NULL`.
            b'\\' if dialect == Dialect::Mysql && next == Some(b'N') => {
                self.token(pos, pos + 2, Token::Other);
            }
            b'\\' if dialect == Dialect::Mysql => {
                let name = command_name(self.sql, pos);
                return Err(self.error(pos, |line| {
                    format!(
                        "mysql client command `{name}` on line {line} cannot be run by revchain"
                    )
                }));
            }
            b'(' => self.token(pos, pos + 1, Token::Open),
            b')' => self.token(pos, pos + 1, Token::Close),
            b';' => self.token(pos, pos + 1, Token::Semi),
            b':' if next == Some(b'=') => self.token(pos, pos + 2, Token::Other),
            b':' => self.token(pos, pos + 1, Token::Colon),
            b'=' | b'@' => self.token(pos, pos + 1, Token::Assign),
            _ if is_word_byte(byte) => self.word(pos),
            _ => self.token(pos, pos + 1, Token::Other),
        }
        Ok(())
    }

    /// Handles a client command at the start of a statement; returns whether
    /// there was one.
    fn client_command(&mut self, pos: usize, byte: u8) -> Result<bool, SplitError> {
        match self.dialect {
            Dialect::Mysql if matches!(byte, b'd' | b'D') => self.delimiter_command(pos),
            Dialect::Sqlite if byte == b'.' && self.at_line_start(pos) => {
                let name = command_name(self.sql, pos);
                Err(self.error(pos, |line| {
                    format!("sqlite3 dot-command `{name}` on line {line} cannot be run by revchain")
                }))
            }
            _ => Ok(false),
        }
    }

    /// The `mysql` client's `DELIMITER <string>` command.
    fn delimiter_command(&mut self, pos: usize) -> Result<bool, SplitError> {
        const COMMAND: &[u8] = b"delimiter";
        let is_command = self
            .bytes
            .get(pos..pos + COMMAND.len())
            .is_some_and(|word| word.eq_ignore_ascii_case(COMMAND))
            && matches!(
                self.byte(pos + COMMAND.len()),
                None | Some(b' ' | b'\t' | b'\r' | b'\n')
            );
        if !is_command {
            return Ok(false);
        }
        let line_end = self.line_end(pos);
        let mut start = pos + COMMAND.len();
        while matches!(self.byte(start), Some(b' ' | b'\t')) && start < line_end {
            start += 1;
        }
        let argument = match self.byte(start) {
            Some(quote @ (b'\'' | b'"' | b'`')) if start < line_end => {
                let inner = start + 1;
                let close = self
                    .bytes
                    .get(inner..line_end)
                    .and_then(|rest| rest.iter().position(|&b| b == quote))
                    .map_or(line_end, |offset| inner + offset);
                self.sql.get(inner..close).unwrap_or("").trim()
            }
            _ => {
                let end = self
                    .bytes
                    .get(start..line_end)
                    .and_then(|rest| rest.iter().position(u8::is_ascii_whitespace))
                    .map_or(line_end, |offset| start + offset);
                self.sql.get(start..end).unwrap_or("")
            }
        };
        if argument.is_empty() {
            return Err(self.error(pos, |line| {
                format!("`DELIMITER` on line {line} must be followed by the new delimiter")
            }));
        }
        if argument.contains('\\') {
            return Err(self.error(pos, |line| {
                format!("the delimiter `{argument}` on line {line} cannot contain a backslash")
            }));
        }
        self.delimiter = argument;
        self.pos = line_end;
        Ok(true)
    }

    /// The length of the terminator at `pos`, if one ends the statement there.
    fn terminator_at(&self, pos: usize, byte: u8) -> Option<usize> {
        let current = &self.current;
        let ends = match self.dialect {
            Dialect::Sqlite => {
                byte == b';'
                    && !matches!(
                        current.sqlite,
                        SqliteState::Trigger | SqliteState::TriggerSemi
                    )
            }
            Dialect::Postgres => byte == b';' && current.parens == 0 && current.pg_begin == 0,
            Dialect::Mysql => {
                self.starts_with_at(pos, self.delimiter.as_bytes())
                    && (self.delimiter != ";" || current.blocks.is_empty())
            }
        };
        ends.then_some(match self.dialect {
            Dialect::Mysql => self.delimiter.len(),
            Dialect::Sqlite | Dialect::Postgres => 1,
        })
    }

    /// Whether the `--` at `pos` starts a comment: in MySQL, only when
    /// followed by whitespace, a control character or the end, or (as the
    /// `mysql` client skips such lines) when it starts a line between
    /// statements, as in `----------`.
    fn dash_comment(&self, pos: usize) -> bool {
        self.dialect != Dialect::Mysql
            || self.byte(pos + 2).is_none_or(|b| b <= b' ')
            || (self.current.start.is_none() && self.at_line_start(pos))
    }

    /// Whether `pos` is the first byte of a line.
    fn at_line_start(&self, pos: usize) -> bool {
        pos == self.content_start || self.byte(pos.wrapping_sub(1)) == Some(b'\n')
    }

    /// Reads the block comment at `pos`. MySQL's `/*!` and `/*M!` open
    /// executable comments, read as statement text.
    fn block_comment(&mut self, pos: usize) {
        if self.dialect == Dialect::Mysql {
            let opener = if self.starts_with_at(pos, b"/*!") {
                3
            } else if self.starts_with_at(pos, b"/*M!") {
                4
            } else {
                0
            };
            if opener > 0 {
                let mut end = pos + opener;
                while self.byte(end).is_some_and(|b| b.is_ascii_digit()) {
                    end += 1;
                }
                self.executable_comment = true;
                self.token(pos, end, Token::Other);
                return;
            }
        }
        let nests = self.dialect == Dialect::Postgres;
        let mut depth = 1usize;
        let mut at = pos + 2;
        while let Some(byte) = self.byte(at) {
            let next = self.byte(at + 1);
            if byte == b'*' && next == Some(b'/') {
                depth -= 1;
                at += 2;
                if depth == 0 {
                    self.pos = at;
                    return;
                }
            } else if nests && byte == b'/' && next == Some(b'*') {
                depth += 1;
                at += 2;
            } else {
                at += 1;
            }
        }
        if self.dialect == Dialect::Sqlite {
            // SQLite reads an unterminated comment as a comment to the end.
            self.pos = self.bytes.len();
        } else {
            // An error for the database to report.
            self.token(pos, self.bytes.len(), Token::Other);
        }
    }

    /// The end of the quoted string or identifier opened at `pos`, or the end
    /// of the input if it is not closed. A doubled quote stands for itself;
    /// with `backslash`, a backslash escapes the next byte.
    fn quoted(&self, pos: usize, quote: u8, backslash: bool) -> usize {
        let mut at = pos + 1;
        while let Some(byte) = self.byte(at) {
            if backslash && byte == b'\\' {
                at += 2;
            } else if byte == quote {
                if self.byte(at + 1) == Some(quote) {
                    at += 2;
                } else {
                    return at + 1;
                }
            } else {
                at += 1;
            }
        }
        self.bytes.len()
    }

    /// The end of the PostgreSQL dollar-quoted string at `pos`, or `None` if
    /// the `$` does not open one (as in `$1`).
    fn dollar_quote(&self, pos: usize) -> Option<usize> {
        let mut at = pos + 1;
        if self.byte(at).is_some_and(is_tag_start) {
            at += 1;
            while self.byte(at).is_some_and(is_tag_continue) {
                at += 1;
            }
        }
        if self.byte(at) != Some(b'$') {
            return None;
        }
        let tag = self.sql.get(pos..=at)?;
        let body = at + 1;
        Some(
            self.sql
                .get(body..)?
                .find(tag)
                .map_or(self.bytes.len(), |offset| body + offset + tag.len()),
        )
    }

    /// Reads the word at `pos`; in PostgreSQL, `E'...'` is an escape string.
    fn word(&mut self, pos: usize) {
        let custom_delimiter = (self.dialect == Dialect::Mysql && self.delimiter != ";")
            .then_some(self.delimiter.as_bytes());
        // In PostgreSQL, `$` continues identifiers but not numbers, and a
        // number ends at its first letter: `1$$` is a number and a dollar
        // quote, `1a$b$` a number and an identifier.
        let number =
            self.dialect == Dialect::Postgres && self.byte(pos).is_some_and(|b| b.is_ascii_digit());
        let mut end = pos + 1;
        while let Some(byte) = self.byte(end) {
            if !is_word_byte(byte)
                || (number && !(byte.is_ascii_digit() || byte == b'_'))
                || custom_delimiter.is_some_and(|delimiter| self.starts_with_at(end, delimiter))
            {
                break;
            }
            end += 1;
        }
        let word = self.sql.get(pos..end).unwrap_or("");
        if self.dialect == Dialect::Postgres
            && matches!(word, "E" | "e")
            && self.byte(end) == Some(b'\'')
        {
            let close = self.quoted(end, b'\'', true);
            self.token(pos, close, Token::Other);
        } else {
            self.token(pos, end, Token::Word(word));
        }
    }

    /// Records a token of the current statement spanning `start..end`.
    fn token(&mut self, start: usize, end: usize, token: Token<'a>) {
        if self.current.start.is_none() {
            self.current.start = Some(start);
        }
        self.current.end = end;
        self.pos = end;
        match self.dialect {
            Dialect::Sqlite => self.current.sqlite_token(token),
            Dialect::Postgres => self.current.postgres_token(token),
            Dialect::Mysql => {
                if self.delimiter == ";" {
                    self.current.mysql_token(token);
                }
            }
        }
    }

    /// Ends the current statement, if it has a token.
    fn finish(&mut self) -> Result<(), SplitError> {
        let current = std::mem::take(&mut self.current);
        let Some(start) = current.start else {
            return Ok(());
        };
        if current.pg_copy == CopyState::Stdin {
            return Err(self.error(start, |line| {
                format!(
                    "`COPY ... FROM STDIN` on line {line} reads its rows from psql, which revchain cannot do: write them as `INSERT` statements"
                )
            }));
        }
        let line = self.line_at(start);
        // Only an unterminated string or comment can end in whitespace.
        if let Some(text) = self
            .sql
            .get(start..current.end)
            .map(|text| text.trim_end_matches(is_space))
        {
            self.statements.push(Statement {
                text,
                line,
                span: start..start + text.len(),
            });
        }
        Ok(())
    }
}

impl Current {
    /// `sqlite3_complete`'s state machine, for `CREATE TRIGGER`.
    fn sqlite_token(&mut self, token: Token<'_>) {
        use SqliteState::*;
        self.sqlite = match (self.sqlite, token) {
            (Start, Token::Word(w)) if is(w, "create") => Create,
            (Start, Token::Word(w)) if is(w, "explain") => Explain,
            (Explain, Token::Word(w)) if is(w, "create") => Create,
            (Create, Token::Word(w)) if is(w, "temp") || is(w, "temporary") => Create,
            (Create, Token::Word(w)) if is(w, "trigger") => Trigger,
            (Start | Explain | Create | Normal, _) => Normal,
            (Trigger | TriggerSemi | TriggerEnd, Token::Semi) => TriggerSemi,
            (TriggerSemi, Token::Word(w)) if is(w, "end") => TriggerEnd,
            (Trigger | TriggerSemi | TriggerEnd, _) => Trigger,
        };
    }

    /// psql's tracking of parentheses, `BEGIN ... END` in
    /// `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, and `COPY ... FROM STDIN`.
    fn postgres_token(&mut self, token: Token<'_>) {
        let word = match token {
            Token::Open => {
                self.parens += 1;
                None
            }
            Token::Close => {
                self.parens = self.parens.saturating_sub(1);
                None
            }
            // psql's identifiers do not start with a digit.
            Token::Word(w) if !w.starts_with(|c: char| c.is_ascii_digit()) => Some(w),
            _ => None,
        };
        let Some(word) = word else {
            if self.pg_copy == CopyState::From {
                self.pg_copy = CopyState::Copy;
            }
            return;
        };

        if self.pg_word_count == 0 && is(word, "copy") {
            self.pg_copy = CopyState::Copy;
        } else {
            self.pg_copy = match self.pg_copy {
                CopyState::Copy | CopyState::From if is(word, "from") && self.parens == 0 => {
                    CopyState::From
                }
                CopyState::From if is(word, "stdin") => CopyState::Stdin,
                CopyState::From => CopyState::Copy,
                state => state,
            };
        }

        if ["create", "or", "replace", "function", "procedure"]
            .iter()
            .any(|keyword| is(word, keyword))
            && let Some(slot) = self.pg_words.get_mut(self.pg_word_count)
        {
            *slot = word.as_bytes().first().map_or(0, u8::to_ascii_lowercase);
        }
        self.pg_word_count += 1;
        let [first, second, third, fourth] = self.pg_words;
        let routine = first == b'c'
            && (matches!(second, b'f' | b'p')
                || (second == b'o' && third == b'r' && matches!(fourth, b'f' | b'p')));
        if routine && self.parens == 0 {
            if is(word, "begin") {
                self.pg_begin += 1;
            } else if is(word, "case") {
                if self.pg_begin >= 1 {
                    self.pg_begin += 1;
                }
            } else if is(word, "end") {
                self.pg_begin = self.pg_begin.saturating_sub(1);
            }
        }
    }

    /// Finds out whether a MySQL statement is a stored program, and tracks
    /// its blocks if it is.
    fn mysql_token(&mut self, token: Token<'_>) {
        let after_assign = std::mem::replace(&mut self.after_assign, token == Token::Assign);
        match self.mysql {
            MysqlHead::Start => match token {
                Token::Word(w) if is(w, "create") || is(w, "alter") => {
                    self.mysql = MysqlHead::Create;
                }
                Token::Word(w) if is(w, "begin") => self.mysql = MysqlHead::Begin,
                // MariaDB runs compound statements outside stored programs.
                Token::Word(w)
                    if ["if", "case", "loop", "while", "repeat"]
                        .iter()
                        .any(|k| is(w, k)) =>
                {
                    self.mysql = MysqlHead::Routine;
                    self.statement_start = true;
                    self.mysql_body(token);
                }
                _ => self.mysql = MysqlHead::Plain,
            },
            MysqlHead::Begin => match token {
                Token::Word(w) if is(w, "not") => {
                    self.mysql = MysqlHead::Routine;
                    self.blocks.push(Block::Compound);
                }
                _ => self.mysql = MysqlHead::Plain,
            },
            MysqlHead::Create => match token {
                Token::Word(_) if after_assign => {}
                Token::Word(w)
                    if ["procedure", "function", "trigger", "event"]
                        .iter()
                        .any(|k| is(w, k)) =>
                {
                    self.mysql = MysqlHead::Routine;
                }
                Token::Word(w)
                    if [
                        "or",
                        "replace",
                        "definer",
                        "current_user",
                        "current_role",
                        "sql",
                        "security",
                        "invoker",
                        "aggregate",
                    ]
                    .iter()
                    .any(|k| is(w, k)) => {}
                Token::Word(_) => self.mysql = MysqlHead::Plain,
                _ => {}
            },
            MysqlHead::Routine => self.mysql_body(token),
            MysqlHead::Plain => {}
        }
    }

    /// Tracks the blocks of a MySQL stored program body.
    fn mysql_body(&mut self, token: Token<'_>) {
        let after_end = std::mem::take(&mut self.after_end);
        let Token::Word(w) = token else {
            self.statement_start = match token {
                Token::Semi | Token::Colon => self.parens == 0,
                Token::Open => {
                    self.parens += 1;
                    false
                }
                Token::Close => {
                    self.parens = self.parens.saturating_sub(1);
                    false
                }
                _ => false,
            };
            return;
        };
        let any = |keywords: &[&str]| keywords.iter().any(|k| is(w, k));
        if after_end && any(&["if", "case", "loop", "while", "repeat"]) {
            // The second word of `END IF`, `END CASE`, ...
            self.statement_start = false;
            return;
        }
        let in_case_expression = self.blocks.last() == Some(&Block::CaseExpression);
        if is(w, "begin") {
            self.blocks.push(Block::Compound);
        } else if is(w, "case") {
            self.blocks.push(if self.statement_start {
                Block::Compound
            } else {
                Block::CaseExpression
            });
        } else if self.statement_start && any(&["if", "loop", "while", "repeat"]) {
            self.blocks.push(Block::Compound);
        } else if is(w, "end") && self.blocks.pop().is_some() {
            self.after_end = true;
        }
        self.statement_start = self.parens == 0
            && (any(&["begin", "do", "loop", "repeat", "row", "atomic"])
                || (any(&["then", "else"]) && !in_case_expression));
    }
}

/// Whitespace to SQL: ASCII space, tab, line feed, vertical tab, form feed
/// and carriage return. Other Unicode spaces are statement text.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

fn is(word: &str, keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword)
}

/// Bytes of bare words: ASCII letters, digits, `_`, `$` and all of non-ASCII.
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'$') || byte >= 0x80
}

fn is_tag_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80
}

fn is_tag_continue(byte: u8) -> bool {
    is_tag_start(byte) || byte.is_ascii_digit()
}

fn next_char_boundary(text: &str, at: usize) -> usize {
    let mut next = at + 1;
    while next < text.len() && !text.is_char_boundary(next) {
        next += 1;
    }
    next
}

/// The client command starting at `at`, for messages: up to the next
/// whitespace, at most 40 characters.
fn command_name(sql: &str, at: usize) -> &str {
    let rest = sql.get(at..).unwrap_or("");
    let word = rest
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap_or(rest);
    match word.char_indices().nth(40) {
        Some((cut, _)) => word.get(..cut).unwrap_or(word),
        None => word,
    }
}
