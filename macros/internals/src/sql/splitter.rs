//! Statement splitting: the splitter's state, the client commands it reads
//! (`DELIMITER`, `sqlite3` dot-commands), where a statement ends, and the
//! statements it collects.

use super::blocks::{CopyState, Current, SqliteState};
use super::lexer::{Token, is_space};
use super::{Dialect, SplitError, Statement};

/// Splits one SQL file: the lexer's position, the client's delimiter and
/// the statement being read.
pub(super) struct Splitter<'a> {
    pub(super) sql: &'a str,
    pub(super) bytes: &'a [u8],
    pub(super) dialect: Dialect,
    pub(super) pos: usize,
    /// Where the content starts: after a byte order mark, if any.
    pub(super) content_start: usize,
    /// The `mysql` client's delimiter.
    pub(super) delimiter: &'a str,
    /// Inside a MySQL `/*! ... */` executable comment.
    pub(super) executable_comment: bool,
    pub(super) current: Current,
    statements: Vec<Statement<'a>>,
    /// Whether a `;` that does not end its statement was read (inside a
    /// trigger or routine body).
    inner_semicolon: bool,
    /// Line counting: newlines before `counted_to`.
    counted_to: usize,
    newlines: usize,
}

const BYTE_ORDER_MARK: &str = "\u{feff}";

impl<'a> Splitter<'a> {
    pub(super) fn new(sql: &'a str, dialect: Dialect) -> Self {
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
            inner_semicolon: false,
            counted_to: 0,
            newlines: 0,
        }
    }

    pub(super) fn run(mut self) -> Result<Vec<Statement<'a>>, SplitError> {
        self.drive()?;
        Ok(self.statements)
    }

    /// Whether the input holds a `;` that ends no statement; `true` when
    /// it cannot be read, which is the careful answer for a script.
    pub(super) fn has_inner_semicolon(mut self) -> bool {
        self.drive().is_err() || self.inner_semicolon
    }

    fn drive(&mut self) -> Result<(), SplitError> {
        while self.pos < self.bytes.len() {
            let before = self.pos;
            self.step()?;
            if self.pos <= before {
                // Every step consumes input; this only keeps the loop finite
                // should one ever fail to.
                self.pos = next_char_boundary(self.sql, before);
            }
        }
        self.finish()
    }

    pub(super) fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    pub(super) fn starts_with_at(&self, at: usize, prefix: &[u8]) -> bool {
        self.bytes
            .get(at..)
            .is_some_and(|rest| rest.starts_with(prefix))
    }

    /// The position of the `\n` ending the line that holds `at`, or the end.
    pub(super) fn line_end(&self, at: usize) -> usize {
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
            .iter()
            .take(at)
            .skip(self.counted_to)
            .filter(|&&b| b == b'\n')
            .count();
        self.counted_to = at;
        self.newlines + 1
    }

    pub(super) fn error(&mut self, at: usize, message: impl FnOnce(usize) -> String) -> SplitError {
        let line = self.line_at(at);
        SplitError {
            line,
            message: message(line),
        }
    }

    /// Handles a client command at the start of a statement; returns whether
    /// there was one.
    pub(super) fn client_command(&mut self, pos: usize, byte: u8) -> Result<bool, SplitError> {
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
    pub(super) fn terminator_at(&self, pos: usize, byte: u8) -> Option<usize> {
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

    /// Records a token of the current statement spanning `start..end`.
    pub(super) fn token(&mut self, start: usize, end: usize, token: Token<'a>) {
        if self.current.start.is_none() {
            self.current.start = Some(start);
        }
        self.current.end = end;
        self.pos = end;
        self.inner_semicolon |= token == Token::Semi;
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
    pub(super) fn finish(&mut self) -> Result<(), SplitError> {
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

fn next_char_boundary(text: &str, at: usize) -> usize {
    let mut next = at + 1;
    while next < text.len() && !text.is_char_boundary(next) {
        next += 1;
    }
    next
}

/// The client command starting at `at`, for messages: up to the next
/// whitespace, at most 40 characters.
pub(super) fn command_name(sql: &str, at: usize) -> &str {
    let rest = sql.get(at..).unwrap_or("");
    let word = rest
        .split_once(char::is_whitespace)
        .map_or(rest, |(word, _)| word);
    match word.char_indices().nth(40) {
        // `char_indices` gives character boundaries only.
        Some((cut, _)) => word.split_at(cut).0,
        None => word,
    }
}
