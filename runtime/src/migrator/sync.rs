//! `sync`, for development databases whose applied history diverged from
//! the chain (another branch's revisions, or revisions a rebase
//! re-parented): revert the database's revisions newest first down to the
//! last revision both share, then upgrade to head.
//!
//! The applied history is read from the log. The revisions to revert form
//! a chain of their own, built from the log, which the migrator's own
//! [`plan`](super::plan) and [`apply`](super::apply) run: same transaction
//! boundaries, same dirty marking (MySQL goes revision by revision), same
//! exactly-once claims. A revision the chain lacks is reverted with the
//! down SQL its log line stored; one the chain has, with the chain's
//! `down.sql`. Everything is planned before anything runs, so a refusal
//! changes nothing.

use revchain_internals::{Checksum, revision_checksum};

use super::Migrator;
use super::guard::read_only_refusal;
use super::lock::with_lock;
use super::log_columns::missing;
use super::plan::Plan;
use super::state::{State, required_state};
use crate::backend::{MigrationConnection, RecordedRow};
use crate::bookkeeping::Bookkeeping;
use crate::error::{Context, DriftReason, Drifted, Error};
use crate::report::{Progress, Report};
use crate::revisions::Recorded;
use crate::{Direction, Revision, Revisions};

/// What [`Migrator::sync`] does, as [`Migrator::sync_plan`] tells it
/// before doing anything.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncPlan {
    /// Where the database is (`None`: base).
    pub from: Option<String>,
    /// The last revision the database and the chain share (`None`: base).
    pub common: Option<String>,
    /// The revisions reverted, newest first.
    pub revert: Vec<SyncRevert>,
    /// The revisions then applied, oldest first.
    pub upgrade: Vec<String>,
}

impl SyncPlan {
    /// Whether there is nothing to do: the database is at head.
    pub fn is_empty(&self) -> bool {
        self.revert.is_empty() && self.upgrade.is_empty()
    }
}

/// One revision `sync` reverts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncRevert {
    /// The revision.
    pub id: String,
    /// Whether the down SQL is the one stored in the log (the chain lacks
    /// the revision), else the chain's `down.sql`.
    pub stored: bool,
}

/// One revision the log says is applied.
struct Applied {
    id: String,
    checksum: Checksum,
    digest: Checksum,
    down: Option<String>,
}

/// The diverged part of a database's history, and what to run.
struct Divergence {
    /// The applied revisions, root first, as a chain whose down SQL is what
    /// reverts each.
    applied: Revisions,
    /// How many of them the chain shares.
    common: usize,
}

impl Migrator<'_> {
    /// What [`sync`](Self::sync) would do, without changing anything: the
    /// revisions it would revert and apply, or the refusal it would give.
    /// Reads only, and takes no lock.
    pub fn sync_plan<C: MigrationConnection>(&self, conn: &mut C) -> Result<SyncPlan, Error> {
        let bk = self.bookkeeping(conn.dialect())?;
        let state = self.read_state(conn, &bk)?.unwrap_or_default();
        self.refuse_dirty(&state)?;
        // An older log, which the first write migrates, has no down SQL.
        let with_down = state.revision.is_none() || missing(conn, &bk)?.is_empty();
        let divergence = self.divergence(conn, &bk, &state, with_down)?;
        let (revert, upgrade) = self.sync_plans(&bk, &divergence)?;
        Ok(describe(
            self.revisions(),
            &state,
            &divergence,
            &revert,
            &upgrade,
        ))
    }

    /// Brings a development database whose applied history diverged from
    /// the chain to head: reverts its revisions newest first down to the
    /// last revision both share, then upgrades. Refuses, changing nothing,
    /// a dirty database ([`Error::Dirty`]), a revision it would keep that
    /// was edited ([`Error::Drift`]), and a revision to revert without down
    /// SQL ([`Error::Sync`]). Production databases use
    /// [`upgrade`](Self::upgrade), which refuses divergence.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")] {
    /// use diesel::Connection;
    ///
    /// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
    ///
    /// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
    /// let migrator = revchain::Migrator::new(&REVISIONS);
    /// migrator.upgrade(&mut conn, "+2").unwrap();
    /// assert_eq!(migrator.sync_plan(&mut conn).unwrap().upgrade.len(), REVISIONS.len() - 2);
    /// migrator.sync(&mut conn).unwrap();
    /// assert!(migrator.is_at_head(&mut conn).unwrap());
    /// # }
    /// ```
    pub fn sync<C: MigrationConnection>(&self, conn: &mut C) -> Result<Report, Error> {
        self.sync_with_progress(conn, &mut |_| {})
    }

    /// [`sync`](Self::sync), calling `progress` before and after each
    /// revision it reverts or applies.
    pub fn sync_with_progress<C: MigrationConnection>(
        &self,
        conn: &mut C,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Report, Error> {
        let dialect = conn.dialect();
        let _span = crate::trace::operation("sync", &"head", dialect);
        let progress = &mut super::apply::traced(progress);
        self.refuse_ddl_options(dialect, self.is_single_transaction())?;
        if self.is_single_transaction() {
            self.refuse_single_transaction(dialect, &[])?;
        }
        let bk = self.bookkeeping(dialect)?;
        self.refuse_read_only(conn, "sync")?;
        let locked = with_lock(conn, &bk, self.lock, progress, |conn, held, progress| {
            let state = self.prepare_tables(conn, &bk, "sync")?;
            self.refuse_dirty(&state)?;
            let divergence = self.divergence(conn, &bk, &state, true)?;
            let reverter = self.over(&divergence.applied);
            let (revert, upgrade) = self.sync_plans(&bk, &divergence)?;
            let mut steps = reverter.execute(conn, &bk, held, &revert, progress)?;
            steps.extend(self.execute(conn, &bk, held, &upgrade, progress)?);
            Ok(Report {
                from: state.revision,
                to: required_state(conn, &bk)?.revision,
                steps,
                adopted: Vec::new(),
            })
        });
        read_only_refusal(locked, dialect, "sync")
    }

    /// This migrator's settings over another chain.
    fn over<'a>(&self, revisions: &'a Revisions) -> Migrator<'a> {
        Migrator {
            revisions,
            version_table: self.version_table.clone(),
            single_transaction: self.single_transaction,
            lock: self.lock,
            ddl: self.ddl,
        }
    }

    /// The two plans of a sync: the reverts, over the applied chain, and
    /// the upgrade from the shared revision to head. Planning refuses what
    /// cannot run before anything does.
    fn sync_plans<'a>(
        &'a self,
        bk: &Bookkeeping,
        divergence: &'a Divergence,
    ) -> Result<(Plan<'a>, Plan<'a>), Error> {
        let shared = divergence.common.checked_sub(1);
        let top = divergence.applied.len().checked_sub(1);
        let revert = self
            .over(&divergence.applied)
            .plan(bk, Direction::Down, top, shared)?;
        let upgrade = self.plan(
            bk,
            Direction::Up,
            shared,
            self.revisions().len().checked_sub(1),
        )?;
        Ok((revert, upgrade))
    }

    /// Reads the applied history from the log and finds where it leaves
    /// the chain. Refuses a history the log cannot tell, a kept revision
    /// that was edited, and a revision to revert without down SQL.
    fn divergence<C: MigrationConnection>(
        &self,
        conn: &mut C,
        bk: &Bookkeeping,
        state: &State,
        with_down: bool,
    ) -> Result<Divergence, Error> {
        let chain = self.revisions().as_slice();
        let applied = match &state.revision {
            None => Vec::new(),
            Some(current) => {
                let rows = conn
                    .load_recorded(&bk.select_recorded(with_down))
                    .context(|| format!("reading the log `{}`", bk.log_table()))?;
                // Read as strictly as every other reading of the log.
                super::strict::recorded(bk, &rows)?;
                let applied = replay(self.revisions(), &rows)?;
                if applied.last().map(|a| a.id.as_str()) != Some(current.as_str()) {
                    return Err(Error::Sync {
                        reason: format!(
                            "the log `{}` does not tell how the database came to `{current}`",
                            bk.log_table()
                        ),
                        help: "record where the database is with `stamp` on a revision of this chain, then run `sync` again".to_owned(),
                    });
                }
                applied
            }
        };
        let common = applied
            .iter()
            .zip(chain)
            .take_while(|(applied, revision)| applied.id == revision.id())
            .count();
        let edited: Vec<Drifted> = applied[..common]
            .iter()
            .zip(chain)
            .filter(|(applied, revision)| applied.checksum != revision.checksum())
            .map(|(applied, revision)| Drifted {
                id: revision.id().to_owned(),
                file: revision.file("up.sql"),
                reason: DriftReason::Edited {
                    applied: applied.checksum.to_string(),
                    embedded: revision.checksum().to_string(),
                },
            })
            .collect();
        if let Some(last) = edited.last() {
            return Err(Error::Drift {
                current: last.id.clone(),
                drifted: edited,
            });
        }
        let mut revisions = Vec::with_capacity(applied.len());
        let mut parent: Option<String> = None;
        for (position, entry) in applied.into_iter().enumerate() {
            let known = self.revisions().get(&entry.id);
            let reverted = position >= common;
            let down = match known {
                Some(revision) => revision.down_sql().map(str::to_owned),
                None => entry.down,
            };
            if reverted && down.is_none() {
                return Err(no_down(bk, &entry.id, known));
            }
            let recorded = Recorded {
                message: known.map_or_else(
                    || {
                        "not in this chain: reverted with the down SQL its log line stored"
                            .to_owned()
                    },
                    |r| r.message().to_owned(),
                ),
                dir: known.map_or_else(
                    || format!("{}/{}", bk.log_table(), entry.id),
                    |r| r.dir().to_owned(),
                ),
                run_in_transaction: known.is_none_or(Revision::run_in_transaction),
                parent: parent.replace(entry.id.clone()),
                id: entry.id,
                down_sql: down,
                checksum: entry.checksum,
                chain_digest: entry.digest,
            };
            revisions.push(Revision::from(recorded));
        }
        Ok(Divergence {
            applied: Revisions::owned(revisions),
            common,
        })
    }
}

/// The refusal of a revision to revert that has no down SQL.
fn no_down(bk: &Bookkeeping, id: &str, known: Option<&Revision>) -> Error {
    match known {
        Some(revision) => Error::Sync {
            reason: format!(
                "`{id}` would be reverted, but it has no `{}`",
                revision.file("down.sql")
            ),
            help: format!(
                "add `{}`, or bring the database back by hand and record it with `stamp`",
                revision.file("down.sql")
            ),
        },
        None => Error::Sync {
            reason: format!(
                "`{id}` would be reverted, but the chain lacks it and its line in the log `{}` stores no down SQL (it was applied by an older revchain, or its revision had no `down.sql`)",
                bk.log_table()
            ),
            help: format!(
                "check out the branch that has `{id}` and run `downgrade` there, or revert it by hand and record where the database is with `stamp`"
            ),
        },
    }
}

/// The revisions the log says are applied, root first: `up` and `adopt`
/// lines add one, `down` lines remove it, a `stamp` of a revision already
/// applied removes those above it, and one of a revision of the chain
/// stands for the chain up to it.
fn replay(chain: &Revisions, rows: &[RecordedRow]) -> Result<Vec<Applied>, Error> {
    let mut applied: Vec<Applied> = Vec::new();
    for row in rows {
        let line = &row.line;
        let at = applied.iter().position(|a| a.id == line.revision);
        match (line.direction.as_str(), at) {
            ("down", Some(at)) => applied.truncate(at),
            ("down", None) => {}
            ("stamp", Some(at)) => applied.truncate(at + 1),
            ("stamp", None) => match chain.position(&line.revision) {
                Some(position) => {
                    applied = chain.as_slice()[..=position]
                        .iter()
                        .map(|r| Applied {
                            id: r.id().to_owned(),
                            checksum: r.checksum(),
                            digest: r.chain_digest(),
                            down: None,
                        })
                        .collect();
                }
                None => applied.clear(),
            },
            _ => {
                if let Some(at) = at {
                    applied.truncate(at);
                }
                applied.push(recorded(line.revision.clone(), row)?);
            }
        }
    }
    Ok(applied)
}

/// One `up` line, with its down SQL when its checksum vouches for it.
fn recorded(id: String, row: &RecordedRow) -> Result<Applied, Error> {
    let corrupt = |what: &str| Error::Sync {
        reason: format!("the log line that applied `{id}` holds an invalid {what}"),
        help: "record where the database is with `stamp`, then run `sync` again".to_owned(),
    };
    let checksum =
        Checksum::from_hex(row.line.checksum.trim()).ok_or_else(|| corrupt("checksum"))?;
    let digest = row
        .line
        .chain_digest
        .as_deref()
        .and_then(|d| Checksum::from_hex(d.trim()))
        .ok_or_else(|| corrupt("chain digest"))?;
    let down = match (&row.down_sql, &row.down_checksum) {
        (Some(sql), Some(sum))
            if Checksum::from_hex(sum.trim()) == Some(revision_checksum(sql)) =>
        {
            Some(sql.clone())
        }
        (Some(_), _) => return Err(corrupt("down SQL, which does not match its checksum")),
        (None, _) => None,
    };
    Ok(Applied {
        id,
        checksum,
        digest,
        down,
    })
}

/// The plan as [`SyncPlan`] tells it.
fn describe(
    chain: &Revisions,
    state: &State,
    divergence: &Divergence,
    revert: &Plan,
    upgrade: &Plan,
) -> SyncPlan {
    SyncPlan {
        from: state.revision.clone(),
        common: divergence
            .common
            .checked_sub(1)
            .map(|p| divergence.applied.as_slice()[p].id().to_owned()),
        revert: revert
            .steps
            .iter()
            .map(|step| SyncRevert {
                id: step.revision.id().to_owned(),
                stored: chain.get(step.revision.id()).is_none(),
            })
            .collect(),
        upgrade: upgrade
            .steps
            .iter()
            .map(|step| step.revision.id().to_owned())
            .collect(),
    }
}
