//! Property tests of the chain rules over random parent graphs, through the
//! pure `chain::link` and, for a subset, through `load` on real directories.
//!
//! The oracle that says whether a graph is one linear chain, and which
//! revisions each defect must name, is computed here independently of `link`.

// The helpers below are test code too: a failed setup should fail the test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::Path;

use proptest::collection::{btree_set, vec};
use proptest::option;
use proptest::prelude::*;
use revchain_internals::chain::{Linked, Node, Parent, link};
use revchain_internals::{Defect, DefectKind, Defects, load};

const DISPLAY: &str = "migrations";

/// One revision of a generated graph.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rev {
    id: String,
    parent: Option<String>,
    /// The directory name, `<id>_n<k>`: unique even when ids repeat.
    dir_name: String,
}

impl Rev {
    fn dir(&self) -> String {
        format!("{DISPLAY}/{}", self.dir_name)
    }

    fn metadata_file(&self) -> String {
        format!("{}/metadata.toml", self.dir())
    }
}

fn nodes(revs: &[Rev]) -> Vec<Node> {
    revs.iter()
        .map(|rev| Node {
            id: rev.id.clone(),
            parent: rev.parent.clone().map_or(Parent::Root, Parent::Named),
            dir: rev.dir(),
        })
        .collect()
}

// Strategies.

/// `n` distinct ids of at most 5 characters, in random order.
fn distinct_ids(n: usize) -> impl Strategy<Value = Vec<String>> {
    btree_set("[a-z0-9][a-z0-9-]{0,4}", n)
        .prop_map(|ids| ids.into_iter().collect::<Vec<_>>())
        .prop_shuffle()
}

/// An id that no generated revision has: generated ids are at most 5
/// characters long.
fn missing_id(k: u8) -> String {
    format!("missing-{}", k % 3)
}

#[derive(Clone, Debug)]
enum Link {
    Root,
    To(usize),
    Missing(u8),
}

fn link_to(n: usize) -> impl Strategy<Value = Link> {
    prop_oneof![
        2 => Just(Link::Root),
        6 => (0..n.max(1)).prop_map(Link::To),
        1 => any::<u8>().prop_map(Link::Missing),
    ]
}

fn assemble(ids: Vec<String>, parents: Vec<Option<String>>) -> Vec<Rev> {
    ids.into_iter()
        .zip(parents)
        .enumerate()
        .map(|(k, (id, parent))| Rev {
            dir_name: format!("{id}_n{k}"),
            id,
            parent,
        })
        .collect()
}

/// Any graph: each revision is a root, names any revision (itself included)
/// or names an id nobody has; now and then a revision copies another's id.
fn random_graph() -> impl Strategy<Value = Vec<Rev>> {
    (0usize..12).prop_flat_map(|n| {
        (
            distinct_ids(n),
            vec(link_to(n), n),
            vec(option::weighted(0.1, 0..n.max(1)), n),
        )
            .prop_map(|(mut ids, links, copies)| {
                for (k, copy) in copies.into_iter().enumerate() {
                    if let Some(from) = copy {
                        ids[k] = ids[from].clone();
                    }
                }
                let parents = links
                    .into_iter()
                    .map(|link| match link {
                        Link::Root => None,
                        Link::To(to) => Some(ids[to].clone()),
                        Link::Missing(k) => Some(missing_id(k)),
                    })
                    .collect();
                assemble(ids, parents)
            })
    })
}

#[derive(Clone, Debug)]
enum Mutation {
    MakeRoot(usize),
    Reparent(usize, usize),
    Orphan(usize, u8),
    CopyId(usize, usize),
}

fn mutation(n: usize) -> impl Strategy<Value = Mutation> {
    let index = 0..n.max(1);
    prop_oneof![
        (index.clone()).prop_map(Mutation::MakeRoot),
        (index.clone(), index.clone()).prop_map(|(a, b)| Mutation::Reparent(a, b)),
        (index.clone(), any::<u8>()).prop_map(|(a, k)| Mutation::Orphan(a, k)),
        (index.clone(), index).prop_map(|(a, b)| Mutation::CopyId(a, b)),
    ]
}

/// A linear chain, then up to two random edits, presented in random order:
/// many of these are valid, the rest are near misses.
fn near_chain() -> impl Strategy<Value = Vec<Rev>> {
    (0usize..12).prop_flat_map(|n| {
        (distinct_ids(n), vec(mutation(n), 0..3))
            .prop_map(move |(mut ids, mutations)| {
                let mut parents: Vec<Option<String>> = (0..n)
                    .map(|k| k.checked_sub(1).map(|p| ids[p].clone()))
                    .collect();
                for mutation in mutations.into_iter().filter(|_| n > 0) {
                    match mutation {
                        Mutation::MakeRoot(a) => parents[a] = None,
                        Mutation::Reparent(a, b) => parents[a] = Some(ids[b].clone()),
                        Mutation::Orphan(a, k) => parents[a] = Some(missing_id(k)),
                        Mutation::CopyId(a, b) => ids[a] = ids[b].clone(),
                    }
                }
                assemble(ids, parents)
            })
            .prop_shuffle()
    })
}

/// A linear chain of 0 to 11 revisions, root first.
fn linear_chain() -> impl Strategy<Value = Vec<Rev>> {
    (0usize..12).prop_flat_map(distinct_ids).prop_map(|ids| {
        let parents = (0..ids.len())
            .map(|k| k.checked_sub(1).map(|p| ids[p].clone()))
            .collect();
        assemble(ids, parents)
    })
}

fn graph() -> impl Strategy<Value = Vec<Rev>> {
    prop_oneof![random_graph(), near_chain()]
}

// The oracle.

/// Whether the revisions form one linear chain: unique ids, every parent
/// exists, exactly one root, no revision with two children, and walking down
/// from the root reaches every revision (so none sits on a cycle).
fn is_linear_chain(revs: &[Rev]) -> bool {
    if revs.is_empty() {
        return true;
    }
    let ids: HashSet<&str> = revs.iter().map(|r| r.id.as_str()).collect();
    if ids.len() != revs.len() {
        return false;
    }
    if revs
        .iter()
        .filter_map(|r| r.parent.as_deref())
        .any(|parent| !ids.contains(parent))
    {
        return false;
    }
    let roots: Vec<&Rev> = revs.iter().filter(|r| r.parent.is_none()).collect();
    let [root] = roots.as_slice() else {
        return false;
    };
    let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for rev in revs {
        if let Some(parent) = &rev.parent {
            children.entry(parent).or_default().push(&rev.id);
        }
    }
    if children.values().any(|kids| kids.len() > 1) {
        return false;
    }
    let mut reached = 1;
    let mut at = root.id.as_str();
    while let Some([child]) = children.get(at).map(Vec::as_slice) {
        reached += 1;
        at = child;
        if reached > revs.len() {
            return false;
        }
    }
    reached == revs.len()
}

/// The first revision with each id: it stands for the id in every rule but
/// the duplicate one.
fn canonical(revs: &[Rev]) -> Vec<&Rev> {
    let mut seen = HashSet::new();
    revs.iter()
        .filter(|rev| seen.insert(rev.id.as_str()))
        .collect()
}

/// The cycles of the canonical graph, each as the set of its ids.
fn cycles(revs: &[&Rev]) -> BTreeSet<BTreeSet<String>> {
    let parent_of = |id: &str| -> Option<&str> {
        let rev = revs.iter().find(|r| r.id == id)?;
        let parent = rev.parent.as_deref()?;
        revs.iter().any(|r| r.id == parent).then_some(parent)
    };
    let mut found = BTreeSet::new();
    for rev in revs {
        // `rev` is on a cycle when walking up from it comes back to it.
        let mut members = BTreeSet::from([rev.id.clone()]);
        let mut at = parent_of(&rev.id);
        let mut steps = 0;
        while let Some(id) = at {
            if id == rev.id {
                found.insert(members);
                break;
            }
            steps += 1;
            if steps > revs.len() {
                break;
            }
            members.insert(id.to_owned());
            at = parent_of(id);
        }
    }
    found
}

/// The ids between backticks in `text`.
fn quoted(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

fn of_kind(defects: &[Defect], kind: DefectKind) -> Vec<&Defect> {
    defects.iter().filter(|d| d.kind() == kind).collect()
}

fn location_sets(defects: &[&Defect]) -> BTreeSet<BTreeSet<String>> {
    defects
        .iter()
        .map(|d| d.locations().iter().cloned().collect())
        .collect()
}

/// Checks what `link` (or `load`) said about `revs` against the oracle.
fn check(revs: &[Rev], order: Option<&[usize]>, defects: &[Defect]) -> Result<(), TestCaseError> {
    let accepted = order.is_some() && defects.is_empty();
    prop_assert_eq!(accepted, is_linear_chain(revs), "defects: {:#?}", defects);
    if let Some(order) = order {
        prop_assert!(defects.is_empty());
        let mut sorted = order.to_vec();
        sorted.sort_unstable();
        prop_assert_eq!(sorted, (0..revs.len()).collect::<Vec<_>>());
        if let Some(&first) = order.first() {
            prop_assert_eq!(&revs[first].parent, &None);
        }
        for pair in order.windows(2) {
            prop_assert_eq!(
                revs[pair[1]].parent.as_deref(),
                Some(revs[pair[0]].id.as_str())
            );
        }
        return Ok(());
    }
    prop_assert!(!defects.is_empty());

    // Duplicates: one defect per repeated id, naming every directory using
    // it, in the order given.
    let mut by_id: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for rev in revs {
        by_id.entry(&rev.id).or_default().push(rev.dir());
    }
    let expected: BTreeSet<Vec<String>> =
        by_id.into_values().filter(|dirs| dirs.len() > 1).collect();
    let duplicates = of_kind(defects, DefectKind::DuplicateId);
    let reported: BTreeSet<Vec<String>> =
        duplicates.iter().map(|d| d.locations().to_vec()).collect();
    prop_assert_eq!(duplicates.len(), expected.len());
    prop_assert_eq!(reported, expected);

    let revs = canonical(revs);
    let ids: HashSet<&str> = revs.iter().map(|r| r.id.as_str()).collect();

    // Missing parents: one defect per child, at its metadata file, naming it.
    let orphans: Vec<&&Rev> = revs
        .iter()
        .filter(|r| r.parent.as_deref().is_some_and(|p| !ids.contains(p)))
        .collect();
    let missing = of_kind(defects, DefectKind::MissingParent);
    prop_assert_eq!(missing.len(), orphans.len());
    for orphan in orphans {
        let defect = missing
            .iter()
            .find(|d| d.locations() == [orphan.metadata_file()]);
        prop_assert!(defect.is_some(), "no missing parent for {:?}", orphan);
        let summary = defect.map(|d| d.summary()).unwrap_or_default();
        prop_assert!(
            summary.contains(&format!(
                "`{}` names `{}`",
                orphan.id,
                orphan.parent.as_deref().unwrap_or_default()
            )),
            "{}",
            summary
        );
    }

    // Forks: one defect per parent with several children, located at exactly
    // the children's metadata files.
    let mut children: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for rev in &revs {
        if let Some(parent) = rev.parent.as_deref().filter(|p| ids.contains(p)) {
            children
                .entry(parent)
                .or_default()
                .insert(rev.metadata_file());
        }
    }
    let expected: BTreeSet<BTreeSet<String>> = children
        .values()
        .filter(|kids| kids.len() > 1)
        .cloned()
        .collect();
    let forks = of_kind(defects, DefectKind::Fork);
    prop_assert_eq!(forks.len(), expected.len());
    prop_assert_eq!(location_sets(&forks), expected);
    for fork in &forks {
        prop_assert_eq!(fork.locations().len(), quoted(fork.summary()).len() - 1);
    }

    // Roots: several are one defect naming all their directories; none is
    // one defect.
    let roots: BTreeSet<String> = revs
        .iter()
        .filter(|r| r.parent.is_none())
        .map(|r| r.dir())
        .collect();
    let multiple = of_kind(defects, DefectKind::MultipleRoots);
    let none = of_kind(defects, DefectKind::NoRoot);
    if roots.len() > 1 {
        prop_assert_eq!(multiple.len(), 1);
        prop_assert_eq!(location_sets(&multiple), BTreeSet::from([roots.clone()]));
    } else {
        prop_assert!(multiple.is_empty());
    }
    prop_assert_eq!(none.len(), usize::from(roots.is_empty()));

    // Cycles: one defect per cycle, listing exactly its members once, each
    // followed by its parent, back to where it started.
    let expected = cycles(&revs);
    let found = of_kind(defects, DefectKind::Cycle);
    prop_assert_eq!(found.len(), expected.len());
    let mut listed = BTreeSet::new();
    for cycle in &found {
        let summary = cycle.summary();
        let path: Vec<&str> = quoted(summary.rsplit_once(": ").map_or("", |(_, p)| p));
        prop_assert!(path.len() >= 2, "{}", summary);
        prop_assert_eq!(path.first(), path.last());
        let members: BTreeSet<String> = path[1..].iter().map(|s| (*s).to_owned()).collect();
        prop_assert_eq!(members.len(), path.len() - 1, "{}", summary);
        for pair in path.windows(2) {
            let child = revs.iter().find(|r| r.id == pair[0]);
            prop_assert_eq!(child.and_then(|r| r.parent.as_deref()), Some(pair[1]));
        }
        let files: BTreeSet<String> = revs
            .iter()
            .filter(|r| members.contains(&r.id))
            .map(|r| r.metadata_file())
            .collect();
        prop_assert_eq!(
            cycle.locations().iter().cloned().collect::<BTreeSet<_>>(),
            files
        );
        listed.insert(members);
    }
    prop_assert_eq!(listed, expected);

    // Nothing else.
    for defect in defects {
        prop_assert!(
            matches!(
                defect.kind(),
                DefectKind::DuplicateId
                    | DefectKind::MissingParent
                    | DefectKind::Fork
                    | DefectKind::MultipleRoots
                    | DefectKind::NoRoot
                    | DefectKind::Cycle
            ),
            "unexpected {}",
            defect
        );
    }
    Ok(())
}

fn check_linked(revs: &[Rev], linked: &Linked) -> Result<(), TestCaseError> {
    check(revs, linked.order.as_deref(), &linked.defects)?;
    if let Some(order) = &linked.order {
        prop_assert_eq!(
            linked.expected_head.as_deref(),
            order.last().map(|&i| revs[i].id.as_str())
        );
    }
    Ok(())
}

// Materializing a graph on disk.

fn materialize(root: &Path, revs: &[Rev], head: Option<&str>, root_metadata: bool) {
    fs::create_dir(root).unwrap();
    for rev in revs {
        let dir = root.join(&rev.dir_name);
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("up.sql"), format!("-- {}\n", rev.dir_name)).unwrap();
        match &rev.parent {
            Some(parent) => {
                fs::write(
                    dir.join("metadata.toml"),
                    format!("parent = \"{parent}\"\n"),
                )
                .unwrap();
            }
            None if root_metadata => {
                fs::write(dir.join("metadata.toml"), "message = \"first\"\n").unwrap();
            }
            None => {}
        }
    }
    if let Some(head) = head {
        fs::write(root.join("HEAD"), format!("{head}\n")).unwrap();
    }
}

fn assert_relative(defects: &Defects, absolute: &Path) -> Result<(), TestCaseError> {
    let absolute = absolute.to_string_lossy();
    for defect in defects {
        prop_assert!(!defect.locations().is_empty(), "{}", defect);
        for location in defect.locations() {
            prop_assert!(
                location == DISPLAY || location.starts_with(&format!("{DISPLAY}/")),
                "{}",
                defect
            );
        }
        prop_assert!(!defect.to_string().contains(&*absolute), "{}", defect);
    }
    Ok(())
}

/// TOML-ish text: fragments that reach deep into the parser and the key
/// checks.
fn tomlish() -> impl Strategy<Value = String> {
    let fragments = prop::sample::select(vec![
        "parent",
        "message",
        "run_in_transaction",
        "parnet",
        " = ",
        "=",
        "\"1\"",
        "\"2\"",
        "\"\"",
        "'1'",
        "\"\"\"",
        "true",
        "false",
        "1",
        "1.5",
        "1979-05-27",
        "[",
        "]",
        "[[",
        "]]",
        "{",
        "}",
        ",",
        ".",
        "\n",
        "\r\n",
        "\r",
        "# c",
        "\\",
        "\\u00e9",
        "\"",
        "é",
        "\u{feff}",
        "\t",
        " ",
        "<<<<<<< a",
        "=======",
        ">>>>>>> b",
        "\0",
    ]);
    vec(fragments, 0..24).prop_map(|parts| parts.concat())
}

fn any_text() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        tomlish().prop_map(String::into_bytes),
        any::<String>().prop_map(String::into_bytes),
        vec(any::<u8>(), 0..64),
    ]
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // An integration test has no `lib.rs` beside it to keep regressions
        // next to; a failure prints its minimal input instead.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn link_accepts_exactly_the_linear_chains(revs in graph()) {
        let linked = link(&nodes(&revs));
        check_linked(&revs, &linked)?;
    }

    #[test]
    fn link_orders_a_valid_chain_the_same_whatever_the_input_order(
        (one, other) in linear_chain()
            .prop_flat_map(|revs| (Just(revs.clone()).prop_shuffle(), Just(revs).prop_shuffle())),
    ) {
        let ids = |revs: &[Rev]| -> Vec<String> {
            let linked = link(&nodes(revs));
            linked.order.unwrap_or_default().into_iter().map(|i| revs[i].id.clone()).collect()
        };
        let ordered = ids(&one);
        prop_assert_eq!(ordered.len(), one.len());
        prop_assert_eq!(ordered, ids(&other));
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn load_agrees_with_link_and_the_oracle(revs in graph(), root_metadata in any::<bool>()) {
        // `load` lists directories by name: give `link` the same order.
        let mut revs = revs;
        revs.sort_by(|a, b| a.dir_name.cmp(&b.dir_name));
        let linked = link(&nodes(&revs));
        check_linked(&revs, &linked)?;

        // HEAD names the head `link` expects, so that the only defects left
        // are the chain's own.
        let head = linked
            .expected_head
            .clone()
            .or_else(|| revs.first().map(|r| r.id.clone()));
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join(DISPLAY);
        materialize(&root, &revs, head.as_deref(), root_metadata);
        match load(&root, DISPLAY) {
            Ok(chain) => {
                prop_assert!(is_linear_chain(&revs));
                let order = linked.order.unwrap_or_default();
                let loaded: Vec<&str> = chain.revisions().iter().map(|r| r.dir_name.as_str()).collect();
                let linked: Vec<&str> = order.iter().map(|&i| revs[i].dir_name.as_str()).collect();
                prop_assert_eq!(loaded, linked);
                for pair in chain.revisions().windows(2) {
                    prop_assert_eq!(pair[1].parent.as_deref(), Some(pair[0].id.as_str()));
                }
            }
            Err(defects) => {
                assert_relative(&defects, temp.path())?;
                let loaded: Vec<Defect> = defects.into_iter().collect();
                check(&revs, None, &loaded)?;
                prop_assert_eq!(loaded, linked.defects);
            }
        }
    }

    #[test]
    fn load_never_panics_on_any_metadata_or_head(
        metadata in any_text(),
        head in any_text(),
        root_metadata in option::of(any_text()),
    ) {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join(DISPLAY);
        materialize(&root, &[], None, false);
        fs::create_dir(root.join("1_init")).unwrap();
        fs::write(root.join("1_init/up.sql"), "SELECT 1;\n").unwrap();
        if let Some(text) = &root_metadata {
            fs::write(root.join("1_init/metadata.toml"), text).unwrap();
        }
        fs::create_dir(root.join("2_next")).unwrap();
        fs::write(root.join("2_next/up.sql"), "SELECT 2;\n").unwrap();
        fs::write(root.join("2_next/metadata.toml"), &metadata).unwrap();
        fs::write(root.join("HEAD"), &head).unwrap();

        match load(&root, DISPLAY) {
            Ok(chain) => {
                let ids: Vec<&str> = chain.revisions().iter().map(|r| r.id.as_str()).collect();
                prop_assert_eq!(ids, ["1", "2"]);
                prop_assert_eq!(chain.revisions()[1].parent.as_deref(), Some("1"));
            }
            Err(defects) => {
                prop_assert!(!defects.is_empty());
                assert_relative(&defects, temp.path())?;
                // Loading again says the same.
                prop_assert_eq!(Err(defects), load(&root, DISPLAY).map(|_| ()));
            }
        }
    }
}
