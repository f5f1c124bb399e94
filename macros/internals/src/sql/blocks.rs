//! The blocks that keep a `;` from ending a statement, per dialect: SQLite's
//! `CREATE TRIGGER ... BEGIN ... END`, psql's parentheses, `BEGIN ... END`
//! routine bodies and `COPY ... FROM STDIN`, and the `mysql` client's stored
//! program blocks.

use super::lexer::Token;

/// The words psql records at the start of a statement to recognise
/// `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, each with the letter it records.
const ROUTINE_WORDS: [(&str, u8); 5] = [
    ("create", b'c'),
    ("or", b'o'),
    ("replace", b'r'),
    ("function", b'f'),
    ("procedure", b'p'),
];

/// How far `sqlite3_complete` has got in a statement: only a
/// `CREATE [TEMP] TRIGGER` changes where the statement ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum SqliteState {
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
pub(super) enum CopyState {
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
pub(super) enum Block {
    /// `BEGIN`, `IF`, `LOOP`, `WHILE`, `REPEAT` or a `CASE` statement.
    Compound,
    /// A `CASE` expression: its `THEN` and `ELSE` are followed by
    /// expressions, not statements.
    CaseExpression,
}

/// The statement being read.
#[derive(Debug, Default)]
pub(super) struct Current {
    /// Where its first token starts; `None` while only whitespace and
    /// comments have been read.
    pub(super) start: Option<usize>,
    /// Where its last token ends.
    pub(super) end: usize,
    /// Open parentheses (PostgreSQL, and MySQL routines).
    pub(super) parens: usize,
    pub(super) sqlite: SqliteState,
    /// psql's record of the first identifiers: the first letter of
    /// `create`, `or`, `replace`, `function` and `procedure`, else 0.
    pg_words: [u8; 4],
    pg_word_count: usize,
    /// psql's `begin_depth`.
    pub(super) pg_begin: usize,
    pub(super) pg_copy: CopyState,
    mysql: MysqlHead,
    pub(super) blocks: Vec<Block>,
    /// Whether the next MySQL word starts a statement inside a routine body.
    statement_start: bool,
    /// Whether the last MySQL word closed a block (`END` of `END IF`).
    after_end: bool,
    /// Whether the last MySQL token was `=` or `@`.
    after_assign: bool,
}

impl Current {
    /// Counts an opening or closing parenthesis; other tokens leave the count
    /// as it is. An unbalanced `)` does not go below zero.
    fn count_parens(&mut self, token: Token<'_>) {
        match token {
            Token::Open => self.parens += 1,
            Token::Close => self.parens = self.parens.saturating_sub(1),
            _ => {}
        }
    }

    /// `sqlite3_complete`'s state machine, for `CREATE TRIGGER`.
    pub(super) fn sqlite_token(&mut self, token: Token<'_>) {
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
    pub(super) fn postgres_token(&mut self, token: Token<'_>) {
        let word = match token {
            // psql's identifiers do not start with a digit.
            Token::Word(w) if !w.starts_with(|c: char| c.is_ascii_digit()) => Some(w),
            _ => {
                self.count_parens(token);
                None
            }
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

        if let Some((_, letter)) = ROUTINE_WORDS.iter().find(|(keyword, _)| is(word, keyword))
            && let Some(slot) = self.pg_words.get_mut(self.pg_word_count)
        {
            *slot = *letter;
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
    pub(super) fn mysql_token(&mut self, token: Token<'_>) {
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
            self.count_parens(token);
            self.statement_start = matches!(token, Token::Semi | Token::Colon) && self.parens == 0;
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

fn is(word: &str, keyword: &str) -> bool {
    word.eq_ignore_ascii_case(keyword)
}
