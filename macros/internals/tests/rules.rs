//! Every rule of the revision format, through the public `load` on real
//! directories: the kind of each defect, that it names the revision
//! directories involved by their path relative to the display path (never the
//! absolute temporary path), and that its help says what to do.

// The helpers below are test code too: a failed setup should fail the test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::fs;

use common::{Fixture, assert_contains, find, kinds, three};
use revchain_internals::{DefectKind, chain_digest, load, revision_checksum};

// The directory itself.

#[test]
fn a_missing_directory_is_not_found() {
    let fixture = Fixture::without_directory();
    let defects = fixture.defects();
    assert_eq!(defects.len(), 1);
    let defect = find(&defects, DefectKind::DirectoryNotFound);
    assert_contains(
        defect.summary(),
        "migrations directory `migrations` not found: it does not exist",
    );
    assert_eq!(defect.locations(), ["migrations"]);
    assert_contains(defect.help(), "create it with a first revision");
    assert_contains(defect.help(), "correct the path");
}

#[test]
fn a_path_that_is_a_file_is_not_a_migrations_directory() {
    let fixture = Fixture::without_directory();
    fs::write(fixture.root(), "not a directory").unwrap();
    let defect = fixture.sole(DefectKind::DirectoryNotFound);
    assert_contains(defect.summary(), "`migrations`");
    assert_contains(defect.summary(), "it is a file, not a directory");
    assert_eq!(defect.locations(), ["migrations"]);
    assert_contains(defect.help(), "correct the path");
}

#[test]
fn an_empty_directory_without_head_is_an_empty_history() {
    let fixture = Fixture::new();
    let chain = fixture.chain();
    assert!(chain.is_empty());
    assert_eq!(chain.head(), None);
    assert_eq!(chain.dir(), "migrations");
}

#[test]
fn an_empty_directory_with_only_a_placeholder_is_an_empty_history() {
    let fixture = Fixture::new();
    fixture.write(".gitkeep", "").write(".keep", "");
    assert!(fixture.chain().is_empty());
}

// The top level.

#[test]
fn a_stray_top_level_file_is_reported() {
    let fixture = three();
    fixture.write("notes.txt", "todo");
    let defect = fixture.sole(DefectKind::StrayFile);
    assert_contains(defect.summary(), "stray file `notes.txt` in `migrations`");
    assert_eq!(defect.locations(), ["migrations/notes.txt"]);
    assert_contains(defect.help(), "move it into a revision directory");
}

#[test]
fn readmes_and_keep_files_are_allowed_at_the_top_and_readmes_in_revisions() {
    let fixture = three();
    fixture
        .write("README", "x")
        .write("README.md", "x")
        .write("README.txt", "x")
        .write(".keep", "")
        .write(".gitkeep", "")
        .write("2_users/README.md", "why this revision exists");
    assert_eq!(fixture.chain().len(), 3);
}

#[test]
fn a_directory_name_without_underscore_is_invalid() {
    let fixture = three();
    fixture.write("nounderscore/up.sql", "SELECT 1;");
    let defect = fixture.sole(DefectKind::InvalidName);
    assert_contains(defect.summary(), "`nounderscore` has no `_`");
    assert_eq!(defect.locations(), ["migrations/nounderscore"]);
    assert_contains(defect.help(), "rename it to `<id>_<slug>`");
}

#[test]
fn a_directory_name_with_a_bad_id_character_is_invalid() {
    let fixture = three();
    fixture.write("4.1_fix/up.sql", "SELECT 1;");
    let defect = fixture.sole(DefectKind::InvalidName);
    assert_contains(defect.summary(), "the id `4.1` contains `.`");
    assert_eq!(defect.locations(), ["migrations/4.1_fix"]);
    assert_contains(defect.help(), "only letters, digits and `-`");
}

#[test]
fn a_directory_name_with_an_empty_id_is_invalid() {
    let fixture = three();
    fixture.write("_fix/up.sql", "SELECT 1;");
    let defect = fixture.sole(DefectKind::InvalidName);
    assert_contains(defect.summary(), "the id is empty");
    assert_eq!(defect.locations(), ["migrations/_fix"]);
    assert_contains(defect.help(), "rename it to `<id>_<slug>`");
}

#[test]
fn a_directory_name_with_an_empty_slug_is_invalid() {
    let fixture = three();
    fixture.write("4_/up.sql", "SELECT 1;");
    let defect = fixture.sole(DefectKind::InvalidName);
    assert_contains(defect.summary(), "`4_` has an empty slug");
    assert_eq!(defect.locations(), ["migrations/4_"]);
    assert_contains(defect.help(), "rename it to `<id>_<slug>`");
}

// Inside a revision.

#[test]
fn an_unexpected_file_in_a_revision_is_reported() {
    let fixture = three();
    fixture.write("2_users/notes.txt", "todo");
    let defect = fixture.sole(DefectKind::UnexpectedFile);
    assert_contains(
        defect.summary(),
        "unexpected file `notes.txt` in revision `2`",
    );
    assert_eq!(defect.locations(), ["migrations/2_users/notes.txt"]);
    assert_contains(defect.help(), "rename or remove it");
}

#[test]
fn an_unexpected_directory_in_a_revision_is_reported() {
    let fixture = three();
    fixture.mkdir("2_users/extra");
    let defect = fixture.sole(DefectKind::UnexpectedFile);
    assert_contains(defect.summary(), "unexpected entry `extra` in revision `2`");
    assert_eq!(defect.locations(), ["migrations/2_users/extra"]);
    assert_contains(defect.help(), "rename or remove it");
}

#[test]
fn a_revision_without_up_sql_is_reported() {
    let fixture = three();
    fs::remove_file(fixture.root().join("2_users/up.sql")).unwrap();
    fixture.write("2_users/down.sql", "DROP TABLE users;");
    let defect = fixture.sole(DefectKind::MissingUpSql);
    assert_contains(defect.summary(), "revision `2` has no `up.sql`");
    assert_eq!(defect.locations(), ["migrations/2_users/up.sql"]);
    assert_contains(defect.help(), "create `up.sql`");
}

#[test]
fn up_sql_that_is_not_utf8_is_reported_with_line_and_column() {
    let fixture = three();
    fixture.write("2_users/up.sql", b"SELECT 1;\nSELECT '\xff';\n");
    let defect = fixture.sole(DefectKind::NotUtf8);
    assert_contains(
        defect.summary(),
        "`migrations/2_users/up.sql` is not UTF-8: byte 0xff at line 2, column 9",
    );
    assert_eq!(defect.locations(), ["migrations/2_users/up.sql:2:9"]);
    assert_contains(defect.help(), "save the file as UTF-8");
}

#[test]
fn down_sql_that_is_not_utf8_counts_columns_in_characters() {
    let fixture = three();
    fixture.write("3_posts/down.sql", b"-- caf\xc3\xa9 \xe9\n");
    let defect = fixture.sole(DefectKind::NotUtf8);
    assert_contains(defect.summary(), "byte 0xe9 at line 1, column 9");
    assert_eq!(defect.locations(), ["migrations/3_posts/down.sql:1:9"]);
    assert_contains(defect.help(), "save the file as UTF-8");
}

// metadata.toml.

#[test]
fn malformed_metadata_is_reported_with_file_line_and_column() {
    let fixture = three();
    fixture.write("2_users/metadata.toml", "parent = \"1\"\nmessage = oops\n");
    let defect = fixture.sole(DefectKind::MalformedMetadata);
    assert_contains(
        defect.summary(),
        "`migrations/2_users/metadata.toml` is not valid TOML",
    );
    assert_eq!(
        defect.locations(),
        ["migrations/2_users/metadata.toml:2:11"]
    );
    assert_contains(defect.help(), "fix the syntax at that position");
}

#[test]
fn an_unknown_metadata_key_is_reported_with_a_suggestion() {
    let fixture = three();
    fixture.write("2_users/metadata.toml", "parent = \"1\"\nmesage = \"x\"\n");
    let defect = fixture.sole(DefectKind::UnknownMetadataKey);
    assert_contains(
        defect.summary(),
        "unknown key `mesage` in `migrations/2_users/metadata.toml`",
    );
    assert_eq!(defect.locations(), ["migrations/2_users/metadata.toml:2:1"]);
    assert_contains(defect.help(), "did you mean `message`?");
}

#[test]
fn an_unknown_metadata_key_far_from_any_known_key_is_to_be_removed() {
    let fixture = three();
    fixture.write("2_users/metadata.toml", "parent = \"1\"\ncolour = 3\n");
    let defect = fixture.sole(DefectKind::UnknownMetadataKey);
    assert_contains(defect.summary(), "unknown key `colour`");
    assert!(!defect.help().contains("did you mean"), "{defect}");
    assert_contains(defect.help(), "remove it");
}

#[test]
fn a_parent_of_the_wrong_type_is_reported() {
    let fixture = three();
    fixture.write("2_users/metadata.toml", "parent = 1\n");
    let defect = fixture.sole(DefectKind::InvalidMetadataValue);
    assert_contains(
        defect.summary(),
        "`parent` in `migrations/2_users/metadata.toml` must be a string, but it is an integer",
    );
    assert_eq!(defect.locations(), ["migrations/2_users/metadata.toml:1:1"]);
    assert_contains(defect.help(), "write the parent's id in quotes");
}

#[test]
fn a_run_in_transaction_of_the_wrong_type_is_reported() {
    let fixture = three();
    fixture.write(
        "3_posts/metadata.toml",
        "parent = \"2\"\nrun_in_transaction = \"no\"\n",
    );
    let defect = fixture.sole(DefectKind::InvalidMetadataValue);
    assert_contains(
        defect.summary(),
        "`run_in_transaction` in `migrations/3_posts/metadata.toml` must be a boolean",
    );
    assert_eq!(defect.locations(), ["migrations/3_posts/metadata.toml:2:1"]);
    assert_contains(defect.help(), "write `run_in_transaction = false`");
}

#[test]
fn an_empty_parent_is_reported() {
    let fixture = three();
    fixture.write("2_users/metadata.toml", "parent = \"\"\n");
    let defect = fixture.sole(DefectKind::InvalidMetadataValue);
    assert_contains(
        defect.summary(),
        "`parent` in `migrations/2_users/metadata.toml` is empty",
    );
    assert_eq!(defect.locations(), ["migrations/2_users/metadata.toml:1:1"]);
    assert_contains(
        defect.help(),
        "remove the line if this is the root revision",
    );
}

#[test]
fn a_parent_that_is_not_an_id_is_reported() {
    let fixture = three();
    fixture.write("2_users/metadata.toml", "parent = \"1_init\"\n");
    let defect = fixture.sole(DefectKind::InvalidMetadataValue);
    assert_contains(defect.summary(), "is not a revision id");
    assert_contains(
        defect.help(),
        "the part of its directory name before the first `_`",
    );
}

// The chain rules.

#[test]
fn a_duplicate_id_names_both_directories() {
    let fixture = three();
    fixture.revision("3_tags", Some("2"));
    let defect = fixture.sole(DefectKind::DuplicateId);
    assert_contains(defect.summary(), "2 revision directories use the id `3`");
    assert_eq!(
        defect.locations(),
        ["migrations/3_posts", "migrations/3_tags"]
    );
    assert_contains(defect.help(), "rename `migrations/3_tags` to a new id");
}

#[test]
fn a_missing_parent_names_the_child_and_suggests_a_close_id() {
    let fixture = Fixture::new();
    fixture
        .revision("2026-01-01-000000_init", None)
        .revision("2026-01-02-000000_users", Some("2026-01-01-00000"))
        .head("2026-01-02-000000");
    let defect = fixture.sole(DefectKind::MissingParent);
    assert_contains(
        defect.summary(),
        "`2026-01-02-000000` names `2026-01-01-00000` as its parent, but there is no revision `2026-01-01-00000`",
    );
    assert_eq!(
        defect.locations(),
        ["migrations/2026-01-02-000000_users/metadata.toml"]
    );
    assert_contains(
        defect.help(),
        "did you mean `2026-01-01-000000`? write `parent = \"2026-01-01-000000\"` in `migrations/2026-01-02-000000_users/metadata.toml`",
    );
}

#[test]
fn a_missing_parent_far_from_any_id_asks_to_restore_it() {
    let fixture = three();
    fixture.revision("3_posts", Some("zzzzzz"));
    let defects = fixture.defects();
    let defect = find(&defects, DefectKind::MissingParent);
    assert_eq!(defect.locations(), ["migrations/3_posts/metadata.toml"]);
    assert_contains(defect.help(), "restore the revision `zzzzzz`");
}

#[test]
fn no_root_is_reported_at_the_oldest_revision() {
    let fixture = Fixture::new();
    fixture
        .revision("1_a", Some("2"))
        .revision("2_b", Some("1"))
        .head("2");
    let defects = fixture.defects();
    assert_eq!(kinds(&defects), [DefectKind::NoRoot, DefectKind::Cycle]);
    let defect = find(&defects, DefectKind::NoRoot);
    assert_contains(defect.summary(), "no root: every revision names a parent");
    assert_eq!(defect.locations(), ["migrations/1_a/metadata.toml"]);
    assert_contains(defect.help(), "remove the `parent` line");
    assert_contains(defect.help(), "the oldest is `1`");
}

#[test]
fn multiple_roots_are_reported_with_the_reparenting_and_head() {
    let fixture = Fixture::new();
    fixture
        .revision("1_a", None)
        .revision("2_b", Some("1"))
        .revision("3_c", None)
        .head("3");
    let defect = fixture.sole(DefectKind::MultipleRoots);
    assert_contains(defect.summary(), "`1` and `3` have no `parent`");
    assert_eq!(defect.locations(), ["migrations/1_a", "migrations/3_c"]);
    assert_contains(
        defect.help(),
        "write `parent = \"2\"` in `migrations/3_c/metadata.toml`",
    );
    assert_contains(defect.help(), "then write `3` in `migrations/HEAD`");
}

/// `1` ← `2` ← `4` and `1` ← `3`.
fn forked(head: &str) -> Fixture {
    let fixture = Fixture::new();
    fixture
        .revision("1_init", None)
        .revision("2_posts", Some("1"))
        .revision("3_tags", Some("1"))
        .revision("4_more", Some("2"))
        .head(head);
    fixture
}

#[test]
fn a_fork_names_the_exact_parent_line_file_and_head_line() {
    let fixture = forked("3\n");
    let defect = fixture.sole(DefectKind::Fork);
    assert_contains(
        defect.summary(),
        "fork: `2` and `3` both name `1` as their parent",
    );
    assert_eq!(
        defect.locations(),
        [
            "migrations/2_posts/metadata.toml",
            "migrations/3_tags/metadata.toml"
        ]
    );
    assert_contains(defect.help(), "keep `2` and re-parent `3`");
    assert_contains(
        defect.help(),
        "write `parent = \"4\"` in `migrations/3_tags/metadata.toml`",
    );
    assert_contains(defect.help(), "then write `3` in `migrations/HEAD`");
}

#[test]
fn a_fork_with_a_stale_head_says_which_head_to_write() {
    let fixture = forked("4\n");
    let defects = fixture.defects();
    assert_eq!(kinds(&defects), [DefectKind::Fork, DefectKind::HeadStale]);
    let defect = find(&defects, DefectKind::HeadStale);
    assert_contains(
        defect.summary(),
        "`migrations/HEAD` names `4`, but the head of the chain is `3`",
    );
    assert_eq!(defect.locations(), ["migrations/HEAD"]);
    assert_contains(defect.help(), "write `3` in `migrations/HEAD`");
}

#[test]
fn a_cycle_lists_its_ids() {
    let fixture = Fixture::new();
    fixture
        .revision("1_init", None)
        .revision("a_x", Some("c"))
        .revision("b_x", Some("a"))
        .revision("c_x", Some("b"))
        .head("1");
    let defect = fixture.sole(DefectKind::Cycle);
    assert_contains(
        defect.summary(),
        "cycle: following `parent` from `a` leads back to it: `a` -> `c` -> `b` -> `a`",
    );
    assert_eq!(
        defect.locations(),
        [
            "migrations/a_x/metadata.toml",
            "migrations/c_x/metadata.toml",
            "migrations/b_x/metadata.toml"
        ]
    );
    assert_contains(defect.help(), "name a parent outside the cycle");
}

#[test]
fn a_revision_naming_itself_is_a_cycle() {
    let fixture = three();
    fixture.revision("4_self", Some("4"));
    let defects = fixture.defects();
    let defect = find(&defects, DefectKind::Cycle);
    assert_contains(defect.summary(), "`4` -> `4`");
    assert_eq!(defect.locations(), ["migrations/4_self/metadata.toml"]);
}

// HEAD.

#[test]
fn a_missing_head_is_reported_with_the_id_to_write() {
    let fixture = three();
    fs::remove_file(fixture.root().join("HEAD")).unwrap();
    let defect = fixture.sole(DefectKind::HeadMissing);
    assert_contains(defect.summary(), "`migrations/HEAD` is missing");
    assert_eq!(defect.locations(), ["migrations/HEAD"]);
    assert_contains(
        defect.help(),
        "create `migrations/HEAD` holding the single line `3`",
    );
}

#[test]
fn an_empty_head_is_reported_with_the_id_to_write() {
    let fixture = three();
    fixture.head("\n  \n");
    let defect = fixture.sole(DefectKind::HeadEmpty);
    assert_contains(defect.summary(), "`migrations/HEAD` is empty");
    assert_eq!(defect.locations(), ["migrations/HEAD"]);
    assert_contains(
        defect.help(),
        "write the single line `3` in `migrations/HEAD`",
    );
}

#[test]
fn conflict_markers_in_head_are_reported_with_both_sides() {
    let fixture = forked("<<<<<<< HEAD\n3\n=======\n4\n>>>>>>> feature\n");
    let defects = fixture.defects();
    assert_eq!(
        kinds(&defects),
        [DefectKind::Fork, DefectKind::HeadConflict]
    );
    let defect = find(&defects, DefectKind::HeadConflict);
    assert_contains(
        defect.summary(),
        "`migrations/HEAD` has git conflict markers: two branches each added revisions (`3` and `4`)",
    );
    assert_eq!(defect.locations(), ["migrations/HEAD"]);
    assert_contains(
        defect.help(),
        "replace the whole of `migrations/HEAD` with the single line `3`",
    );
}

#[test]
fn a_stale_head_names_the_real_head() {
    let fixture = three();
    fixture.head("2\n");
    let defect = fixture.sole(DefectKind::HeadStale);
    assert_contains(
        defect.summary(),
        "`migrations/HEAD` names `2`, but the head of the chain is `3`",
    );
    assert_eq!(defect.locations(), ["migrations/HEAD"]);
    assert_contains(defect.help(), "write `3` in `migrations/HEAD`");
}

#[test]
fn a_head_naming_an_unknown_id_is_reported() {
    let fixture = three();
    fixture.head("feature-x\n");
    let defect = fixture.sole(DefectKind::HeadStale);
    assert_contains(
        defect.summary(),
        "`migrations/HEAD` names `feature-x`, but there is no revision `feature-x`",
    );
    assert_eq!(defect.locations(), ["migrations/HEAD"]);
    assert_contains(
        defect.help(),
        "replace its contents with the single line `3`",
    );
}

#[test]
fn a_head_with_a_typo_is_told_the_real_head_rather_than_a_guess() {
    // A close id that is not the head would compete with the help, which
    // names the head exactly.
    let fixture = Fixture::new();
    fixture
        .revision("2026-01-01-000000_init", None)
        .revision("2026-02-01-000000_users", Some("2026-01-01-000000"))
        .head("2026-01-01-00000\n");
    let defect = fixture.sole(DefectKind::HeadStale);
    assert!(!defect.summary().contains("did you mean"), "{defect}");
    assert_contains(
        defect.help(),
        "replace its contents with the single line `2026-02-01-000000`",
    );
}

#[test]
fn a_head_of_several_lines_is_reported() {
    let fixture = three();
    fixture.head("2\n3\n");
    let defect = fixture.sole(DefectKind::HeadStale);
    assert_contains(defect.summary(), "`migrations/HEAD` holds 2 lines");
    assert_eq!(defect.locations(), ["migrations/HEAD"]);
    assert_contains(
        defect.help(),
        "replace its contents with the single line `3`",
    );
}

#[test]
fn a_head_and_metadata_with_a_utf8_byte_order_mark_are_read_like_without() {
    let fixture = three();
    fixture
        .write("2_users/metadata.toml", "\u{feff}parent = \"1\"\r\n")
        .head("\u{feff}3\r\n");
    let chain = fixture.chain();
    assert_eq!(chain.head().map(|r| r.id.as_str()), Some("3"));
    assert_eq!(chain.revisions()[1].parent.as_deref(), Some("1"));
}

#[test]
fn a_head_that_is_not_utf8_is_reported() {
    let fixture = three();
    fixture.write("HEAD", b"\xff3\n");
    let defect = fixture.sole(DefectKind::NotUtf8);
    assert_eq!(
        defect.summary(),
        "`migrations/HEAD` is not UTF-8: byte 0xff at line 1, column 1 is invalid"
    );
    assert_eq!(defect.locations(), ["migrations/HEAD:1:1"]);
    assert_contains(defect.help(), "save the file as UTF-8");
}

// What is accepted.

#[test]
fn a_root_without_metadata_toml_is_accepted() {
    let fixture = three();
    assert!(!fixture.root().join("1_init/metadata.toml").exists());
    let chain = fixture.chain();
    assert_eq!(chain.revisions()[0].id, "1");
    assert_eq!(chain.revisions()[0].parent, None);
}

#[test]
fn a_root_with_a_comment_only_metadata_toml_is_accepted() {
    let fixture = three();
    fixture.write("1_init/metadata.toml", "# the first revision\n");
    assert_eq!(fixture.chain().revisions()[0].parent, None);
}

#[test]
fn a_placeholder_revision_of_comments_only_is_accepted() {
    let fixture = three();
    fixture
        .write("4_placeholder/up.sql", "-- nothing to do\n")
        .write("4_placeholder/metadata.toml", "parent = \"3\"\n")
        .head("4\n");
    let chain = fixture.chain();
    let head = chain.head().unwrap();
    assert_eq!(head.id, "4");
    assert_eq!(head.up_sql, "-- nothing to do\n");
    assert_eq!(head.down_sql, None);
    assert_eq!(head.checksum, revision_checksum("-- nothing to do\n"));
}

#[test]
fn crlf_files_keep_their_bytes_but_checksum_like_lf() {
    let up_crlf = "CREATE TABLE a (id INT);\r\nCREATE TABLE b (id INT);\r\n";
    let up_lf = "CREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\n";
    let down_crlf = "DROP TABLE b;\r\nDROP TABLE a;\r\n";
    let build = |up: &str, down: &str, metadata: &str, head: &str| {
        let fixture = Fixture::new();
        fixture
            .write("1_init/up.sql", "SELECT 1;")
            .write("2_tables/up.sql", up)
            .write("2_tables/down.sql", down)
            .write("2_tables/metadata.toml", metadata)
            .head(head);
        fixture
    };
    let crlf = build(
        up_crlf,
        down_crlf,
        "parent = \"1\"\r\nmessage = \"tables\"\r\nrun_in_transaction = false\r\n",
        "2\r\n",
    );
    let lf = build(
        up_lf,
        "DROP TABLE b;\nDROP TABLE a;\n",
        "parent = \"1\"\nmessage = \"tables\"\nrun_in_transaction = false\n",
        "2\n",
    );
    let crlf = crlf.chain();
    let lf = lf.chain();
    let (crlf_head, lf_head) = (crlf.head().unwrap(), lf.head().unwrap());
    assert_eq!(crlf_head.up_sql, up_crlf);
    assert_eq!(crlf_head.down_sql.as_deref(), Some(down_crlf));
    assert_eq!(crlf_head.message, "tables");
    assert!(!crlf_head.run_in_transaction);
    assert_eq!(crlf_head.checksum, revision_checksum(up_lf));
    assert_eq!(crlf_head.checksum, lf_head.checksum);
    assert_eq!(crlf_head.chain_digest, lf_head.chain_digest);
}

#[test]
fn a_valid_chain_is_ordered_from_root_to_head_with_chained_digests() {
    let fixture = Fixture::new();
    // Created out of order, and with ids that do not sort like the chain.
    fixture
        .write("c_posts/up.sql", "CREATE TABLE posts (id INT);\n")
        .write("c_posts/down.sql", "DROP TABLE posts;\n")
        .write(
            "c_posts/metadata.toml",
            "parent = \"b\"\nmessage = \"Add posts\"\nrun_in_transaction = false\n",
        )
        .write("b_create_users/up.sql", "CREATE TABLE users (id INT);\n")
        .write("b_create_users/metadata.toml", "parent = \"z\"\n")
        .write("z_init/up.sql", "-- root\n")
        .head("c\n");
    let chain = fixture.chain();
    let ids: Vec<&str> = chain.revisions().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["z", "b", "c"]);
    assert_eq!(chain.len(), 3);
    assert_eq!(chain.head().map(|r| r.id.as_str()), Some("c"));
    assert_eq!(
        chain.get("b").map(|r| r.slug.as_str()),
        Some("create_users")
    );
    assert_eq!(chain.get("nope"), None);

    let [root, users, posts] = chain.revisions() else {
        panic!("three revisions")
    };
    assert_eq!(root.parent, None);
    assert_eq!(users.parent.as_deref(), Some("z"));
    assert_eq!(posts.parent.as_deref(), Some("b"));
    assert_eq!(users.dir_name, "b_create_users");
    assert_eq!(users.dir, "migrations/b_create_users");
    assert_eq!(users.file("up.sql"), "migrations/b_create_users/up.sql");
    assert_eq!(users.message, "create users");
    assert!(users.run_in_transaction);
    assert_eq!(users.down_sql, None);
    assert_eq!(posts.message, "Add posts");
    assert!(!posts.run_in_transaction);
    assert_eq!(posts.down_sql.as_deref(), Some("DROP TABLE posts;\n"));

    let revisions = chain.revisions();
    for (i, revision) in revisions.iter().enumerate() {
        assert_eq!(revision.checksum, revision_checksum(&revision.up_sql));
        let previous = i.checked_sub(1).map(|p| &revisions[p].chain_digest);
        assert_eq!(
            revision.chain_digest,
            chain_digest(previous, &revision.id, &revision.checksum),
            "digest of revision {i}"
        );
    }
}

#[test]
fn messages_use_the_display_path_given() {
    let fixture = three();
    fixture.head("2\n");
    let defects = load(&fixture.root(), "db/migrations/").unwrap_err();
    let defect = find(&defects, DefectKind::HeadStale);
    assert_eq!(defect.locations(), ["db/migrations/HEAD"]);
    assert_contains(defect.help(), "`db/migrations/HEAD`");

    let fixture = three();
    let chain = load(&fixture.root(), "db/migrations").unwrap();
    assert_eq!(chain.revisions()[1].dir, "db/migrations/2_users");
}

// All at once, and in a stable order.

/// One step of building a fixture.
type Step = Box<dyn Fn(&Fixture)>;

/// A directory breaking many rules at once.
fn everything_wrong(reverse: bool) -> Fixture {
    let fixture = Fixture::new();
    let mut steps: Vec<Step> = vec![
        Box::new(|f| {
            f.revision("1_init", None);
        }),
        Box::new(|f| {
            f.revision("2_a", Some("1"));
        }),
        Box::new(|f| {
            f.revision("3_b", Some("1"));
        }),
        Box::new(|f| {
            f.write("4_c/metadata.toml", "parent = \"2\"\n");
        }),
        Box::new(|f| {
            f.write("5_d/up.sql", "SELECT 1;")
                .write("5_d/metadata.toml", "parnet = \"4\"\n");
        }),
        Box::new(|f| {
            f.write("notes.txt", "todo");
        }),
        Box::new(|f| {
            f.write("bad name/up.sql", "SELECT 1;");
        }),
        Box::new(|f| {
            f.write("2_a/notes.txt", "todo");
        }),
        Box::new(|f| {
            f.head("9\n");
        }),
    ];
    if reverse {
        steps.reverse();
    }
    for step in steps {
        step(&fixture);
    }
    fixture
}

#[test]
fn all_defects_are_reported_at_once() {
    let defects = everything_wrong(false).defects();
    for kind in [
        DefectKind::StrayFile,
        DefectKind::InvalidName,
        DefectKind::UnexpectedFile,
        DefectKind::MissingUpSql,
        DefectKind::UnknownMetadataKey,
        DefectKind::Fork,
        DefectKind::HeadStale,
    ] {
        assert!(defects.contains(kind), "no {kind:?} in:\n{defects}");
    }
    assert_eq!(defects.len(), 7, "{defects}");
}

#[test]
fn defects_come_in_a_deterministic_order() {
    let fixture = everything_wrong(false);
    let first = fixture.load().unwrap_err();
    let second = fixture.load().unwrap_err();
    assert_eq!(first, second);
    let built_the_other_way = everything_wrong(true).load().unwrap_err();
    assert_eq!(first, built_the_other_way);
    assert_eq!(first.to_string(), built_the_other_way.to_string());
}
