//! What stops a run before it starts: a dirty database, and drift (an
//! applied revision whose content changed, or a chain reordered below the
//! current revision).

use std::collections::HashMap;

use revchain_internals::Checksum;

use super::state::State;
use super::{Migrator, name_at};
use crate::Revision;
use crate::backend::{LogRow, MigrationConnection};
use crate::bookkeeping::Bookkeeping;
use crate::error::{Context, Direction, DriftReason, Drifted, Error};

impl Migrator<'_> {
    /// Refuses a database marked dirty, saying which `stamp` repairs it.
    pub(super) fn refuse_dirty(&self, state: &State) -> Result<(), Error> {
        let Some((id, direction)) = &state.dirty else {
            return Ok(());
        };
        let revisions = self.revisions();
        let position = revisions.position(id);
        let file = position.map_or_else(
            || format!("{id}/{}", direction.file()),
            |p| revisions.as_slice()[p].file(direction.file()),
        );
        // Where the database is if all of the file ran, and if none did.
        let parent = name_at(revisions, position.and_then(|p| p.checked_sub(1)));
        let (if_complete, if_none) = match direction {
            Direction::Up => (id.clone(), parent),
            Direction::Down => (parent, id.clone()),
        };
        Err(Error::Dirty {
            id: id.clone(),
            file,
            direction: *direction,
            if_complete,
            if_none,
        })
    }

    /// Refuses a database whose recorded chain digest is not the embedded
    /// chain's at `current`: one comparison; the log is read only to name
    /// what differs.
    pub(super) fn check_drift<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
        state: &State,
        current: Option<usize>,
    ) -> Result<(), Error> {
        let Some(current) = current else {
            return Ok(());
        };
        let chain = self.revisions().as_slice();
        if state.digest_matches(&chain[current]) {
            return Ok(());
        }
        let log = conn
            .load_log(&bk.select_log())
            .context(|| "reading the log".to_owned())?;
        let log = super::strict::log(bk, log)?;
        Err(Error::Drift {
            current: chain[current].id().to_owned(),
            drifted: drift_culprits(&chain[..=current], &log),
        })
    }
}

/// Names the applied revisions that differ from `chain` (the chain up to the
/// current revision), using the log.
fn drift_culprits(chain: &[Revision], log: &[LogRow]) -> Vec<Drifted> {
    // The latest record of each revision still applied.
    let mut latest: HashMap<&str, &LogRow> = HashMap::new();
    for row in log {
        match row.direction.as_str() {
            "down" => {
                latest.remove(row.revision.as_str());
            }
            _ => {
                latest.insert(row.revision.as_str(), row);
            }
        }
    }
    // The highest revision whose recorded chain digest still matches vouches
    // for everything below it.
    let trusted = chain
        .iter()
        .rposition(|revision| {
            latest
                .get(revision.id())
                .and_then(|row| row.chain_digest.as_deref())
                .and_then(Checksum::from_hex)
                == Some(revision.chain_digest())
        })
        .map_or(0, |p| p + 1);
    let mut drifted: Vec<Drifted> = chain[trusted..]
        .iter()
        .filter_map(|revision| {
            let file = revision.file("up.sql");
            match latest.get(revision.id()) {
                None => Some(Drifted {
                    id: revision.id().to_owned(),
                    file,
                    reason: DriftReason::NeverApplied,
                }),
                Some(row) if Checksum::from_hex(&row.checksum) != Some(revision.checksum()) => {
                    Some(Drifted {
                        id: revision.id().to_owned(),
                        file,
                        reason: DriftReason::Edited {
                            applied: row.checksum.clone(),
                            embedded: revision.checksum().to_string(),
                        },
                    })
                }
                Some(_) => None,
            }
        })
        .collect();
    if drifted.is_empty()
        && let Some(revision) = chain.get(trusted).or(chain.last())
    {
        drifted.push(Drifted {
            id: revision.id().to_owned(),
            file: revision.file("metadata.toml"),
            reason: DriftReason::Reordered,
        });
    }
    drifted
}
