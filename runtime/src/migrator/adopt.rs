//! Adoption of a database that diesel_migrations, sqlx or refinery migrated:
//! the revisions the tool recorded in its table ([`Tool`]) are recorded as
//! applied, the first time revchain sees the database, after checking each
//! against the tool's checksum where it keeps one. Nothing is run again.

use std::collections::HashMap;

use super::Migrator;
use super::foreign::{Applied, Tool};
use super::state::{State, execute, required_state};
use crate::Revision;
use crate::backend::MigrationConnection;
use crate::bookkeeping::{Bookkeeping, LogKind};
use crate::error::{Context, Error};

pub(crate) use revchain_internals::diesel_version;

impl<'r> Migrator<'r> {
    /// Counts the revisions another tool recorded as applied, the first time
    /// revchain sees a database, and records them; returns their ids.
    pub(super) fn adopt_foreign<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
        state: &mut State,
    ) -> Result<Vec<String>, Error> {
        if state.revision.is_some() || state.dirty.is_some() {
            return Ok(Vec::new());
        }
        let names: Vec<&str> = Tool::ALL.iter().map(|tool| tool.table()).collect();
        let tables = conn
            .load_names(&bk.existing_tables(&names))
            .context(|| "looking for the tables of diesel, sqlx and refinery".to_owned())?;
        if tables.is_empty() {
            return Ok(Vec::new());
        }
        let log = conn
            .load_log(&bk.select_log())
            .context(|| "reading the log".to_owned())?;
        let log = super::strict::log(bk, log)?;
        if !log.is_empty() {
            // revchain managed this database before and took it back to base.
            return Ok(Vec::new());
        }
        let mut found: Vec<(Tool, Vec<Applied>)> = Vec::new();
        for tool in Tool::ALL {
            if !tables.iter().any(|row| row.name == tool.table()) {
                continue;
            }
            let rows = conn
                .load_names(&tool.select(bk.dialect()))
                .context(|| format!("reading `{}`", tool.table()))?;
            if !rows.is_empty() {
                found.push((tool, rows.iter().map(|row| tool.row(&row.name)).collect()));
            }
        }
        let (tool, applied) = match found.len() {
            0 => return Ok(Vec::new()),
            1 => found.remove(0),
            _ => {
                let tables: Vec<String> = found
                    .iter()
                    .map(|(tool, _)| format!("`{}`", tool.table()))
                    .collect();
                return Err(Error::Adoption {
                    table: found[0].0.table().to_owned(),
                    reason: format!(
                        "the database holds the records of more than one tool ({}), and revchain cannot tell which is right",
                        tables.join(", ")
                    ),
                    help: "drop the tables of the tools that no longer migrate this database, or `stamp` the revision the schema matches".to_owned(),
                });
            }
        };
        let adopted = self.adoptable(tool, &applied)?;
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

    /// The revisions `tool` applied, which must be a prefix of the chain,
    /// each what the tool applied where it keeps a checksum.
    fn adoptable(&self, tool: Tool, applied: &[Applied]) -> Result<&'r [Revision], Error> {
        let table = tool.table();
        let refuse = |reason: String, help: String| Error::Adoption {
            table: table.to_owned(),
            reason,
            help,
        };
        let by_key: HashMap<&str, &Applied> = applied.iter().map(|a| (a.key.as_str(), a)).collect();
        let chain = self.revisions().as_slice();
        let row = |revision: &Revision| {
            tool.key(revision.id())
                .and_then(|key| by_key.get(key.as_str()).copied())
        };
        let prefix = chain.iter().take_while(|r| row(r).is_some()).count();
        if let Some((gap, first_missing)) = chain[prefix..]
            .iter()
            .find(|r| row(r).is_some())
            .zip(chain.get(prefix))
        {
            return Err(refuse(
                format!(
                    "{} applied `{}` but not `{}`, which comes before it in the chain",
                    tool.name(),
                    gap.id(),
                    first_missing.id()
                ),
                format!(
                    "apply `{}` by hand and record it in `{table}`, or `stamp` the revision the schema matches",
                    first_missing.file("up.sql")
                ),
            ));
        }
        let known: Vec<String> = chain.iter().filter_map(|r| tool.key(r.id())).collect();
        let mut unknown: Vec<&str> = applied
            .iter()
            .map(|a| a.key.as_str())
            .filter(|key| !known.iter().any(|k| k == key))
            .collect();
        if !unknown.is_empty() {
            unknown.sort_unstable();
            return Err(refuse(
                format!(
                    "{} applied {}, which the chain does not contain",
                    tool.name(),
                    unknown
                        .iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "add those migrations to the chain as revisions (`revchain import` keeps their versions as ids), or `stamp` the revision the schema matches".to_owned(),
            ));
        }
        for revision in &chain[..prefix] {
            if let Some(reason) = row(revision).and_then(|applied| tool.check(revision, applied)) {
                return Err(refuse(
                    reason,
                    format!(
                        "restore `{}` as {} applied it (see its history in version control); if the database really holds the new version, `stamp` it instead",
                        revision.file("up.sql"),
                        tool.name()
                    ),
                ));
            }
        }
        Ok(&chain[..prefix])
    }
}
