//! The lexer: reading one token, comment, string, quoted identifier or dollar
//! quote at a time, as each dialect's command-line client does.

use super::splitter::{Splitter, command_name};
use super::{Dialect, SplitError};

/// A lexical token, as far as the splitter cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Token<'a> {
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

impl<'a> Splitter<'a> {
    /// Reads one token, comment or run of whitespace at `self.pos`.
    pub(super) fn step(&mut self) -> Result<(), SplitError> {
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
    pub(super) fn at_line_start(&self, pos: usize) -> bool {
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
}

/// Whitespace to SQL: ASCII space, tab, line feed, vertical tab, form feed
/// and carriage return. Other Unicode spaces are statement text.
pub(super) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
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
