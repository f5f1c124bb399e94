//! Every target form, resolved against the example history and applied on
//! SQLite.

use revchain::{Migrator, Target, TargetError};
use revchain_tests::{EXAMPLE, TestSqlite};

fn resolve(target: &str, current: Option<usize>) -> Result<Option<usize>, TargetError> {
    target.parse::<Target>()?.resolve(&EXAMPLE, current)
}

fn id(position: usize) -> &'static str {
    EXAMPLE.as_slice()[position].id()
}

#[test]
fn head_and_base_resolve_to_the_ends() {
    assert_eq!(resolve("head", None), Ok(Some(EXAMPLE.len() - 1)));
    assert_eq!(resolve("base", Some(3)), Ok(None));
}

#[test]
fn full_ids_and_unique_prefixes_resolve() {
    assert_eq!(resolve(id(2), None), Ok(Some(2)));
    assert_eq!(resolve("2026-02-02", None), Ok(Some(2)));
}

#[test]
fn an_ambiguous_prefix_lists_the_candidates() {
    let error = resolve("2026-01", None).unwrap_err();
    assert_eq!(
        error,
        TargetError::Ambiguous {
            prefix: "2026-01".to_owned(),
            candidates: vec![id(0).to_owned(), id(1).to_owned()],
        }
    );
    let message = error.to_string();
    assert!(
        message.contains(&format!("`{}`", id(0))) && message.contains(&format!("`{}`", id(1))),
        "{message}"
    );
}

#[test]
fn a_short_unknown_prefix_asks_for_four_characters() {
    let error = resolve("202", None).unwrap_err();
    assert!(
        error.to_string().contains("at least four characters"),
        "{error}"
    );
    let error = resolve("9999-99", None).unwrap_err();
    assert!(
        matches!(error, TargetError::NoSuchRevision { short: false, .. }),
        "{error}"
    );
}

#[test]
fn relative_targets_count_from_the_current_revision() {
    assert_eq!(resolve("+2", None), Ok(Some(1)));
    assert_eq!(resolve("+1", Some(1)), Ok(Some(2)));
    assert_eq!(resolve("-1", Some(1)), Ok(Some(0)));
    assert_eq!(resolve("-2", Some(1)), Ok(None));
}

#[test]
fn anchored_relative_targets_count_from_their_anchor() {
    assert_eq!(resolve(&format!("{}+2", id(1)), None), Ok(Some(3)));
    assert_eq!(resolve("head-1", None), Ok(Some(EXAMPLE.len() - 2)));
    assert_eq!(resolve("base+1", Some(4)), Ok(Some(0)));
}

#[test]
fn relative_targets_past_the_ends_are_errors() {
    let error = resolve("-5", Some(1)).unwrap_err();
    assert!(
        matches!(error, TargetError::OutOfRange { available: 2, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("goes past the root"), "{error}");
    let error = resolve("+100", None).unwrap_err();
    assert!(error.to_string().contains("goes past the head"), "{error}");
}

#[test]
fn every_form_applies_on_a_database() {
    let db = TestSqlite::new();
    let mut conn = db.conn();
    let migrator = Migrator::new(&EXAMPLE);
    migrator.upgrade(&mut conn, "+2").unwrap();
    assert_eq!(migrator.current(&mut conn).unwrap().as_deref(), Some(id(1)));
    migrator.upgrade(&mut conn, "2026-02-20").unwrap();
    assert_eq!(migrator.current(&mut conn).unwrap().as_deref(), Some(id(3)));
    migrator.upgrade(&mut conn, "head-1").unwrap();
    assert_eq!(
        migrator.current(&mut conn).unwrap().as_deref(),
        Some(id(EXAMPLE.len() - 2))
    );
    migrator
        .downgrade(&mut conn, &format!("{}+1", id(0)))
        .unwrap();
    assert_eq!(migrator.current(&mut conn).unwrap().as_deref(), Some(id(1)));
    migrator.downgrade(&mut conn, "-1").unwrap();
    assert_eq!(migrator.current(&mut conn).unwrap().as_deref(), Some(id(0)));
    migrator.downgrade(&mut conn, "base").unwrap();
    assert_eq!(migrator.current(&mut conn).unwrap(), None);
}

#[test]
fn upgrade_to_an_older_revision_is_refused() {
    let db = TestSqlite::new();
    let mut conn = db.conn();
    let migrator = Migrator::new(&EXAMPLE);
    migrator.upgrade(&mut conn, "head").unwrap();
    let error = migrator.upgrade(&mut conn, id(0)).unwrap_err();
    assert!(error.to_string().contains("use `downgrade`"), "{error}");
    let error = migrator.downgrade(&mut conn, "+1").unwrap_err();
    assert!(
        matches!(
            error,
            revchain::Error::Target(TargetError::OutOfRange { .. })
        ),
        "{error}"
    );
}

#[test]
fn invalid_targets_are_refused_before_touching_the_database() {
    let db = TestSqlite::new();
    let mut conn = db.conn();
    let migrator = Migrator::new(&EXAMPLE);
    let error = migrator.upgrade(&mut conn, "head+x").unwrap_err();
    assert!(
        error.to_string().starts_with("invalid target `head+x`"),
        "{error}"
    );
    assert_eq!(migrator.current(&mut conn).unwrap(), None);
}

#[test]
fn relative_targets_at_the_ends_of_i64_are_out_of_range_not_an_overflow() {
    for (target, current) in [
        ("head+9223372036854775807", None),
        ("+9223372036854775807", Some(2)),
        ("base+9223372036854775807", None),
        ("-9223372036854775807", Some(2)),
        ("head-9223372036854775807", None),
    ] {
        assert!(
            matches!(
                resolve(target, current),
                Err(TargetError::OutOfRange { .. })
            ),
            "{target}: {:?}",
            resolve(target, current)
        );
    }
}
