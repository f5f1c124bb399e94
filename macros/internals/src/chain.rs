//! The chain rules: the revisions must form one straight line from a single
//! root to a single head.
//!
//! This module sees only ids and parent links, so the same rules serve a
//! directory on disk, a chain embedded in a binary, and property tests over
//! random graphs.

use std::collections::HashMap;

use crate::defect::{Defect, DefectKind};
use crate::suggest::closest;

/// What a revision says about its parent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parent {
    /// No parent: the revision claims to be the root.
    Root,
    /// The id the revision names as its parent.
    Named(String),
    /// Unknown, because its `metadata.toml` could not be read. Such a revision
    /// is left out of the rules that would otherwise report it twice.
    Unknown,
}

/// One revision as the chain rules see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The revision id.
    pub id: String,
    /// Its parent link.
    pub parent: Parent,
    /// Its directory, as shown in messages (for example
    /// `migrations/2026-01-01-000000_init`).
    pub dir: String,
}

impl Node {
    fn metadata_file(&self) -> String {
        format!("{}/metadata.toml", self.dir)
    }
}

/// The result of applying the chain rules to a set of nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Linked {
    /// The indices of the nodes from root to head, when they form one chain.
    pub order: Option<Vec<usize>>,
    /// Every rule the nodes break.
    pub defects: Vec<Defect>,
    /// The id `HEAD` should hold: the head of the chain, or, after a single
    /// fork or second root, the head the suggested re-parenting leads to.
    pub expected_head: Option<String>,
}

/// Applies every chain rule at once: duplicate ids, missing parents, forks,
/// roots and cycles.
///
/// ```
/// use revchain_internals::chain::{link, Node, Parent};
///
/// let node = |id: &str, parent: Option<&str>| Node {
///     id: id.to_owned(),
///     parent: parent.map_or(Parent::Root, |p| Parent::Named(p.to_owned())),
///     dir: format!("migrations/{id}_x"),
/// };
/// let linear = link(&[node("b", Some("a")), node("a", None)]);
/// assert_eq!(linear.order, Some(vec![1, 0]));
///
/// let forked = link(&[node("a", None), node("b", Some("a")), node("c", Some("a"))]);
/// assert_eq!(forked.order, None);
/// assert!(forked.defects[0].summary().starts_with("fork"));
/// ```
pub fn link(nodes: &[Node]) -> Linked {
    let mut defects = Vec::new();

    // Ids, and duplicates. The first directory (in the given order) holding an
    // id stands for it in the other rules, so a duplicate is reported once.
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, node) in nodes.iter().enumerate() {
        by_id.entry(node.id.as_str()).or_default().push(index);
    }
    let mut duplicated: Vec<&Vec<usize>> = by_id.values().filter(|group| group.len() > 1).collect();
    duplicated.sort();
    for group in duplicated {
        defects.push(duplicate_defect(nodes, group));
    }
    let canonical = |index: usize| by_id[nodes[index].id.as_str()][0] == index;

    // Parent links.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut roots = Vec::new();
    let mut parent_of: Vec<Option<usize>> = vec![None; nodes.len()];
    let mut unknown = false;
    for (index, node) in nodes.iter().enumerate().filter(|(i, _)| canonical(*i)) {
        match &node.parent {
            Parent::Root => roots.push(index),
            Parent::Unknown => unknown = true,
            Parent::Named(parent) => match by_id.get(parent.as_str()) {
                Some(group) => {
                    parent_of[index] = Some(group[0]);
                    children[group[0]].push(index);
                }
                None => defects.push(missing_parent_defect(nodes, node, parent)),
            },
        }
    }
    for list in &mut children {
        list.sort_by(|a, b| nodes[*a].id.cmp(&nodes[*b].id));
    }
    roots.sort_by(|a, b| nodes[*a].id.cmp(&nodes[*b].id));

    let tip = |start: usize| -> usize {
        let mut at = start;
        for _ in 0..nodes.len() {
            match children[at].first() {
                Some(&child) => at = child,
                None => break,
            }
        }
        at
    };

    let mut expected_head = None;
    let mut splits = 0;

    // Forks.
    for (parent, kids) in children.iter().enumerate() {
        if kids.len() > 1 {
            splits += 1;
            let (defect, head) = fork_defect(nodes, parent, kids, &tip);
            defects.push(defect);
            expected_head = Some(head);
        }
    }

    // Roots.
    if roots.len() > 1 {
        splits += 1;
        let (defect, head) = multiple_roots_defect(nodes, &roots, &tip);
        defects.push(defect);
        expected_head = Some(head);
    } else if roots.is_empty() && !unknown && !nodes.is_empty() {
        defects.push(no_root_defect(nodes));
    }

    // Cycles: every node has at most one parent, so walking up from each node
    // either ends at a root, a missing parent, or loops.
    let mut state = vec![0u8; nodes.len()]; // 0 new, 1 on the current walk, 2 done
    for start in 0..nodes.len() {
        let mut walk = Vec::new();
        let mut at = Some(start);
        while let Some(index) = at {
            match state[index] {
                2 => break,
                1 => {
                    let from = walk.iter().position(|&i| i == index).unwrap_or(0);
                    defects.push(cycle_defect(nodes, &walk[from..]));
                    break;
                }
                _ => {
                    state[index] = 1;
                    walk.push(index);
                    at = parent_of[index];
                }
            }
        }
        for index in walk {
            state[index] = 2;
        }
    }

    if splits != 1 || unknown {
        expected_head = None;
    }
    let order = if defects.is_empty() && !unknown {
        let mut order = Vec::with_capacity(nodes.len());
        let mut at = roots.first().copied();
        while let Some(index) = at {
            order.push(index);
            at = children[index].first().copied();
        }
        expected_head = order.last().map(|&i| nodes[i].id.clone());
        Some(order)
    } else {
        None
    };
    Linked {
        order,
        defects,
        expected_head,
    }
}

fn quoted_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let ids: Vec<String> = ids.into_iter().map(|id| format!("`{id}`")).collect();
    match ids.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn duplicate_defect(nodes: &[Node], group: &[usize]) -> Defect {
    let id = &nodes[group[0]].id;
    let later: Vec<String> = group[1..]
        .iter()
        .map(|&i| format!("`{}`", nodes[i].dir))
        .collect();
    Defect::new(
        DefectKind::DuplicateId,
        format!(
            "duplicate id: {} revision directories use the id `{id}`",
            group.len()
        ),
        group.iter().map(|&i| nodes[i].dir.clone()).collect(),
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
fn reparent_instructions(
    nodes: &[Node],
    first: usize,
    later: &[usize],
    tip: &dyn Fn(usize) -> usize,
) -> (String, String) {
    let mut steps = Vec::new();
    let mut previous_tip = tip(first);
    for &branch in later {
        steps.push(format!(
            "write `parent = \"{}\"` in `{}`",
            nodes[previous_tip].id,
            nodes[branch].metadata_file()
        ));
        previous_tip = tip(branch);
    }
    (steps.join(", then "), nodes[previous_tip].id.clone())
}

fn head_file_of(nodes: &[Node], index: usize) -> String {
    let dir = &nodes[index].dir;
    match dir.rfind('/') {
        Some(slash) => format!("{}/HEAD", &dir[..slash]),
        None => "HEAD".to_owned(),
    }
}

fn fork_defect(
    nodes: &[Node],
    parent: usize,
    kids: &[usize],
    tip: &dyn Fn(usize) -> usize,
) -> (Defect, String) {
    let (steps, head) = reparent_instructions(nodes, kids[0], &kids[1..], tip);
    let later = quoted_ids(kids[1..].iter().map(|&i| nodes[i].id.as_str()));
    let defect = Defect::new(
        DefectKind::Fork,
        format!(
            "fork: {} {} name `{}` as their parent, but the history must be one straight line",
            quoted_ids(kids.iter().map(|&i| nodes[i].id.as_str())),
            if kids.len() == 2 { "both" } else { "all" },
            nodes[parent].id
        ),
        kids.iter().map(|&i| nodes[i].metadata_file()).collect(),
        format!(
            "keep `{}` and re-parent {later} onto the end of the chain: {steps}; then write `{head}` in `{}`",
            nodes[kids[0]].id,
            head_file_of(nodes, parent)
        ),
    );
    (defect, head)
}

fn multiple_roots_defect(
    nodes: &[Node],
    roots: &[usize],
    tip: &dyn Fn(usize) -> usize,
) -> (Defect, String) {
    let (steps, head) = reparent_instructions(nodes, roots[0], &roots[1..], tip);
    let defect = Defect::new(
        DefectKind::MultipleRoots,
        format!(
            "more than one root: {} have no `parent`, but a history has exactly one root",
            quoted_ids(roots.iter().map(|&i| nodes[i].id.as_str()))
        ),
        roots.iter().map(|&i| nodes[i].dir.clone()).collect(),
        format!(
            "keep `{}` as the root and give the others a parent: {steps}; then write `{head}` in `{}`",
            nodes[roots[0]].id,
            head_file_of(nodes, roots[0])
        ),
    );
    (defect, head)
}

fn no_root_defect(nodes: &[Node]) -> Defect {
    let oldest = (0..nodes.len())
        .min_by(|a, b| nodes[*a].id.cmp(&nodes[*b].id))
        .unwrap_or(0);
    Defect::new(
        DefectKind::NoRoot,
        "no root: every revision names a parent, but the first revision of a history has none",
        vec![nodes[oldest].metadata_file()],
        format!(
            "remove the `parent` line from the metadata of the first revision (the oldest is `{}`)",
            nodes[oldest].id
        ),
    )
}

fn cycle_defect(nodes: &[Node], cycle: &[usize]) -> Defect {
    let mut path: Vec<String> = cycle
        .iter()
        .map(|&i| format!("`{}`", nodes[i].id))
        .collect();
    path.push(format!("`{}`", nodes[cycle[0]].id));
    Defect::new(
        DefectKind::Cycle,
        format!(
            "cycle: following `parent` from `{}` leads back to it: {}",
            nodes[cycle[0]].id,
            path.join(" -> ")
        ),
        cycle.iter().map(|&i| nodes[i].metadata_file()).collect(),
        "a revision cannot descend from itself: make one of these revisions name a parent outside the cycle, or remove its `parent` if it is the first revision",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, parent: Option<&str>) -> Node {
        Node {
            id: id.to_owned(),
            parent: parent.map_or(Parent::Root, |p| Parent::Named(p.to_owned())),
            dir: format!("migrations/{id}_x"),
        }
    }

    fn kinds(linked: &Linked) -> Vec<DefectKind> {
        linked.defects.iter().map(Defect::kind).collect()
    }

    #[test]
    fn a_linear_chain_is_ordered_from_root_to_head() {
        let linked = link(&[node("c", Some("b")), node("a", None), node("b", Some("a"))]);
        assert_eq!(linked.order, Some(vec![1, 2, 0]));
        assert_eq!(linked.expected_head.as_deref(), Some("c"));
        assert!(linked.defects.is_empty());
    }

    #[test]
    fn an_empty_set_is_an_empty_chain() {
        let linked = link(&[]);
        assert_eq!(linked.order, Some(vec![]));
        assert_eq!(linked.expected_head, None);
    }

    #[test]
    fn a_fork_names_the_parent_every_child_and_the_exact_line() {
        let linked = link(&[
            node("1", None),
            node("2", Some("1")),
            node("3", Some("1")),
            node("4", Some("2")),
        ]);
        assert_eq!(kinds(&linked), [DefectKind::Fork]);
        let defect = &linked.defects[0];
        assert!(
            defect.summary().contains("`2` and `3` both name `1`"),
            "{defect}"
        );
        assert_eq!(
            defect.locations(),
            [
                "migrations/2_x/metadata.toml",
                "migrations/3_x/metadata.toml"
            ]
        );
        assert!(
            defect
                .help()
                .contains("write `parent = \"4\"` in `migrations/3_x/metadata.toml`"),
            "{defect}"
        );
        assert!(
            defect.help().contains("write `3` in `migrations/HEAD`"),
            "{defect}"
        );
        assert_eq!(linked.expected_head.as_deref(), Some("3"));
    }

    #[test]
    fn a_three_way_fork_lines_the_branches_up() {
        let linked = link(&[
            node("1", None),
            node("2", Some("1")),
            node("3", Some("1")),
            node("4", Some("1")),
        ]);
        let help = linked.defects[0].help();
        assert!(
            help.contains("`parent = \"2\"` in `migrations/3_x/metadata.toml`"),
            "{help}"
        );
        assert!(
            help.contains("`parent = \"3\"` in `migrations/4_x/metadata.toml`"),
            "{help}"
        );
        assert!(linked.defects[0].summary().contains("all name"));
    }

    #[test]
    fn a_missing_parent_suggests_a_close_id() {
        let linked = link(&[
            node("2026-01-01-000000", None),
            node("b", Some("2026-01-01-00000")),
        ]);
        assert_eq!(kinds(&linked), [DefectKind::MissingParent]);
        assert!(
            linked.defects[0]
                .help()
                .contains("did you mean `2026-01-01-000000`")
        );
        let far = link(&[node("a", None), node("b", Some("zzzzzz"))]);
        assert!(!far.defects[0].help().contains("did you mean"));
    }

    #[test]
    fn two_roots_are_reported_with_a_fix() {
        let linked = link(&[node("1", None), node("2", Some("1")), node("3", None)]);
        assert_eq!(kinds(&linked), [DefectKind::MultipleRoots]);
        assert!(
            linked.defects[0]
                .help()
                .contains("write `parent = \"2\"` in `migrations/3_x/metadata.toml`")
        );
    }

    #[test]
    fn no_root_is_reported_with_the_cycle_that_causes_it() {
        let linked = link(&[node("a", Some("b")), node("b", Some("a"))]);
        assert_eq!(kinds(&linked), [DefectKind::NoRoot, DefectKind::Cycle]);
        assert!(
            linked.defects[1].summary().contains("`a` -> `b` -> `a`"),
            "{}",
            linked.defects[1]
        );
    }

    #[test]
    fn a_cycle_beside_a_valid_root_is_reported_once() {
        let linked = link(&[
            node("1", None),
            node("a", Some("c")),
            node("b", Some("a")),
            node("c", Some("b")),
        ]);
        assert_eq!(kinds(&linked), [DefectKind::Cycle]);
        assert_eq!(linked.defects[0].locations().len(), 3);
    }

    #[test]
    fn a_self_parent_is_a_cycle() {
        let linked = link(&[node("1", None), node("a", Some("a"))]);
        assert_eq!(kinds(&linked), [DefectKind::Cycle]);
    }

    #[test]
    fn duplicate_ids_are_reported_once_without_a_spurious_fork() {
        let mut second = node("2", Some("1"));
        second.dir = "migrations/2_other".to_owned();
        let linked = link(&[node("1", None), node("2", Some("1")), second]);
        assert_eq!(kinds(&linked), [DefectKind::DuplicateId]);
        assert_eq!(
            linked.defects[0].locations(),
            ["migrations/2_x", "migrations/2_other"]
        );
    }

    #[test]
    fn unknown_parents_suppress_root_rules_but_not_forks() {
        let mut broken = node("2", None);
        broken.parent = Parent::Unknown;
        let linked = link(&[broken.clone(), node("3", Some("2"))]);
        assert!(linked.defects.is_empty());
        assert_eq!(linked.order, None);
        let forked = link(&[broken, node("3", Some("2")), node("4", Some("2"))]);
        assert_eq!(kinds(&forked), [DefectKind::Fork]);
    }
}
