//! The chain rules: the revisions must form one straight line from a single
//! root to a single head.
//!
//! This module sees only ids and parent links, so the same rules serve a
//! directory on disk, a chain embedded in a binary, and property tests over
//! random graphs.

mod rules;

use std::collections::HashMap;

use crate::defect::{Defect, Defects};
use rules::Split;

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
    /// A revision whose parent is known: `parent` names it, or is `None` on
    /// a root.
    pub(crate) fn known(id: String, parent: Option<String>, dir: String) -> Self {
        Node {
            id,
            parent: parent.map_or(Parent::Root, Parent::Named),
            dir,
        }
    }

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
    let graph = Graph::new(nodes);
    let Findings {
        defects,
        split_head,
    } = findings(&graph);
    let (order, expected_head) = if defects.is_empty() && !graph.unknown {
        let order = graph.order();
        let head = graph.head_of(&order);
        (Some(order), head)
    } else {
        (None, split_head)
    };
    Linked {
        order,
        defects,
        expected_head,
    }
}

/// Revisions whose parents are all known, as [`link_known`] takes them: with
/// no [`Parent::Unknown`], the chain rules always decide.
#[derive(Clone, Debug, Default)]
pub(crate) struct KnownNodes(Vec<Node>);

impl KnownNodes {
    /// Adds a revision; see [`Node::known`].
    pub(crate) fn push(&mut self, id: String, parent: Option<String>, dir: String) {
        self.0.push(Node::known(id, parent, dir));
    }

    /// The revisions, in the order they were added.
    pub(crate) fn as_slice(&self) -> &[Node] {
        &self.0
    }
}

/// The positions of a set of revisions from the root to the head: every
/// index of the nodes given to [`link_known`], each once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Order(Vec<usize>);

impl Order {
    /// Arranges `items`, one for each node in the order the nodes were given
    /// to [`link_known`], from the root to the head.
    pub(crate) fn arrange<T>(&self, items: Vec<T>) -> Vec<T> {
        // `(index, rank)` sorted by index pairs up with the items in order.
        let mut ranks: Vec<(usize, usize)> = self
            .0
            .iter()
            .enumerate()
            .map(|(rank, &index)| (index, rank))
            .collect();
        ranks.sort_unstable();
        let mut ranked: Vec<(usize, T)> = ranks
            .into_iter()
            .zip(items)
            .map(|((_, rank), item)| (rank, item))
            .collect();
        ranked.sort_unstable_by_key(|&(rank, _)| rank);
        ranked.into_iter().map(|(_, item)| item).collect()
    }
}

/// The chain rules' verdict on revisions whose parents are all known.
#[derive(Clone, Debug)]
pub(crate) struct Linking {
    /// The revisions from the root to the head, or every rule they break.
    pub(crate) order: Result<Order, Defects>,
    /// The id `HEAD` should hold; see [`Linked::expected_head`].
    pub(crate) expected_head: Option<String>,
}

/// Applies the same rules as [`link`] to revisions whose parents are all
/// known: they form one chain exactly when they break no rule.
pub(crate) fn link_known(nodes: &KnownNodes) -> Linking {
    let graph = Graph::new(nodes.as_slice());
    let Findings {
        defects,
        split_head,
    } = findings(&graph);
    match Defects::from_vec(defects) {
        Some(defects) => Linking {
            order: Err(defects),
            expected_head: split_head,
        },
        None => {
            let order = graph.order();
            Linking {
                expected_head: graph.head_of(&order),
                order: Ok(Order(order)),
            }
        }
    }
}

/// What the rules find before any order is taken.
struct Findings {
    /// Every rule the nodes break, in the order of the rules.
    defects: Vec<Defect>,
    /// After a single fork or second root, the head the suggested
    /// re-parenting leads to.
    split_head: Option<String>,
}

/// Applies every rule to `graph`.
fn findings(graph: &Graph<'_>) -> Findings {
    let mut defects = rules::duplicate_ids(graph);
    defects.extend(rules::missing_parents(graph));
    let splits: Vec<Split> = rules::forks(graph)
        .into_iter()
        .chain(rules::multiple_roots(graph))
        .collect();
    let split_head = match splits.as_slice() {
        [split] if !graph.unknown => Some(split.head.clone()),
        _ => None,
    };
    defects.extend(splits.into_iter().map(|split| split.defect));
    defects.extend(rules::no_root(graph));
    defects.extend(rules::cycles(graph));
    Findings {
        defects,
        split_head,
    }
}

/// The parent links of a set of nodes, built once for all the rules.
struct Graph<'a> {
    nodes: &'a [Node],
    /// The indices of the nodes holding each id, in the given order. The
    /// first directory holding an id stands for it in the other rules, so a
    /// duplicate is reported once.
    by_id: HashMap<&'a str, Vec<usize>>,
    /// The children of each node, sorted by id.
    children: Vec<Vec<usize>>,
    /// The parent of each node, when it names one that exists.
    parent_of: Vec<Option<usize>>,
    /// The nodes without a parent, sorted by id.
    roots: Vec<usize>,
    /// The nodes that name a parent that does not exist, with that parent.
    missing: Vec<(usize, &'a str)>,
    /// Whether some node's parent is [`Parent::Unknown`].
    unknown: bool,
}

impl<'a> Graph<'a> {
    fn new(nodes: &'a [Node]) -> Self {
        let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut canonical = vec![false; nodes.len()];
        for (index, node) in nodes.iter().enumerate() {
            let group = by_id.entry(node.id.as_str()).or_default();
            canonical[index] = group.is_empty();
            group.push(index);
        }
        let mut graph = Graph {
            nodes,
            children: vec![Vec::new(); nodes.len()],
            parent_of: vec![None; nodes.len()],
            roots: Vec::new(),
            missing: Vec::new(),
            unknown: false,
            by_id,
        };
        for (index, node) in nodes.iter().enumerate().filter(|(i, _)| canonical[*i]) {
            match &node.parent {
                Parent::Root => graph.roots.push(index),
                Parent::Unknown => graph.unknown = true,
                Parent::Named(parent) => {
                    match graph.by_id.get(parent.as_str()).and_then(|g| g.first()) {
                        Some(&found) => {
                            graph.parent_of[index] = Some(found);
                            graph.children[found].push(index);
                        }
                        None => graph.missing.push((index, parent.as_str())),
                    }
                }
            }
        }
        for list in &mut graph.children {
            list.sort_by(|a, b| nodes[*a].id.cmp(&nodes[*b].id));
        }
        graph.roots.sort_by(|a, b| nodes[*a].id.cmp(&nodes[*b].id));
        graph
    }

    /// The end of the line that starts at `start`, following first children.
    fn tip(&self, start: usize) -> usize {
        let mut at = start;
        for _ in 0..self.nodes.len() {
            match self.children[at].first() {
                Some(&child) => at = child,
                None => break,
            }
        }
        at
    }

    /// The id of the last node of `order`.
    fn head_of(&self, order: &[usize]) -> Option<String> {
        order.last().map(|&i| self.nodes[i].id.clone())
    }

    /// The nodes from the first root to its tip, following first children;
    /// every node when no rule is broken.
    fn order(&self) -> Vec<usize> {
        let mut order = Vec::with_capacity(self.nodes.len());
        let mut at = self.roots.first().copied();
        while let Some(index) = at {
            order.push(index);
            at = self.children[index].first().copied();
        }
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defect::DefectKind;

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
