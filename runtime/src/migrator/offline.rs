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

use super::plan::{Boundaries, Mark, Plan, StampPlan};
use super::script::Script;
use super::state::setup;
use super::{Migrator, name_at};
use crate::bookkeeping::Bookkeeping;
use crate::error::{Direction, Error};
use crate::{Revision, Target};

impl<'r> Migrator<'r> {
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
        let bk = self.bookkeeping(dialect)?;
        let plan = self.plan(&bk, Direction::Up, from, goal)?;
        Ok(self.render(&bk, &plan))
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
        let bk = self.bookkeeping(dialect)?;
        let plan = self.plan(&bk, Direction::Down, from, goal)?;
        Ok(self.render(&bk, &plan))
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
        let plan = StampPlan {
            purge,
            to: goal.map(|p| &self.revisions().as_slice()[p]),
        };
        Ok(self.render_stamp(&self.bookkeeping(dialect)?, &plan))
    }

    /// The script of a stamp.
    fn render_stamp(&self, bk: &Bookkeeping, plan: &StampPlan) -> String {
        let dialect = bk.dialect();
        let to = plan.to.map_or("base", Revision::id);
        let mut script = Script::new(dialect);
        script.comment(&format!(
            "revchain: stamp -> {to} ({dialect}){}",
            if plan.purge {
                ", purging the version table first"
            } else {
                ""
            }
        ));
        preamble(&mut script, bk);
        if plan.purge {
            script.blank();
            script.statement(&bk.purge());
            script.statements(&setup(bk).0);
        }
        script.blank();
        script.comment(&format!("Running stamp_revision -> {to}"));
        script.begin();
        script.statements(&plan.record(bk));
        script.commit();
        script.finish()
    }

    /// The script of an upgrade or a downgrade: the bookkeeping tables,
    /// then each step with its transactions as the online command runs them
    /// (see [`Boundaries`]). The log records a duration of 0.
    fn render(&self, bk: &Bookkeeping, plan: &Plan) -> String {
        let dialect = bk.dialect();
        let name = |p| name_at(self.revisions(), p);
        let mut script = Script::new(dialect);
        script.comment(&format!(
            "revchain: {} {} -> {} ({dialect})",
            match plan.direction {
                Direction::Up => "upgrade",
                Direction::Down => "downgrade",
            },
            name(plan.from),
            name(plan.to)
        ));
        preamble(&mut script, bk);
        if plan.single {
            script.blank();
            script.begin();
        }
        for step in &plan.steps {
            let revision = step.revision;
            script.blank();
            let parent = name(step.position.checked_sub(1));
            script.comment(&match step.direction {
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
            });
            let texts: Vec<&str> = step.statements.iter().map(|s| s.text).collect();
            let record = step.record(bk, 0);
            match &step.boundaries {
                // Inside the run's one transaction.
                Boundaries::Together if plan.single => {
                    script.statements(&texts);
                    script.statements(&record);
                }
                Boundaries::Together => {
                    script.begin();
                    script.statements(step.setting.as_slice());
                    script.statements(&texts);
                    script.statements(&record);
                    script.commit();
                }
                Boundaries::Apart {
                    mark,
                    in_transaction,
                } => {
                    if let Mark::Own(sql) = mark {
                        script.begin();
                        script.statement(sql);
                        script.commit();
                    }
                    if *in_transaction {
                        script.begin();
                        script.statements(&texts);
                        script.commit();
                    } else {
                        script.statements(&texts);
                    }
                    script.begin();
                    script.statements(&record);
                    script.commit();
                }
            }
        }
        if plan.single {
            script.commit();
        }
        script.finish()
    }
}

/// The lines every script starts with after its first comment: how to
/// apply it, the session settings and the bookkeeping tables.
fn preamble(script: &mut Script, bk: &Bookkeeping) {
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
        script.statements(session);
    }
    script.statements(&setup(bk).0);
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
