//! The packed form `embed_revisions!` writes reads back as the chain that
//! was loaded, for any valid chain; and damaged data is an error, never a
//! panic.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::fs;
use std::path::Path;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use revchain_internals::packed::{self, Unpacked};
use revchain_internals::{Chain, load};

/// One generated revision.
#[derive(Clone, Debug)]
struct Spec {
    slug: String,
    message: Option<String>,
    run_in_transaction: Option<bool>,
    up_sql: String,
    down_sql: Option<String>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        "[a-z][a-z0-9_é]{0,12}",
        option::of("[ -~é日]{0,20}"),
        option::of(any::<bool>()),
        "(CREATE TABLE t (id INT);|\r\n|\n|'é;'|-- ü\n|x){0,8}",
        option::of("(DROP TABLE t;|\r\n|\n|日本){0,4}"),
    )
        .prop_map(
            |(slug, message, run_in_transaction, up_sql, down_sql)| Spec {
                slug,
                message,
                run_in_transaction,
                up_sql,
                down_sql,
            },
        )
}

/// Ids that sort like timestamps, close together as real ones are.
fn id(index: usize, step: u64) -> String {
    format!(
        "2026-01-{:02}-{:06}",
        1 + index / 100,
        index as u64 * step % 1_000_000
    )
}

fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn write_chain(root: &Path, specs: &[Spec], step: u64) -> Chain {
    let mut parent: Option<String> = None;
    for (index, spec) in specs.iter().enumerate() {
        let id = id(index, step);
        let dir = root.join(format!("{id}_{}", spec.slug));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("up.sql"), &spec.up_sql).unwrap();
        if let Some(down) = &spec.down_sql {
            fs::write(dir.join("down.sql"), down).unwrap();
        }
        let mut metadata = String::new();
        if let Some(parent) = &parent {
            metadata.push_str(&format!("parent = {}\n", toml_string(parent)));
        }
        if let Some(message) = &spec.message {
            metadata.push_str(&format!("message = {}\n", toml_string(message)));
        }
        if let Some(flag) = spec.run_in_transaction {
            metadata.push_str(&format!("run_in_transaction = {flag}\n"));
        }
        if !metadata.is_empty() {
            fs::write(dir.join("metadata.toml"), metadata).unwrap();
        }
        parent = Some(id);
    }
    if let Some(head) = &parent {
        fs::write(root.join("HEAD"), format!("{head}\n")).unwrap();
    }
    load(root, "db/migrations").unwrap_or_else(|defects| panic!("valid chain:\n{defects}"))
}

fn assert_same(unpacked: &Unpacked<'_>, chain: &Chain) {
    assert_eq!(unpacked.display, chain.dir());
    assert_eq!(
        unpacked.head_digest,
        chain.head().map(|head| head.chain_digest)
    );
    assert_eq!(unpacked.revisions.len(), chain.len());
    for (unpacked, loaded) in unpacked.revisions.iter().zip(chain.revisions()) {
        assert_eq!(unpacked.id, loaded.id);
        assert_eq!(unpacked.parent, loaded.parent);
        assert_eq!(unpacked.dir_name, loaded.dir_name);
        assert_eq!(unpacked.dir, loaded.dir);
        assert_eq!(unpacked.message, loaded.message);
        assert_eq!(unpacked.run_in_transaction, loaded.run_in_transaction);
        assert_eq!(unpacked.up_sql, loaded.up_sql);
        assert_eq!(unpacked.down_sql, loaded.down_sql.as_deref());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_valid_chain_unpacks_as_it_was_loaded(specs in vec(spec(), 0..12), step in 1u64..5_000) {
        let dir = tempfile::tempdir().unwrap();
        let chain = write_chain(dir.path(), &specs, step);
        let packed = packed::pack(&chain).unwrap();
        prop_assert_eq!(packed.text.len(), packed::text_len(&chain));
        let unpacked = packed::unpack(&packed.text, &packed.index).unwrap();
        assert_same(&unpacked, &chain);
    }

    #[test]
    fn a_damaged_index_is_an_error_or_another_chain_never_a_panic(
        specs in vec(spec(), 1..6),
        damage in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in option::of(any::<prop::sample::Index>()),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let chain = write_chain(dir.path(), &specs, 3_600);
        let packed = packed::pack(&chain).unwrap();
        let mut index = packed.index.clone();
        for (at, byte) in damage {
            let at = at.index(index.len());
            index[at] = byte;
        }
        if let Some(cut) = cut {
            index.truncate(cut.index(index.len()));
        }
        let _ = packed::unpack(&packed.text, &index);
        let mut half = packed.text.len() / 2;
        while !packed.text.is_char_boundary(half) {
            half -= 1;
        }
        prop_assert!(packed::unpack(&packed.text[..half], &packed.index).is_err() || half == packed.text.len());
    }
}

#[test]
fn a_thousand_timestamped_revisions_cost_a_few_bytes_each_beyond_their_sql() {
    let dir = tempfile::tempdir().unwrap();
    let specs: Vec<Spec> = (0..1_000)
        .map(|index| Spec {
            slug: format!("create_inventory_item_{index:05}"),
            message: None,
            run_in_transaction: None,
            up_sql: format!("CREATE TABLE inventory_item_{index:05} (id INT);\n"),
            down_sql: Some(format!("DROP TABLE inventory_item_{index:05};\n")),
        })
        .collect();
    let chain = write_chain(dir.path(), &specs, 3_661);
    let packed = packed::pack(&chain).unwrap();
    let names: usize = chain.revisions().iter().map(|r| r.dir_name.len()).sum();
    // Each directory name is 45 bytes; the index stores each revision in
    // well under half of that.
    assert!(
        packed.index.len() < names / 2,
        "index of {} bytes for {names} bytes of names",
        packed.index.len()
    );
}

#[test]
fn an_index_of_another_layout_version_is_refused_with_what_to_do() {
    let error = packed::unpack("", &[99, 0, 0]).unwrap_err().to_string();
    assert!(error.contains("layout version 99"), "{error}");
    assert!(error.contains("same version"), "{error}");
}
