//! The version row: reading it, and creating the bookkeeping tables that
//! hold it.

use revchain_internals::Checksum;
use revchain_internals::sql::Dialect;

use super::Migrator;
use super::guard::read_only_refusal;
use super::strict;
use crate::backend::{LogRow, MigrationConnection};
use crate::bookkeeping::{Bookkeeping, quote_identifier, quote_literal};
use crate::classify::{is_connection_lost, is_missing_table};
use crate::error::{Context, Direction, Error};
use crate::{Revision, Revisions};

/// The state recorded in the version table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct State {
    pub(super) revision: Option<String>,
    pub(super) digest: Option<String>,
    pub(super) dirty: Option<(String, Direction)>,
}

impl State {
    /// Whether the recorded chain digest is `revision`'s.
    pub(super) fn digest_matches(&self, revision: &Revision) -> bool {
        self.digest.as_deref().and_then(Checksum::from_hex) == Some(revision.chain_digest())
    }

    /// The position of the recorded revision in `revisions`, refusing a
    /// revision the chain lacks.
    pub(super) fn position(&self, revisions: &Revisions) -> Result<Option<usize>, Error> {
        match &self.revision {
            None => Ok(None),
            Some(id) => match revisions.position(id) {
                Some(position) => Ok(Some(position)),
                None => Err(Error::UnknownRevision {
                    id: id.clone(),
                    head: revisions.head().map(|r| r.id().to_owned()),
                }),
            },
        }
    }
}

/// Runs one of revchain's own statements; `what` names it in an error.
pub(super) fn execute<C: MigrationConnection>(
    conn: &mut C,
    sql: &str,
    what: &str,
) -> Result<(), Error> {
    conn.execute_sql(sql).context(|| what.to_owned())
}

/// The statements that create the version and log tables if they are
/// missing, and whether they run in one transaction: they do where DDL is
/// transactional (one commit on a fresh SQLite file instead of three, each
/// with its `fsync`s); MySQL commits each `CREATE` by itself. On
/// PostgreSQL they also add the log's newer columns to an older log (see
/// [`log_columns`](super::log_columns)).
pub(super) fn setup(bk: &Bookkeeping) -> (Vec<String>, bool) {
    let mut statements = bk.create().to_vec();
    statements.extend(super::log_columns::unconditional(bk));
    (statements, bk.dialect() != Dialect::Mysql)
}

/// Creates the version and log tables if they are missing (see [`setup`]).
pub(super) fn ensure_tables<C: MigrationConnection>(
    conn: &mut C,
    bk: &Bookkeeping,
) -> Result<(), Error> {
    let (statements, in_transaction) = setup(bk);
    let create = |conn: &mut C| {
        for sql in &statements {
            execute(conn, sql, "creating the version table")?;
        }
        super::log_columns::add_missing(conn, bk)
    };
    if in_transaction {
        conn.write_transaction(create)
    } else {
        create(conn)
    }
}

/// What the version table holds.
#[derive(Debug)]
pub(super) enum Row {
    /// The version row.
    Found(State),
    /// Neither the row nor any line of the log: never migrated, at base.
    Base,
    /// No row, while the log has lines: the last of them.
    Lost(LogRow),
}

/// Reads the version row. Never guesses: base only when the version table
/// has no row (or does not exist) and the log has no line (or does not
/// exist); a table that exists but cannot be read is an error. The version
/// row's `SELECT` alone is the cost when it succeeds.
pub(super) fn read_row<C: MigrationConnection>(
    conn: &mut C,
    bk: &Bookkeeping,
) -> Result<Row, Error> {
    let reading = || format!("reading the version table `{}`", bk.version_table());
    match conn.load_state(&bk.select_state()) {
        Ok(rows) => match strict::state(bk, rows)? {
            Some(state) => Ok(Row::Found(state)),
            None => read_log_tail(conn, bk),
        },
        Err(error) if is_connection_lost(&error) => Err(error).context(reading),
        Err(error) => {
            if is_missing(conn, bk, bk.version_table(), &error)? {
                read_log_tail(conn, bk)
            } else {
                Err(error).context(reading)
            }
        }
    }
}

/// The log's last line, when the version row is missing.
fn read_log_tail<C: MigrationConnection>(conn: &mut C, bk: &Bookkeeping) -> Result<Row, Error> {
    let log = bk.log_table();
    let reading = || format!("reading the log `{log}`");
    match conn.load_log(&bk.select_log()) {
        Ok(lines) => Ok(strict::log(bk, lines)?
            .into_iter()
            .last()
            .map_or(Row::Base, Row::Lost)),
        Err(error) if is_connection_lost(&error) => Err(error).context(reading),
        Err(error) => {
            if is_missing(conn, bk, &log, &error)? {
                Ok(Row::Base)
            } else {
                Err(error).context(reading)
            }
        }
    }
}

/// Whether `table`, whose `SELECT` failed with `error`, does not exist, as
/// opposed to existing and being unreadable. Asked of a catalogue that shows
/// every table whatever the role's privileges where there is one: SQLite's
/// `sqlite_master`, PostgreSQL's `pg_class` through `to_regclass` (which
/// resolves the name as the `SELECT` did; `information_schema` hides the
/// tables a role has no privilege on). MySQL has none: its
/// `information_schema` hides them too, so a table it does not list counts
/// as missing only when the error says so ("doesn't exist", 1146; not
/// "command denied", 1142).
fn is_missing<C: MigrationConnection>(
    conn: &mut C,
    bk: &Bookkeeping,
    table: &str,
    error: &diesel::result::Error,
) -> Result<bool, Error> {
    let listed = is_listed(conn, bk, table)?;
    Ok(!listed && (bk.dialect() != Dialect::Mysql || is_missing_table(error)))
}

/// Whether the catalogue lists `table` (see [`is_missing`]): a query that
/// does not fail when the table is missing, so that it leaves a caller's
/// PostgreSQL transaction usable.
fn is_listed<C: MigrationConnection>(
    conn: &mut C,
    bk: &Bookkeeping,
    table: &str,
) -> Result<bool, Error> {
    let dialect = bk.dialect();
    let sql = match dialect {
        Dialect::Postgres => format!(
            "SELECT CAST(c.relname AS TEXT) AS name FROM pg_catalog.pg_class c WHERE c.oid = to_regclass({})",
            quote_literal(dialect, &quote_identifier(dialect, table))
        ),
        _ => bk.existing_tables(&[table]),
    };
    Ok(!conn
        .load_names(&sql)
        .context(|| format!("looking for the table `{table}`"))?
        .is_empty())
}

/// Reads the version row, which must exist (the tables were created).
pub(super) fn required_state<C: MigrationConnection>(
    conn: &mut C,
    bk: &Bookkeeping,
) -> Result<State, Error> {
    match read_row(conn, bk)? {
        Row::Found(state) => Ok(state),
        Row::Base | Row::Lost(_) => Err(strict::version_rows(bk, "its row is missing")),
    }
}

impl Migrator<'_> {
    /// Reads the version row, or `None` at base (see [`read_row`]). A missing
    /// row while the log has lines is [`Error::VersionRowMissing`], naming
    /// the `stamp` the log suggests, unless the log's last line reverted the
    /// first revision: then the database is at base.
    pub(super) fn read_state<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
    ) -> Result<Option<State>, Error> {
        let last = match read_row(conn, bk)? {
            Row::Found(state) => return Ok(Some(state)),
            Row::Base => return Ok(None),
            Row::Lost(last) => last,
        };
        let reverted = last.direction == Direction::Down.as_str();
        let stamp = if reverted {
            match self.revisions().position(&last.revision) {
                Some(0) => return Ok(None),
                Some(p) => self.revisions().as_slice()[p - 1].id().to_owned(),
                None => format!("<the parent of {}>", last.revision),
            }
        } else {
            last.revision.clone()
        };
        Err(Error::VersionRowMissing {
            table: bk.version_table().to_owned(),
            last: last.revision,
            reverted,
            stamp,
        })
    }

    /// Creates the tables if they are missing and reads the version row,
    /// before `operation` (`upgrade`, `downgrade`) writes. A version table
    /// that exists is read first: creating the tables fills in a missing row
    /// as base, and a row lost while the log has lines must be refused
    /// instead (see [`read_state`](Self::read_state)). That costs two
    /// queries (the catalogue, so that a missing table fails no statement
    /// of a caller's transaction, and the row). A read-only SQLite file
    /// (or MySQL session) is told by the write it refuses, before any
    /// revision runs.
    pub(super) fn prepare_tables<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
        operation: &'static str,
    ) -> Result<State, Error> {
        if is_listed(conn, bk, bk.version_table())? {
            self.read_state(conn, bk)?;
        }
        read_only_refusal(ensure_tables(conn, bk), bk.dialect(), operation)?;
        required_state(conn, bk)
    }
}
