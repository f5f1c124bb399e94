//! Adoption of a database that diesel_migrations migrated: the revisions it
//! recorded in `__diesel_schema_migrations` are recorded as applied, the
//! first time revchain sees the database.

use std::collections::HashSet;

use super::Migrator;
use super::state::{State, execute, required_state};
use crate::Revision;
use crate::backend::MigrationConnection;
use crate::bookkeeping::{Bookkeeping, LogKind};
use crate::error::{Context, Error};

/// The name of diesel_migrations' table.
const DIESEL_TABLE: &str = "__diesel_schema_migrations";

/// The version diesel_migrations records for a revision: its id without `-`.
pub(crate) fn diesel_version(id: &str) -> String {
    id.replace('-', "")
}

impl<'r> Migrator<'r> {
    /// Counts the revisions diesel_migrations recorded as applied, the first
    /// time revchain sees a database, and records them; returns their ids.
    pub(super) fn adopt_diesel<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
        state: &mut State,
    ) -> Result<Vec<String>, Error> {
        if state.revision.is_some() || state.dirty.is_some() {
            return Ok(Vec::new());
        }
        let tables = conn
            .load_names(&bk.existing_tables(&[DIESEL_TABLE]))
            .context(|| format!("looking for `{DIESEL_TABLE}`"))?;
        if tables.is_empty() {
            return Ok(Vec::new());
        }
        let log = conn
            .load_log(&bk.select_log())
            .context(|| "reading the log".to_owned())?;
        if !log.is_empty() {
            // revchain managed this database before and took it back to base.
            return Ok(Vec::new());
        }
        let versions = conn
            .load_names(&bk.select_diesel_versions())
            .context(|| format!("reading `{DIESEL_TABLE}`"))?;
        let applied: HashSet<String> = versions.into_iter().map(|row| row.name).collect();
        if applied.is_empty() {
            return Ok(Vec::new());
        }
        let adopted = self.adoptable(&applied)?;
        let recorded = conn.write_transaction(|conn| {
            // Another process may have adopted it meanwhile (SQLite has no
            // lock across the whole run).
            if required_state(conn, bk)?.revision.is_some() {
                return Ok(false);
            }
            for revision in adopted {
                execute(
                    conn,
                    &bk.log(
                        revision.id(),
                        LogKind::Adopt,
                        &revision.checksum(),
                        Some(&revision.chain_digest()),
                        revision.down_sql(),
                        0,
                    ),
                    "writing the log",
                )?;
            }
            if let Some(last) = adopted.last() {
                execute(
                    conn,
                    &bk.set_version(Some(last.id()), Some(&last.chain_digest())),
                    "recording the adopted revisions",
                )?;
            }
            Ok(true)
        })?;
        *state = required_state(conn, bk)?;
        Ok(if recorded {
            adopted.iter().map(|r| r.id().to_owned()).collect()
        } else {
            Vec::new()
        })
    }

    /// The revisions diesel applied, which must be a prefix of the chain.
    fn adoptable(&self, applied: &HashSet<String>) -> Result<&'r [Revision], Error> {
        let chain = self.revisions().as_slice();
        let is_applied = |revision: &Revision| applied.contains(&diesel_version(revision.id()));
        let prefix = chain.iter().take_while(|r| is_applied(r)).count();
        if let Some((gap, first_missing)) = chain[prefix..]
            .iter()
            .find(|r| is_applied(r))
            .zip(chain.get(prefix))
        {
            return Err(Error::Adoption {
                reason: format!(
                    "diesel applied `{}` but not `{}`, which comes before it in the chain",
                    gap.id(),
                    first_missing.id()
                ),
                help: format!(
                    "apply `{}` by hand and record it in `{DIESEL_TABLE}`, or `stamp` the revision the schema matches",
                    first_missing.file("up.sql")
                ),
            });
        }
        let known: HashSet<String> = chain.iter().map(|r| diesel_version(r.id())).collect();
        let mut unknown: Vec<&String> = applied.iter().filter(|v| !known.contains(*v)).collect();
        if !unknown.is_empty() {
            unknown.sort();
            return Err(Error::Adoption {
                reason: format!(
                    "diesel applied {}, which the chain does not contain",
                    unknown
                        .iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                help: "add those migrations to the chain as revisions (with the same id), or `stamp` the revision the schema matches".to_owned(),
            });
        }
        Ok(&chain[..prefix])
    }
}
