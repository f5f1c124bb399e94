//! The chain rules, one function each, over the [`Graph`] built once by
//! [`link`](super::link): duplicate ids, missing parents, forks, more than
//! one root, no root, and cycles. Each returns the defects it finds, with
//! their messages.

use super::{Graph, Node};
use crate::defect::{Defect, DefectKind};
use crate::suggest::closest;

/// A defect that splits the history into several lines (a fork or a second
/// root), with the head the suggested re-parenting leads to.
pub(super) struct Split {
    pub(super) defect: Defect,
    pub(super) head: String,
}

/// Two or more revision directories that share an id, one defect per id, in
/// the order of their directories.
pub(super) fn duplicate_ids(graph: &Graph<'_>) -> Vec<Defect> {
    let mut duplicated: Vec<(usize, &[usize])> = graph
        .by_id
        .values()
        .filter_map(|group| match group.as_slice() {
            [first, later @ ..] if !later.is_empty() => Some((*first, later)),
            _ => None,
        })
        .collect();
    duplicated.sort();
    duplicated
        .into_iter()
        .map(|(first, later)| duplicate_defect(graph.nodes, first, later))
        .collect()
}

/// Revisions that name a parent no revision has as its id.
pub(super) fn missing_parents(graph: &Graph<'_>) -> Vec<Defect> {
    graph
        .missing
        .iter()
        .map(|&(index, parent)| missing_parent_defect(graph.nodes, &graph.nodes[index], parent))
        .collect()
}

/// Parents of two or more children, in the order of the parents.
pub(super) fn forks(graph: &Graph<'_>) -> Vec<Split> {
    graph
        .children
        .iter()
        .enumerate()
        .filter_map(|(parent, kids)| match kids.as_slice() {
            [kept, later @ ..] if !later.is_empty() => {
                Some(fork_defect(graph, parent, *kept, later))
            }
            _ => None,
        })
        .collect()
}

/// More than one revision without a parent.
pub(super) fn multiple_roots(graph: &Graph<'_>) -> Option<Split> {
    match graph.roots.as_slice() {
        [kept, later @ ..] if !later.is_empty() => Some(multiple_roots_defect(graph, *kept, later)),
        _ => None,
    }
}

/// No revision without a parent, when every parent is known. The oldest
/// revision by id is named as the likely root.
pub(super) fn no_root(graph: &Graph<'_>) -> Option<Defect> {
    if !graph.roots.is_empty() || graph.unknown {
        return None;
    }
    let oldest = graph.nodes.iter().min_by(|a, b| a.id.cmp(&b.id))?;
    Some(Defect::new(
        DefectKind::NoRoot,
        "no root: every revision names a parent, but the first revision of a history has none",
        vec![oldest.metadata_file()],
        format!(
            "remove the `parent` line from the metadata of the first revision (the oldest is `{}`)",
            oldest.id
        ),
    ))
}

/// Where a node is in the search for cycles.
#[derive(Clone, Copy)]
enum Visit {
    /// Not reached yet.
    New,
    /// On the current walk, at this position.
    OnWalk(usize),
    /// Reached by an earlier walk, which reported any cycle it holds.
    Done,
}

/// Cycles of parent links, each reported once, from the node where the walk
/// that found it entered it.
pub(super) fn cycles(graph: &Graph<'_>) -> Vec<Defect> {
    // Every node has at most one parent, so walking up from each node either
    // ends at a root, a missing parent, or loops.
    let mut defects = Vec::new();
    let mut visit = vec![Visit::New; graph.nodes.len()];
    for start in 0..graph.nodes.len() {
        let mut walk = Vec::new();
        let mut at = Some(start);
        while let Some(index) = at {
            match visit[index] {
                Visit::Done => break,
                Visit::OnWalk(from) => {
                    defects.push(cycle_defect(graph.nodes, index, &walk[from..]));
                    break;
                }
                Visit::New => {
                    visit[index] = Visit::OnWalk(walk.len());
                    walk.push(index);
                    at = graph.parent_of[index];
                }
            }
        }
        for index in walk {
            visit[index] = Visit::Done;
        }
    }
    defects
}

fn quoted_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let ids: Vec<String> = ids.into_iter().map(|id| format!("`{id}`")).collect();
    match ids.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn duplicate_defect(nodes: &[Node], first: usize, later: &[usize]) -> Defect {
    let id = &nodes[first].id;
    let group = || std::iter::once(first).chain(later.iter().copied());
    let later: Vec<String> = later
        .iter()
        .map(|&i| format!("`{}`", nodes[i].dir))
        .collect();
    Defect::new(
        DefectKind::DuplicateId,
        format!(
            "duplicate id: {} revision directories use the id `{id}`",
            group().count()
        ),
        group().map(|i| nodes[i].dir.clone()).collect(),
        format!(
            "every revision needs its own id: rename {} to a new id (the part before the first `_`) and make it the child of the current head",
            later.join(" and ")
        ),
    )
}

fn missing_parent_defect(nodes: &[Node], node: &Node, parent: &str) -> Defect {
    let file = node.metadata_file();
    let others = nodes
        .iter()
        .map(|n| n.id.as_str())
        .filter(|id| *id != node.id);
    let help = match closest(parent, others) {
        Some(id) => format!("did you mean `{id}`? write `parent = \"{id}\"` in `{file}`"),
        None => format!(
            "restore the revision `{parent}`, or write the id of an existing revision in `parent` in `{file}`"
        ),
    };
    Defect::new(
        DefectKind::MissingParent,
        format!(
            "missing parent: `{}` names `{parent}` as its parent, but there is no revision `{parent}`",
            node.id
        ),
        vec![file],
        help,
    )
}

/// Re-parents `later[k]` onto the tip of the branch before it, so that the
/// branches line up one after another; returns the instructions and the head
/// the history ends at.
fn reparent_instructions(graph: &Graph<'_>, first: usize, later: &[usize]) -> (String, String) {
    let nodes = graph.nodes;
    let mut steps = Vec::new();
    let mut previous_tip = graph.tip(first);
    for &branch in later {
        steps.push(format!(
            "write `parent = \"{}\"` in `{}`",
            nodes[previous_tip].id,
            nodes[branch].metadata_file()
        ));
        previous_tip = graph.tip(branch);
    }
    (steps.join(", then "), nodes[previous_tip].id.clone())
}

/// `revchain rebase` naming the branches to move, as the manual fix
/// moves them (in git, `revchain rebase` alone moves those not yet on the
/// main branch).
fn rebase_command(nodes: &[Node], later: &[usize]) -> String {
    let ids: Vec<&str> = later.iter().map(|&i| nodes[i].id.as_str()).collect();
    format!("`revchain rebase {}`", ids.join(" "))
}

fn head_file_of(nodes: &[Node], index: usize) -> String {
    let dir = &nodes[index].dir;
    match dir.rfind('/') {
        Some(slash) => format!("{}/HEAD", &dir[..slash]),
        None => "HEAD".to_owned(),
    }
}

fn fork_defect(graph: &Graph<'_>, parent: usize, kept: usize, later: &[usize]) -> Split {
    let nodes = graph.nodes;
    let kids = || std::iter::once(kept).chain(later.iter().copied());
    let (steps, head) = reparent_instructions(graph, kept, later);
    let later_ids = quoted_ids(later.iter().map(|&i| nodes[i].id.as_str()));
    let defect = Defect::new(
        DefectKind::Fork,
        format!(
            "fork: {} {} name `{}` as their parent, but the history must be one straight line",
            quoted_ids(kids().map(|i| nodes[i].id.as_str())),
            if later.len() == 1 { "both" } else { "all" },
            nodes[parent].id
        ),
        kids().map(|i| nodes[i].metadata_file()).collect(),
        format!(
            "keep `{}` and re-parent {later_ids} onto the end of the chain: {steps}; then write `{head}` in `{}`; or run {}, which does both",
            nodes[kept].id,
            head_file_of(nodes, parent),
            rebase_command(nodes, later)
        ),
    );
    Split { defect, head }
}

fn multiple_roots_defect(graph: &Graph<'_>, kept: usize, later: &[usize]) -> Split {
    let nodes = graph.nodes;
    let roots = || std::iter::once(kept).chain(later.iter().copied());
    let (steps, head) = reparent_instructions(graph, kept, later);
    let defect = Defect::new(
        DefectKind::MultipleRoots,
        format!(
            "more than one root: {} have no `parent`, but a history has exactly one root",
            quoted_ids(roots().map(|i| nodes[i].id.as_str()))
        ),
        roots().map(|i| nodes[i].dir.clone()).collect(),
        format!(
            "keep `{}` as the root and give the others a parent: {steps}; then write `{head}` in `{}`; or run {}, which does both",
            nodes[kept].id,
            head_file_of(nodes, kept),
            rebase_command(nodes, later)
        ),
    );
    Split { defect, head }
}

/// The cycle `cycle`, which starts at `start` and leads back to it.
fn cycle_defect(nodes: &[Node], start: usize, cycle: &[usize]) -> Defect {
    let mut path: Vec<String> = cycle
        .iter()
        .map(|&i| format!("`{}`", nodes[i].id))
        .collect();
    path.push(format!("`{}`", nodes[start].id));
    Defect::new(
        DefectKind::Cycle,
        format!(
            "cycle: following `parent` from `{}` leads back to it: {}",
            nodes[start].id,
            path.join(" -> ")
        ),
        cycle.iter().map(|&i| nodes[i].metadata_file()).collect(),
        "a revision cannot descend from itself: make one of these revisions name a parent outside the cycle, or remove its `parent` if it is the first revision",
    )
}
