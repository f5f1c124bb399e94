//! The version row: reading it, and creating the bookkeeping tables that
//! hold it.

use revchain_internals::Checksum;
use revchain_internals::sql::Dialect;

use crate::backend::{MigrationConnection, StateRow};
use crate::bookkeeping::Bookkeeping;
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
/// with its `fsync`s); MySQL commits each `CREATE` by itself.
pub(super) fn setup(bk: &Bookkeeping) -> ([String; 3], bool) {
    (bk.create(), bk.dialect() != Dialect::Mysql)
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
        Ok(())
    };
    if in_transaction {
        conn.write_transaction(create)
    } else {
        create(conn)
    }
}

/// Reads the version row, or `None` when the table or row does not exist.
pub(super) fn read_state<C: MigrationConnection>(
    conn: &mut C,
    bk: &Bookkeeping,
) -> Result<Option<State>, Error> {
    match conn.load_state(&bk.select_state()) {
        Ok(rows) => rows
            .into_iter()
            .next()
            .map(|row| parse_state(bk, row))
            .transpose(),
        Err(error) => {
            let exists = conn
                .load_names(&bk.existing_tables(&[bk.version_table()]))
                .context(|| "looking for the version table".to_owned())?;
            if exists.is_empty() {
                Ok(None)
            } else {
                Err(Error::Database {
                    context: format!("reading the version table `{}`", bk.version_table()),
                    source: error,
                })
            }
        }
    }
}

/// Reads the version row, which must exist (the tables were created).
pub(super) fn required_state<C: MigrationConnection>(
    conn: &mut C,
    bk: &Bookkeeping,
) -> Result<State, Error> {
    read_state(conn, bk)?.ok_or_else(|| Error::Corrupt {
        table: bk.version_table().to_owned(),
        reason: "its row is missing".to_owned(),
    })
}

fn parse_state(bk: &Bookkeeping, row: StateRow) -> Result<State, Error> {
    let corrupt = |reason: String| Error::Corrupt {
        table: bk.version_table().to_owned(),
        reason,
    };
    let dirty = match row.state.as_str() {
        "clean" => None,
        "dirty" => {
            let id = row
                .dirty_revision
                .ok_or_else(|| corrupt("it is dirty without a revision".to_owned()))?;
            let direction = match row.dirty_direction.as_deref() {
                Some("down") => Direction::Down,
                _ => Direction::Up,
            };
            Some((id, direction))
        }
        other => {
            return Err(corrupt(format!(
                "its state is `{other}`, not `clean` or `dirty`"
            )));
        }
    };
    Ok(State {
        revision: row.revision,
        digest: row.chain_digest.map(|d| d.trim().to_owned()),
        dirty,
    })
}
