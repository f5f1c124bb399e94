//! The text of a `--sql` script, written for the database's own
//! command-line client (`sqlite3`, `psql`, `mysql`): every statement ends
//! with `;`, and on MySQL a statement holding a `;` outside its strings
//! (a trigger or routine body) is wrapped in `DELIMITER` lines.

use revchain_internals::sql::{Dialect, has_inner_semicolon};

/// A script being written for one dialect's client.
pub(super) struct Script {
    dialect: Dialect,
    text: String,
}

impl Script {
    pub(super) fn new(dialect: Dialect) -> Self {
        Script {
            dialect,
            text: String::new(),
        }
    }

    /// A `--` comment on one line: line breaks and other control
    /// characters in `text` become spaces, so it never spills into SQL.
    pub(super) fn comment(&mut self, text: &str) {
        self.text.push_str("-- ");
        self.text.extend(
            text.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .chain(std::iter::once('\n')),
        );
    }

    pub(super) fn blank(&mut self) {
        self.text.push('\n');
    }

    pub(super) fn begin(&mut self) {
        self.text.push_str(match self.dialect {
            // What the online command's write transactions run.
            Dialect::Sqlite => "BEGIN IMMEDIATE;\n",
            Dialect::Postgres => "BEGIN;\n",
            Dialect::Mysql => "START TRANSACTION;\n",
        });
    }

    pub(super) fn commit(&mut self) {
        self.text.push_str("COMMIT;\n");
    }

    pub(super) fn statements(&mut self, texts: &[impl AsRef<str>]) {
        for text in texts {
            self.statement(text.as_ref());
        }
    }

    /// One statement, verbatim, with a terminator the client accepts. An
    /// empty one is never written.
    pub(super) fn statement(&mut self, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        if self.dialect == Dialect::Mysql && has_inner_semicolon(text, Dialect::Mysql) {
            // The `mysql` client would end the statement at its first `;`:
            // switch to a delimiter the statement does not contain.
            let mut delimiter = "//".to_owned();
            while text.contains(delimiter.as_str()) {
                delimiter.push('/');
            }
            self.text.push_str(&format!(
                "DELIMITER {delimiter}\n{text}\n{delimiter}\nDELIMITER ;\n"
            ));
        } else {
            self.text.push_str(text);
            self.text.push_str(";\n");
        }
    }

    pub(super) fn finish(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_stay_on_one_line() {
        let mut script = Script::new(Dialect::Postgres);
        script.comment("a\nDROP TABLE users;\r\nb");
        assert_eq!(script.finish(), "-- a DROP TABLE users;  b\n");
    }

    #[test]
    fn mysql_statements_with_semicolons_get_a_delimiter_they_do_not_contain() {
        let mut script = Script::new(Dialect::Mysql);
        let body = "CREATE TRIGGER t AFTER UPDATE ON x FOR EACH ROW BEGIN SET @a = 1; END";
        script.statement(body);
        let slashes = "CREATE TRIGGER t AFTER UPDATE ON x FOR EACH ROW BEGIN SET @a = '//'; END";
        script.statement(slashes);
        // A `;` inside a string does not end a statement for `mysql`.
        script.statement("INSERT INTO log VALUES ('DROP TABLE x;')");
        script.statement("  ");
        assert_eq!(
            script.finish(),
            format!(
                "DELIMITER //\n{body}\n//\nDELIMITER ;\nDELIMITER ///\n{slashes}\n///\nDELIMITER ;\nINSERT INTO log VALUES ('DROP TABLE x;');\n"
            )
        );
    }

    #[test]
    fn other_dialects_end_every_statement_with_a_semicolon() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let mut script = Script::new(dialect);
            script.statement("CREATE TRIGGER t AFTER UPDATE ON x BEGIN SELECT 1; END");
            assert_eq!(
                script.finish(),
                "CREATE TRIGGER t AFTER UPDATE ON x BEGIN SELECT 1; END;\n"
            );
        }
    }
}
