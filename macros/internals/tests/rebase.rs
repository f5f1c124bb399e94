//! `revchain rebase`'s decision over the revisions alone: which revisions
//! move, their new parents, the head, and every refusal.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use revchain_internals::rebase::{Main, Rebase, Refusal, Request, Scanned, plan};

fn rev(id: &str, parent: Option<&str>) -> Scanned {
    Scanned::new(id, parent, &format!("migrations/{id}_x"))
}

fn main(ids: &[&str]) -> Main {
    Main {
        name: "main".to_owned(),
        ids: ids.iter().map(|id| (*id).to_owned()).collect(),
    }
}

fn moves(rebase: &Rebase) -> Vec<(&str, Option<&str>, &str)> {
    rebase
        .moves
        .iter()
        .map(|m| (m.id.as_str(), m.from.as_deref(), m.to.as_str()))
        .collect()
}

fn message(refusal: Refusal) -> (String, String) {
    match refusal {
        Refusal::Refused { message, help } => (message, help),
        Refusal::Defects(defects) => panic!("{defects}"),
    }
}

/// 1 <- 2 <- 3 (main), and a branch 1 <- 4 <- 5.
fn forked() -> Vec<Scanned> {
    vec![
        rev("1", None),
        rev("2", Some("1")),
        rev("3", Some("2")),
        rev("4", Some("1")),
        rev("5", Some("4")),
    ]
}

#[test]
fn unmerged_revisions_move_on_top_in_their_order() {
    let rebase = plan(&forked(), &Request::Unmerged, Some(&main(&["1", "2", "3"]))).unwrap();
    assert_eq!(moves(&rebase), [("4", Some("1"), "3")]);
    assert_eq!(rebase.moved, ["4", "5"]);
    assert_eq!(rebase.head.as_deref(), Some("5"));
}

#[test]
fn the_other_direction_moves_the_other_branch() {
    let rebase = plan(&forked(), &Request::Unmerged, Some(&main(&["1", "4", "5"]))).unwrap();
    assert_eq!(moves(&rebase), [("2", Some("1"), "5")]);
    assert_eq!(rebase.head.as_deref(), Some("3"));
}

#[test]
fn named_revisions_move_with_their_descendants() {
    let rebase = plan(&forked(), &Request::Named(vec!["2".to_owned()]), None).unwrap();
    assert_eq!(moves(&rebase), [("2", Some("1"), "5")]);
    assert_eq!(rebase.moved, ["2", "3"]);
    assert_eq!(rebase.head.as_deref(), Some("3"));
}

#[test]
fn a_three_way_fork_lines_up_in_the_order_named() {
    let mut revisions = forked();
    revisions.push(rev("6", Some("1")));
    let named = Request::Named(vec!["6".to_owned(), "4".to_owned()]);
    let rebase = plan(&revisions, &named, None).unwrap();
    assert_eq!(
        moves(&rebase),
        [("6", Some("1"), "3"), ("4", Some("1"), "6")]
    );
    assert_eq!(rebase.head.as_deref(), Some("5"));
}

#[test]
fn a_second_root_gets_a_parent() {
    let revisions = [rev("1", None), rev("2", Some("1")), rev("3", None)];
    let rebase = plan(&revisions, &Request::Named(vec!["3".to_owned()]), None).unwrap();
    assert_eq!(moves(&rebase), [("3", None, "2")]);
}

#[test]
fn a_straight_line_moves_nothing() {
    let revisions = [rev("1", None), rev("2", Some("1"))];
    let rebase = plan(&revisions, &Request::Unmerged, Some(&main(&["1"]))).unwrap();
    assert!(rebase.moves.is_empty());
    assert_eq!(rebase.head.as_deref(), Some("2"));
}

#[test]
fn revisions_on_main_never_move() {
    let (message, _) = message(
        plan(
            &forked(),
            &Request::Named(vec!["2".to_owned()]),
            Some(&main(&["1", "2", "3"])),
        )
        .unwrap_err(),
    );
    assert!(
        message.contains("refusing to move `2`, `3`: already on `main`"),
        "{message}"
    );
}

#[test]
fn everything_on_main_with_a_fork_is_refused() {
    let (message, help) = message(
        plan(
            &forked(),
            &Request::Unmerged,
            Some(&main(&["1", "2", "3", "4", "5"])),
        )
        .unwrap_err(),
    );
    assert!(message.contains("not one straight line"), "{message}");
    assert!(help.contains("`revchain rebase 4`"), "{help}");
}

#[test]
fn several_unmerged_lines_are_ambiguous() {
    let mut revisions = forked();
    revisions.push(rev("6", Some("1")));
    let (message, help) = message(
        plan(
            &revisions,
            &Request::Unmerged,
            Some(&main(&["1", "2", "3"])),
        )
        .unwrap_err(),
    );
    assert!(message.contains("2 separate lines"), "{message}");
    assert!(help.contains("`revchain rebase 4 6`"), "{help}");
}

#[test]
fn a_fork_inside_the_moved_branch_is_ambiguous() {
    let mut revisions = forked();
    revisions.push(rev("6", Some("4")));
    let (message, help) =
        message(plan(&revisions, &Request::Named(vec!["4".to_owned()]), None).unwrap_err());
    assert!(message.contains("fork at `4`"), "{message}");
    assert!(help.contains("`revchain rebase 6`"), "{help}");
}

#[test]
fn no_main_branch_names_the_revisions_to_move() {
    let (message, help) = message(plan(&forked(), &Request::Unmerged, None).unwrap_err());
    assert!(message.contains("cannot tell"), "{message}");
    assert!(help.contains("`revchain rebase 4`"), "{help}");
}

#[test]
fn an_unknown_name_is_refused_with_a_suggestion() {
    let revisions = [rev("2026-01-01-000000", None)];
    let (message, _) = message(
        plan(
            &revisions,
            &Request::Named(vec!["2026-01-01-00000".to_owned()]),
            None,
        )
        .unwrap_err(),
    );
    assert!(
        message.contains("did you mean `2026-01-01-000000`"),
        "{message}"
    );
}

#[test]
fn moving_the_root_is_refused() {
    let revisions = [rev("1", None), rev("2", Some("1"))];
    let (message, _) =
        message(plan(&revisions, &Request::Named(vec!["1".to_owned()]), None).unwrap_err());
    assert!(message.contains("every revision"), "{message}");
}

#[test]
fn rules_a_rebase_cannot_repair_are_their_defects() {
    let revisions = [rev("1", None), rev("2", Some("9"))];
    assert!(matches!(
        plan(&revisions, &Request::Named(vec![]), None),
        Err(Refusal::Defects(_))
    ));
}
