//! The offline SQL mode, Alembic's `upgrade head --sql`: the script an
//! `upgrade`, `downgrade` or `stamp` would run, for one dialect, with no
//! connection.
//!
//! The script holds the very statements the online command sends, in the
//! same transactions: the bookkeeping tables, then per revision its
//! statements as the splitter finds them and its bookkeeping. It is written
//! for the database's own command-line client (`sqlite3`, `psql`, `mysql`):
//! every statement ends with `;`, and on MySQL a statement holding a `;`
//! (a trigger or routine body) is wrapped in `DELIMITER` lines.

use revchain_internals::sql::Dialect;

use crate::bookkeeping::{Bookkeeping, LogKind};
use crate::error::{Direction, Error};
use crate::migrator::{runs_atomically, statements};
use crate::{Migrator, Revision, Target};

impl Migrator<'_> {
    /// The script [`upgrade`](Self::upgrade) would run on a `dialect`
    /// database from `from` to `to`, without connecting to one.
    ///
    /// `from` is where the database is: `None` for base, or a target string
    /// (see [`Target`]) whose relative forms count from base. `to` is a
    /// target string whose relative forms count from `from`. The script
    /// creates the bookkeeping tables if they are missing and then runs each
    /// revision exactly as the online command does: with its bookkeeping in
    /// one transaction, marked dirty first where its SQL cannot be rolled
    /// back (MySQL, `run_in_transaction = false`), or all in one transaction
    /// in single-transaction mode. The log records a duration of 0.
    ///
    /// Apply it with `sqlite3 -bail <file>`, `psql -v ON_ERROR_STOP=1` or
    /// `mysql`, reading the script from standard input.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use diesel::Connection;
    /// use diesel::connection::SimpleConnection;
    /// use revchain::{Dialect, Migrator};
    ///
    /// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
    ///
    /// let migrator = Migrator::new(&REVISIONS);
    /// let script = migrator.upgrade_sql(Dialect::Sqlite, None, "head").unwrap();
    /// let root = REVISIONS.iter().next().unwrap();
    /// assert!(script.starts_with("-- revchain: upgrade base -> "));
    /// assert!(script.contains(&format!("-- Running upgrade base -> {}, {}\n", root.id(), root.message())));
    ///
    /// // The script brings a database to head, as `upgrade` would.
    /// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
    /// conn.batch_execute(&script).unwrap();
    /// assert!(migrator.is_at_head(&mut conn).unwrap());
    /// # }
    /// ```
    pub fn upgrade_sql(
        &self,
        dialect: Dialect,
        from: Option<&str>,
        to: &str,
    ) -> Result<String, Error> {
        let from = match from {
            None => None,
            Some(from) => from.parse::<Target>()?.resolve(self.revisions(), None)?,
        };
        let goal = to.parse::<Target>()?.resolve(self.revisions(), from)?;
        let positions = self.plan(Direction::Up, from, goal)?;
        self.offline_script(dialect, Direction::Up, from, goal, &positions)
    }

    /// The script [`downgrade`](Self::downgrade) would run on a `dialect`
    /// database from `from` to `to`, without connecting to one.
    ///
    /// Both ends are required, as in Alembic's offline mode: `from` is a
    /// target string whose relative forms count from base, `to` one whose
    /// relative forms count from `from`. Refuses a revision without
    /// `down.sql` ([`Error::Irreversible`]) and a `to` above `from`
    /// ([`Error::WrongDirection`]), like the online command.
    ///
    /// ```
    /// use revchain::{Dialect, Error, Migrator};
    ///
    /// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
    ///
    /// let migrator = Migrator::new(&REVISIONS);
    /// let script = migrator.downgrade_sql(Dialect::Postgres, "head", "base").unwrap();
    /// let head = REVISIONS.head().unwrap();
    /// assert!(script.contains(&format!("-- Running downgrade {} -> ", head.id())));
    /// assert!(matches!(
    ///     migrator.downgrade_sql(Dialect::Postgres, "base", "head"),
    ///     Err(Error::WrongDirection { .. })
    /// ));
    /// ```
    pub fn downgrade_sql(&self, dialect: Dialect, from: &str, to: &str) -> Result<String, Error> {
        let from = from.parse::<Target>()?.resolve(self.revisions(), None)?;
        let goal = to.parse::<Target>()?.resolve(self.revisions(), from)?;
        let positions = self.plan(Direction::Down, from, goal)?;
        self.offline_script(dialect, Direction::Down, from, goal, &positions)
    }

    /// The script [`stamp`](Self::stamp) would run on a `dialect` database,
    /// without connecting to one: the bookkeeping tables if missing, then
    /// the version row set to `to` (and, for a revision, a `stamp` line in
    /// the log) in one transaction. No revision's SQL runs, as in Alembic's
    /// `stamp --sql`.
    ///
    /// `from` is where the database is, only to count `to`'s relative forms
    /// from (`None`: base); `to` is a target string (see [`Target`]). With
    /// `purge`, the version table is emptied and its row written anew first,
    /// as [`stamp`](Self::stamp) does.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use diesel::Connection;
    /// use diesel::connection::SimpleConnection;
    /// use revchain::{Dialect, Migrator};
    ///
    /// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
    ///
    /// let migrator = Migrator::new(&REVISIONS);
    /// let script = migrator.stamp_sql(Dialect::Sqlite, None, "head", false).unwrap();
    /// assert!(script.starts_with("-- revchain: stamp -> "));
    ///
    /// // The script records head without creating any of the schema.
    /// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
    /// conn.batch_execute(&script).unwrap();
    /// assert!(migrator.is_at_head(&mut conn).unwrap());
    /// # }
    /// ```
    pub fn stamp_sql(
        &self,
        dialect: Dialect,
        from: Option<&str>,
        to: &str,
        purge: bool,
    ) -> Result<String, Error> {
        let from = match from {
            None => None,
            Some(from) => from.parse::<Target>()?.resolve(self.revisions(), None)?,
        };
        let goal = to.parse::<Target>()?.resolve(self.revisions(), from)?;
        let revision = goal.map(|p| &self.revisions().as_slice()[p]);

        let bk = self.bookkeeping(dialect);
        let mut script = Script::new(dialect);
        script.comment(&format!(
            "revchain: stamp -> {} ({dialect}){}",
            self.offline_name(goal),
            if purge {
                ", purging the version table first"
            } else {
                ""
            }
        ));
        self.offline_preamble(&mut script, &bk);
        if purge {
            script.blank();
            script.statement(&bk.purge());
            script.statements(&bk.create());
        }
        script.blank();
        script.comment(&format!(
            "Running stamp_revision -> {}",
            self.offline_name(goal)
        ));
        script.begin();
        script.statement(&bk.set_version(
            revision.map(Revision::id),
            revision.map(Revision::chain_digest).as_ref(),
        ));
        if let Some(revision) = revision {
            script.statement(&bk.log(
                revision.id(),
                LogKind::Stamp,
                &revision.checksum(),
                Some(&revision.chain_digest()),
                0,
            ));
        }
        script.commit();
        Ok(script.finish())
    }

    /// The lines every script starts with after its first comment: how to
    /// apply it, the session settings and the bookkeeping tables.
    fn offline_preamble(&self, script: &mut Script, bk: &Bookkeeping) {
        let dialect = bk.dialect();
        script.comment(&format!(
            "version table: {}; apply with: {}",
            bk.version_table(),
            match dialect {
                Dialect::Sqlite => "sqlite3 -bail <database file> < <this script>",
                Dialect::Postgres => "psql -X -v ON_ERROR_STOP=1 -d <database> -f <this script>",
                Dialect::Mysql => "mysql <database> < <this script>",
            }
        ));
        script.blank();
        let session = session_settings(dialect);
        if !session.is_empty() {
            script.comment("the session settings of the online command's diesel connection");
            for sql in session {
                script.statement(sql);
            }
        }
        for sql in bk.create() {
            script.statement(&sql);
        }
    }

    fn offline_script(
        &self,
        dialect: Dialect,
        direction: Direction,
        from: Option<usize>,
        goal: Option<usize>,
        positions: &[usize],
    ) -> Result<String, Error> {
        let single = self.is_single_transaction() && !positions.is_empty();
        if single {
            self.refuse_single_transaction(dialect, positions)?;
        }
        let chain = self.revisions().as_slice();
        // Split every file first: a file the splitter refuses fails the whole
        // script, as it fails the online command before that revision runs.
        let prepared: Vec<(&Revision, Vec<&str>)> = positions
            .iter()
            .map(|&p| {
                let revision = &chain[p];
                statements(revision, direction, dialect)
                    .map(|list| (revision, list.into_iter().map(|s| s.text).collect()))
            })
            .collect::<Result<_, _>>()?;

        let bk = self.bookkeeping(dialect);
        let mut script = Script::new(dialect);
        script.comment(&format!(
            "revchain: {} {} -> {} ({dialect})",
            match direction {
                Direction::Up => "upgrade",
                Direction::Down => "downgrade",
            },
            self.offline_name(from),
            self.offline_name(goal)
        ));
        self.offline_preamble(&mut script, &bk);

        if single {
            script.blank();
            script.begin();
        }
        // As online: a revision marked dirty before it runs gets that mark
        // with the bookkeeping of the one before, where the run holds a
        // session lock (see `Migrator::mark_ahead`).
        let mut marked = false;
        for (i, ((revision, texts), &position)) in prepared.iter().zip(positions).enumerate() {
            script.blank();
            script.comment(&self.offline_running(revision, position, direction));
            let mark_next = positions
                .get(i + 1)
                .filter(|_| !single)
                .and_then(|&next| self.mark_ahead(&bk, next, direction));
            let record = self.offline_record(&bk, position, direction, mark_next.as_deref());
            if single {
                script.statements(texts);
                script.statements(&record);
            } else if runs_atomically(revision, dialect, texts) {
                script.begin();
                script.statements(texts);
                script.statements(&record);
                script.commit();
            } else {
                // The revision's SQL cannot be rolled back: the online
                // command marks the database dirty first, in a transaction
                // of its own unless the revision before did, and clears it
                // when it records the revision.
                if !marked {
                    script.begin();
                    script.statement(&bk.mark_dirty(revision.id(), direction.as_str()));
                    script.commit();
                }
                if revision.run_in_transaction() {
                    // MySQL: the revision in a transaction (its DDL commits
                    // at once anyway), then the bookkeeping in one of its own.
                    script.begin();
                    script.statements(texts);
                    script.commit();
                    script.begin();
                    script.statements(&record);
                    script.commit();
                } else {
                    script.statements(texts);
                    script.begin();
                    script.statements(&record);
                    script.commit();
                }
            }
            marked = mark_next.is_some();
        }
        if single {
            script.commit();
        }
        Ok(script.finish())
    }

    /// `base` or the id at a position.
    fn offline_name(&self, position: Option<usize>) -> &str {
        position.map_or("base", |p| self.revisions().as_slice()[p].id())
    }

    /// Alembic's comment before each revision.
    fn offline_running(
        &self,
        revision: &Revision,
        position: usize,
        direction: Direction,
    ) -> String {
        let parent = self.offline_name(position.checked_sub(1));
        match direction {
            Direction::Up => format!(
                "Running upgrade {parent} -> {}, {}",
                revision.id(),
                revision.message()
            ),
            Direction::Down => format!(
                "Running downgrade {} -> {parent}, {}",
                revision.id(),
                revision.message()
            ),
        }
    }

    /// What the online command records after a step: the new version and a
    /// log line, with a duration of 0, and the next revision's dirty mark if
    /// it goes with them.
    fn offline_record(
        &self,
        bk: &Bookkeeping,
        position: usize,
        direction: Direction,
        mark_next: Option<&str>,
    ) -> Vec<String> {
        let chain = self.revisions().as_slice();
        let revision = &chain[position];
        let now = match direction {
            Direction::Up => Some(revision),
            Direction::Down => position.checked_sub(1).map(|p| &chain[p]),
        };
        let kind = match direction {
            Direction::Up => LogKind::Up,
            Direction::Down => LogKind::Down,
        };
        let mut record = vec![
            bk.set_version(
                now.map(Revision::id),
                now.map(Revision::chain_digest).as_ref(),
            ),
            bk.log(
                revision.id(),
                kind,
                &revision.checksum(),
                Some(&revision.chain_digest()),
                0,
            ),
        ];
        record.extend(mark_next.map(str::to_owned));
        record
    }
}

/// What diesel runs when it connects, so that the online command's SQL runs
/// under these settings: the same time zone for `now()` and
/// `CURRENT_TIMESTAMP`, and the script read as UTF-8, which it is.
fn session_settings(dialect: Dialect) -> &'static [&'static str] {
    match dialect {
        Dialect::Sqlite => &[],
        Dialect::Postgres => &["SET TIME ZONE 'UTC'", "SET CLIENT_ENCODING TO 'UTF8'"],
        Dialect::Mysql => &[
            "SET time_zone = '+00:00'",
            "SET character_set_client = 'utf8mb4'",
            "SET character_set_connection = 'utf8mb4'",
            "SET character_set_results = 'utf8mb4'",
        ],
    }
}

/// A script being written for one dialect's client.
struct Script {
    dialect: Dialect,
    text: String,
}

impl Script {
    fn new(dialect: Dialect) -> Self {
        Script {
            dialect,
            text: String::new(),
        }
    }

    /// A `--` comment on one line: line breaks and other control
    /// characters in `text` become spaces, so it never spills into SQL.
    fn comment(&mut self, text: &str) {
        self.text.push_str("-- ");
        self.text.extend(
            text.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .chain(std::iter::once('\n')),
        );
    }

    fn blank(&mut self) {
        self.text.push('\n');
    }

    fn begin(&mut self) {
        self.text.push_str(match self.dialect {
            // What the online command's write transactions run.
            Dialect::Sqlite => "BEGIN IMMEDIATE;\n",
            Dialect::Postgres => "BEGIN;\n",
            Dialect::Mysql => "START TRANSACTION;\n",
        });
    }

    fn commit(&mut self) {
        self.text.push_str("COMMIT;\n");
    }

    fn statements(&mut self, texts: &[impl AsRef<str>]) {
        for text in texts {
            self.statement(text.as_ref());
        }
    }

    /// One statement, verbatim, with a terminator the client accepts. An
    /// empty one is never written.
    fn statement(&mut self, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        if self.dialect == Dialect::Mysql && text.contains(';') {
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

    fn finish(self) -> String {
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
        script.statement("SELECT 'a;b'");
        script.statement("SELECT '//;'");
        script.statement("SELECT 1");
        script.statement("  ");
        assert_eq!(
            script.finish(),
            "DELIMITER //\nSELECT 'a;b'\n//\nDELIMITER ;\nDELIMITER ///\nSELECT '//;'\n///\nDELIMITER ;\nSELECT 1;\n"
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
