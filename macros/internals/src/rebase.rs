//! What `revchain rebase` moves, decided over the revisions alone: which
//! revisions move to the end of the chain, and their new parents.
//!
//! A merge of two branches that each added revisions leaves a fork (two
//! revisions name the same parent). A rebase puts one branch's revisions
//! after the other's, in their own order: the first moved revision of each
//! line gets a new parent, the others keep theirs, and `HEAD` names the
//! last. Which revisions move is either named ([`Request::Named`]: each
//! with its descendants) or, in git, those not yet on the main branch
//! ([`Request::Unmerged`]). A revision on the main branch never moves: it
//! may be applied in production.
//!
//! This module only decides; the `revchain` command asks git and writes
//! the files (with [`rewrite_parent`](crate::rewrite_parent)).
//!
//! ```
//! use std::collections::BTreeSet;
//! use revchain_internals::rebase::{plan, Main, Request, Scanned};
//!
//! let rev = |id: &str, parent: Option<&str>| Scanned::new(id, parent, &format!("migrations/{id}_x"));
//! // `main` has 1 <- 2; the branch added 3 on 1.
//! let revisions = [rev("1", None), rev("2", Some("1")), rev("3", Some("1"))];
//! let main = Main { name: "main".to_owned(), ids: BTreeSet::from(["1".to_owned(), "2".to_owned()]) };
//! let rebase = plan(&revisions, &Request::Unmerged, Some(&main)).unwrap();
//! assert_eq!(rebase.moves.len(), 1);
//! assert_eq!((rebase.moves[0].id.as_str(), rebase.moves[0].to.as_str()), ("3", "2"));
//! assert_eq!(rebase.head.as_deref(), Some("3"));
//! ```

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use crate::chain::{self, Node, Parent};
use crate::defect::{DefectKind, Defects};
use crate::discover::{self, Revisions};

/// One revision directory, as a rebase sees it: its id, its parent and
/// where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scanned {
    /// The id.
    pub id: String,
    /// The parent named in `metadata.toml`; `None` on a root.
    pub parent: Option<String>,
    /// The directory name, `<id>_<slug>`.
    pub dir_name: String,
    /// The directory as shown in messages, such as `migrations/3_tags`.
    pub dir: String,
}

impl Scanned {
    /// A revision whose directory, shown as `dir`, ends with its name.
    pub fn new(id: &str, parent: Option<&str>, dir: &str) -> Self {
        Scanned {
            id: id.to_owned(),
            parent: parent.map(str::to_owned),
            dir_name: dir.rsplit('/').next().unwrap_or(dir).to_owned(),
            dir: dir.to_owned(),
        }
    }

    /// `metadata.toml` of this revision, as shown in messages.
    pub fn metadata_file(&self) -> String {
        discover::join(&self.dir, "metadata.toml")
    }
}

/// Reads the revision directories of `dir` (shown as `display`) with every
/// file rule applied, but not the chain and `HEAD` rules, which a rebase
/// is there to satisfy. A directory with a broken file is refused with its
/// defects.
pub fn scan(dir: &Path, display: &str) -> Result<Vec<Scanned>, Defects> {
    match discover::list(dir, display).revisions {
        Revisions::Complete(found) => Ok(found
            .into_iter()
            .map(|found| Scanned {
                id: found.id,
                parent: found.metadata.parent,
                dir_name: found.dir_name,
                dir: found.dir,
            })
            .collect()),
        Revisions::Incomplete { defects, .. } => Err(defects),
    }
}

/// Which revisions move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// These, each with its descendants, in this order.
    Named(Vec<String>),
    /// Those not on the main branch.
    Unmerged,
}

/// The main branch: its name, for messages, and the ids of the revisions
/// whose directories it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Main {
    /// The branch as named to git, such as `origin/main`.
    pub name: String,
    /// The ids of the revisions on it.
    pub ids: BTreeSet<String>,
}

/// One revision that gets a new parent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    /// The revision.
    pub id: String,
    /// Its directory, as shown in messages.
    pub dir: String,
    /// Its parent before (`None`: it was a root).
    pub from: Option<String>,
    /// Its parent after.
    pub to: String,
}

/// What a rebase does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rebase {
    /// The revisions that get a new parent, in the order of the chain.
    pub moves: Vec<Move>,
    /// Every revision that moves to the end of the chain, new parent or not,
    /// in the order of the chain.
    pub moved: Vec<String>,
    /// The head of the chain afterwards: what `HEAD` holds.
    pub head: Option<String>,
}

/// Why a rebase does nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The revisions break a rule that a rebase does not repair (a
    /// duplicate id, a missing parent, a cycle, no root).
    Defects(Defects),
    /// A rebase cannot tell what to do, or must not do it.
    Refused {
        /// What is wrong, one sentence.
        message: String,
        /// What to do.
        help: String,
    },
}

fn refused(message: String, help: impl Into<String>) -> Refusal {
    Refusal::Refused {
        message,
        help: help.into(),
    }
}

fn quoted<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    ids.into_iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The revisions to name to `revchain rebase` to undo each fork and second
/// root the way the fork error suggests: every branch of a fork but the
/// first (by id), and every root but the first.
pub fn suggestion(revisions: &[Scanned]) -> Vec<String> {
    let ids: BTreeSet<&str> = revisions.iter().map(|r| r.id.as_str()).collect();
    let mut children: HashMap<Option<&str>, Vec<&str>> = HashMap::new();
    for revision in revisions {
        let parent = revision
            .parent
            .as_deref()
            .filter(|parent| ids.contains(parent));
        if revision.parent.is_none() || parent.is_some() {
            children.entry(parent).or_default().push(&revision.id);
        }
    }
    let mut named: Vec<&str> = children
        .into_values()
        .flat_map(|mut kids| {
            kids.sort_unstable();
            kids.into_iter().skip(1)
        })
        .collect();
    named.sort_unstable();
    named.into_iter().map(str::to_owned).collect()
}

/// Decides what `revchain rebase` does to `revisions`: which move to the
/// end of the chain, their new parents, and the head afterwards. `main`,
/// when known, holds the revisions that must not move; [`Request::Unmerged`]
/// needs it.
pub fn plan(
    revisions: &[Scanned],
    request: &Request,
    main: Option<&Main>,
) -> Result<Rebase, Refusal> {
    let nodes: Vec<Node> = revisions
        .iter()
        .map(|r| Node {
            id: r.id.clone(),
            parent: r.parent.clone().map_or(Parent::Root, Parent::Named),
            dir: r.dir.clone(),
        })
        .collect();
    let linked = chain::link(&nodes);
    let repairable = [DefectKind::Fork, DefectKind::MultipleRoots];
    let fatal: Vec<_> = linked
        .defects
        .iter()
        .filter(|defect| !repairable.contains(&defect.kind()))
        .cloned()
        .collect();
    if let Some(defects) = Defects::from_vec(fatal) {
        return Err(Refusal::Defects(defects));
    }
    let tree = Tree::new(revisions);
    let lines = match request {
        Request::Named(named) => tree.named_lines(named)?,
        Request::Unmerged => {
            let Some(main) = main else {
                return Err(refused(
                    "cannot tell which revisions are not on the main branch".to_owned(),
                    name_help(revisions),
                ));
            };
            tree.unmerged_lines(main)?
        }
    };
    if let Some(main) = main {
        let on_main: Vec<&str> = lines
            .iter()
            .flatten()
            .map(|&i| revisions[i].id.as_str())
            .filter(|id| main.ids.contains(*id))
            .collect();
        if !on_main.is_empty() {
            return Err(refused(
                format!(
                    "refusing to move {}: already on `{}`, where {} may be applied in production",
                    quoted(on_main.iter().copied()),
                    main.name,
                    if on_main.len() == 1 { "it" } else { "they" }
                ),
                "name only revisions that are not on the main branch yet; to change a revision that is, write a new revision on top of the chain",
            ));
        }
    }
    let moving: BTreeSet<usize> = lines.iter().flatten().copied().collect();
    let staying: Vec<Node> = nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| !moving.contains(i))
        .map(|(_, node)| node.clone())
        .collect();
    if staying.is_empty() && !moving.is_empty() {
        return Err(refused(
            "refusing to move every revision: the root would have no revision to follow".to_owned(),
            "name the revisions of the branch to put last, not the root",
        ));
    }
    let kept = chain::link(&staying);
    let Some(order) = kept.order.filter(|_| kept.defects.is_empty()) else {
        let problem = kept
            .defects
            .first()
            .map(|defect| defect.summary().to_owned())
            .unwrap_or_default();
        let staying: Vec<Scanned> = revisions
            .iter()
            .enumerate()
            .filter(|(i, _)| !moving.contains(i))
            .map(|(_, r)| r.clone())
            .collect();
        return Err(refused(
            format!("the revisions that stay are not one straight line: {problem}"),
            name_help(&staying),
        ));
    };
    let mut tip = order.last().map(|&i| staying[i].id.clone());
    let mut moves = Vec::new();
    let mut moved = Vec::new();
    for line in &lines {
        for (k, &index) in line.iter().enumerate() {
            let revision = &revisions[index];
            if k == 0
                && revision.parent != tip
                && let Some(to) = tip.clone()
            {
                moves.push(Move {
                    id: revision.id.clone(),
                    dir: revision.dir.clone(),
                    from: revision.parent.clone(),
                    to,
                });
            }
            moved.push(revision.id.clone());
            tip = Some(revision.id.clone());
        }
    }
    Ok(Rebase {
        moves,
        moved,
        head: tip,
    })
}

/// The help of a refusal that cannot tell what to move: the revisions to
/// name, when the forks say.
fn name_help(revisions: &[Scanned]) -> String {
    let named = suggestion(revisions);
    if named.is_empty() {
        "name the revisions to move, oldest first: `revchain rebase REV...`".to_owned()
    } else {
        format!(
            "name the revisions to move, oldest first, such as `revchain rebase {}`",
            named.join(" ")
        )
    }
}

/// The parent links of the revisions, for walking down branches. The
/// chain rules have already refused duplicates, missing parents and cycles.
struct Tree<'a> {
    revisions: &'a [Scanned],
    by_id: HashMap<&'a str, usize>,
    children: Vec<Vec<usize>>,
}

impl<'a> Tree<'a> {
    fn new(revisions: &'a [Scanned]) -> Self {
        let by_id: HashMap<&str, usize> = revisions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let mut children = vec![Vec::new(); revisions.len()];
        for (i, revision) in revisions.iter().enumerate() {
            if let Some(&parent) = revision.parent.as_deref().and_then(|p| by_id.get(p)) {
                children[parent].push(i);
            }
        }
        for kids in &mut children {
            kids.sort_by(|a, b| revisions[*a].id.cmp(&revisions[*b].id));
        }
        Tree {
            revisions,
            by_id,
            children,
        }
    }

    fn id(&self, index: usize) -> &str {
        &self.revisions[index].id
    }

    /// The line from `start` down its only children, within `allowed`;
    /// refuses a fork on the way, since the order of its branches is not
    /// known.
    fn line(&self, start: usize, allowed: impl Fn(usize) -> bool) -> Result<Vec<usize>, Refusal> {
        let mut line = vec![start];
        let mut at = start;
        loop {
            let kids: Vec<usize> = self.children[at]
                .iter()
                .copied()
                .filter(|&k| allowed(k))
                .collect();
            match kids.as_slice() {
                [] => return Ok(line),
                [only] => {
                    line.push(*only);
                    at = *only;
                }
                several => {
                    let ids = quoted(several.iter().map(|&k| self.id(k)));
                    return Err(refused(
                        format!(
                            "the revisions to move fork at `{}`: {ids} all name it as their parent, and their order is not known",
                            self.id(at)
                        ),
                        format!(
                            "name the branches to move in the order they should run, such as `revchain rebase {}`",
                            several[1..]
                                .iter()
                                .map(|&k| self.id(k))
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                    ));
                }
            }
        }
    }

    /// Each named revision with its descendants, in the order named; a
    /// revision that descends from one named before it is already moved.
    fn named_lines(&self, named: &[String]) -> Result<Vec<Vec<usize>>, Refusal> {
        let mut lines: Vec<Vec<usize>> = Vec::new();
        for id in named {
            let Some(&start) = self.by_id.get(id.as_str()) else {
                let hint = crate::suggest::closest(id, self.by_id.keys().copied())
                    .map(|close| format!(" (did you mean `{close}`?)"))
                    .unwrap_or_default();
                return Err(refused(
                    format!("there is no revision `{id}`{hint}"),
                    "name revisions by their id: the part of their directory name before the first `_`",
                ));
            };
            if lines.iter().flatten().any(|&i| i == start) {
                continue;
            }
            let line = self.line(start, |_| true)?;
            // A revision named after one of its ancestors' lines is
            // already in it; one named before its descendants takes them.
            lines.retain(|earlier| !earlier.iter().any(|i| line.contains(i)));
            lines.push(line);
        }
        Ok(lines)
    }

    /// The lines of revisions not on `main`. Refuses when they cannot be
    /// told apart: a revision on `main` that descends from one that is not,
    /// or several lines, whose order is not known.
    fn unmerged_lines(&self, main: &Main) -> Result<Vec<Vec<usize>>, Refusal> {
        let unmerged = |i: usize| !main.ids.contains(self.id(i));
        for (i, revision) in self.revisions.iter().enumerate() {
            let parent = revision.parent.as_deref().and_then(|p| self.by_id.get(p));
            if let Some(&parent) = parent
                && !unmerged(i)
                && unmerged(parent)
            {
                return Err(refused(
                    format!(
                        "`{}` is on `{}`, but its parent `{}` is not: cannot tell which revisions are new",
                        revision.id,
                        main.name,
                        self.id(parent)
                    ),
                    format!(
                        "check that `{}` is the main branch (`--main BRANCH`), or name the revisions to move: `revchain rebase REV...`",
                        main.name
                    ),
                ));
            }
        }
        let starts: Vec<usize> = (0..self.revisions.len())
            .filter(|&i| unmerged(i))
            .filter(|&i| {
                let parent = self.revisions[i].parent.as_deref();
                parent
                    .and_then(|p| self.by_id.get(p))
                    .is_none_or(|&p| !unmerged(p))
            })
            .collect();
        if starts.len() > 1 {
            return Err(refused(
                format!(
                    "the revisions not on `{}` form {} separate lines, starting at {}, and their order is not known",
                    main.name,
                    starts.len(),
                    quoted(starts.iter().map(|&i| self.id(i)))
                ),
                format!(
                    "name them in the order they should run: `revchain rebase {}`",
                    starts
                        .iter()
                        .map(|&i| self.id(i))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ));
        }
        starts
            .into_iter()
            .map(|start| self.line(start, unmerged))
            .collect()
    }
}
