//! `revchain_internals::sql::split` on garbage: it never panics, never loops
//! forever, and always returns in-bounds, increasing spans.

// The helpers below are test code too: a failed check should fail the test.
#![allow(clippy::unwrap_used, clippy::panic)]

use proptest::prelude::*;
use revchain_internals::sql::{Dialect, split};

const ALL: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql];

/// Tricky fragments: every construct the splitter knows, opened and closed
/// in every order.
const FRAGMENTS: &[&str] = &[
    ";",
    ";;",
    " ",
    "\n",
    "\r\n",
    "\t",
    "'",
    "''",
    "\"",
    "`",
    "[",
    "]",
    "(",
    ")",
    "$",
    "$$",
    "$a$",
    "$1",
    "$tag$",
    "E'",
    "e'\\'",
    "\\",
    "\\\\",
    "\\connect x\n",
    ".mode\n",
    "/*",
    "*/",
    "/*!",
    "/*!40101",
    "/*M!100",
    "--",
    "-- x\n",
    "#",
    "# y\n",
    "--\n",
    "BEGIN",
    "begin",
    "END",
    "end",
    "CASE",
    "IF",
    "IF(",
    "LOOP",
    "WHILE",
    "REPEAT",
    "THEN",
    "ELSE",
    "DO",
    "ROW",
    "NOT",
    "ATOMIC",
    "CREATE",
    "OR",
    "REPLACE",
    "FUNCTION",
    "PROCEDURE",
    "TRIGGER",
    "EVENT",
    "TEMP",
    "EXPLAIN",
    "DEFINER",
    "=",
    "@",
    ":",
    ":=",
    "COPY",
    "FROM",
    "STDIN",
    "DELIMITER",
    "DELIMITER //\n",
    "DELIMITER ;\n",
    "DELIMITER $$\n",
    "delimiter ;;\n",
    "DELIMITER\n",
    "//",
    "x",
    "select",
    "1",
    "é",
    "日本",
    "\u{feff}",
    "\0",
    "\u{7f}",
    "a$b",
    "U&'",
    "N'",
];

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn generate(rng: &mut XorShift) -> String {
    let mut sql = String::new();
    for _ in 0..rng.below(40) {
        sql.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
        if rng.below(4) == 0 {
            sql.push(' ');
        }
    }
    sql
}

fn check(sql: &str, dialect: Dialect) {
    let Ok(statements) = split(sql, dialect) else {
        return;
    };
    let mut previous_end = 0;
    for statement in &statements {
        let span = statement.span.clone();
        assert!(
            previous_end <= span.start && span.start < span.end && span.end <= sql.len(),
            "{dialect}: bad span {span:?} after {previous_end} in {sql:?}"
        );
        assert_eq!(sql.get(span.clone()), Some(statement.text), "{sql:?}");
        assert_eq!(
            statement.text,
            statement
                .text
                .trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')),
            "{sql:?}"
        );
        assert_eq!(
            statement.line,
            1 + sql[..span.start].matches('\n').count(),
            "{sql:?}"
        );
        previous_end = span.end;
    }
}

#[test]
fn random_fragment_soup_never_panics_and_keeps_spans_in_order() {
    let mut rng = XorShift(0x5eed_cafe_f00d_1234);
    for _ in 0..30_000 {
        let sql = generate(&mut rng);
        for dialect in ALL {
            check(&sql, dialect);
        }
    }
}

#[test]
fn large_inputs_are_split_in_linear_time() {
    let mut rng = XorShift(42);
    let mut sql = String::new();
    while sql.len() < 2_000_000 {
        sql.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
    }
    let repeated = "CREATE TABLE t (a INT); -- c\n".repeat(50_000);
    let start = std::time::Instant::now();
    for dialect in ALL {
        check(&sql, dialect);
        assert_eq!(split(&repeated, dialect).map(|s| s.len()), Ok(50_000));
    }
    // Generous: a few hundred milliseconds in debug builds when linear.
    assert!(start.elapsed().as_secs() < 60, "{:?}", start.elapsed());
}

proptest! {
    #[test]
    fn arbitrary_strings_never_panic(sql in ".{0,200}") {
        for dialect in ALL {
            check(&sql, dialect);
        }
    }

    #[test]
    fn arbitrary_ascii_punctuation_never_panics(sql in "[-;'\"`$/*#\\\\()\\[\\]a-eE:=@ \n]{0,120}") {
        for dialect in ALL {
            check(&sql, dialect);
        }
    }
}
