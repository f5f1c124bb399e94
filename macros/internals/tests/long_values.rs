//! Values read from a migrations directory are echoed cut to
//! `MAX_SHOWN_CHARS` characters, and a long list of defects is cut to
//! `MAX_SHOWN_DEFECTS`, saying how many more there are: by the shared rules,
//! so the macro, the runtime and the CLI print the same bounded messages.

#![allow(clippy::unwrap_used)]

use std::fs;

use revchain_internals::{
    DefectKind, MAX_HEAD_FILE_BYTES, MAX_METADATA_FILE_BYTES, MAX_SHOWN_CHARS, MAX_SHOWN_DEFECTS,
    load,
};

/// Far longer than any message should be, and over every file's size cap.
const HUGE: usize = 10 * 1024 * 1024;

/// The longest value a `metadata.toml` under its size cap can hold (the
/// file's other bytes are `parent = ""` and a newline): still far longer
/// than any message should be.
const LONG: usize = MAX_METADATA_FILE_BYTES as usize - 64;

fn migrations() -> (tempfile::TempDir, std::path::PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("migrations");
    fs::create_dir(&root).unwrap();
    (temp, root)
}

#[test]
fn a_parent_as_long_as_the_size_cap_allows_is_not_echoed_whole() {
    let (_temp, root) = migrations();
    fs::create_dir_all(root.join("1_a")).unwrap();
    fs::create_dir_all(root.join("2_b")).unwrap();
    fs::write(root.join("1_a/up.sql"), "SELECT 1;").unwrap();
    fs::write(root.join("2_b/up.sql"), "SELECT 2;").unwrap();
    fs::write(
        root.join("2_b/metadata.toml"),
        format!("parent = \"{}\"\n", "a".repeat(LONG)),
    )
    .unwrap();
    fs::write(root.join("HEAD"), "2\n").unwrap();
    let defects = load(&root, "migrations").unwrap_err();
    assert!(defects.contains(DefectKind::InvalidMetadataValue));
    let text = defects.to_string();
    assert!(text.len() < 4_000, "{} bytes", text.len());
    assert!(
        text.contains(&format!(
            "`{}…({} more bytes)`",
            "a".repeat(MAX_SHOWN_CHARS),
            LONG - MAX_SHOWN_CHARS
        )),
        "{text}"
    );
}

#[test]
fn a_ten_megabyte_metadata_file_is_refused_by_its_size_and_not_echoed() {
    let (_temp, root) = migrations();
    fs::create_dir_all(root.join("1_a")).unwrap();
    fs::write(root.join("1_a/up.sql"), "SELECT 1;").unwrap();
    fs::write(
        root.join("1_a/metadata.toml"),
        format!("parent = \"{}\"\n", "a".repeat(HUGE)),
    )
    .unwrap();
    fs::write(root.join("HEAD"), "1\n").unwrap();
    let defects = load(&root, "migrations").unwrap_err();
    assert!(defects.contains(DefectKind::FileTooLarge));
    let text = defects.to_string();
    assert!(text.len() < 4_000, "{} bytes", text.len());
    assert!(!text.contains(&"a".repeat(MAX_SHOWN_CHARS + 1)), "{text}");
}

#[test]
fn a_head_and_metadata_key_as_long_as_the_size_caps_allow_are_not_echoed_whole() {
    let (_temp, root) = migrations();
    fs::create_dir_all(root.join("1_a")).unwrap();
    fs::write(root.join("1_a/up.sql"), "SELECT 1;").unwrap();
    fs::write(
        root.join("1_a/metadata.toml"),
        format!("{} = 1\n", "k".repeat(LONG)),
    )
    .unwrap();
    let head = MAX_HEAD_FILE_BYTES as usize - 1;
    fs::write(root.join("HEAD"), format!("{}\n", "h".repeat(head))).unwrap();
    let defects = load(&root, "migrations").unwrap_err();
    assert!(defects.contains(DefectKind::UnknownMetadataKey));
    assert!(defects.contains(DefectKind::HeadStale));
    let text = defects.to_string();
    assert!(text.len() < 8_000, "{} bytes", text.len());
    assert!(text.contains("more bytes)"), "{text}");
}

#[test]
fn a_long_list_of_defects_is_cut_and_says_how_many_more() {
    let (_temp, root) = migrations();
    let count = MAX_SHOWN_DEFECTS + 20;
    for i in 0..count {
        fs::create_dir_all(root.join(format!("{i}_x"))).unwrap();
    }
    let defects = load(&root, "migrations").unwrap_err();
    let missing = defects
        .iter()
        .filter(|defect| defect.kind() == DefectKind::MissingUpSql)
        .count();
    assert_eq!(missing, count, "every defect is still found");
    let (shown, more) = defects.shown();
    assert_eq!(shown.len(), MAX_SHOWN_DEFECTS);
    assert_eq!(more, defects.len() - MAX_SHOWN_DEFECTS);
    let text = defects.to_string();
    assert_eq!(text.matches("error: ").count(), MAX_SHOWN_DEFECTS + 1);
    assert!(
        text.ends_with(&format!(
            "error: … and {more} more errors (fix these first, then run again)"
        )),
        "{text}"
    );
}
