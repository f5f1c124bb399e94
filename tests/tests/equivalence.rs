//! The chain `embed_revisions!` embeds at compile time is the chain
//! `revchain_internals::load` reads at run time from the same directory: the
//! macro adds nothing and drops nothing.

use std::fs;
use std::path::{Path, PathBuf};

use revchain_internals::{Chain, Defects, LoadedRevision};

/// The repository's example history, relative to `tests/Cargo.toml`.
const DIR: &str = "../migrations";

static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn load() -> Result<Chain, Defects> {
    revchain_internals::load(&manifest_dir().join(DIR), DIR)
}

/// A file of an embedded revision, on disk: `Revision::dir` is relative to
/// the manifest directory.
fn file_of(revision: &revchain::Revision, name: &str) -> PathBuf {
    manifest_dir().join(revision.dir()).join(name)
}

#[test]
fn the_embedded_chain_equals_the_loaded_chain_field_by_field() {
    let chain = load().unwrap_or_else(|defects| panic!("the example history is valid:\n{defects}"));
    assert!(chain.len() >= 6, "the example history has revisions");
    assert_eq!(REVISIONS.len(), chain.len());
    for (index, (embedded, loaded)) in REVISIONS.iter().zip(chain.revisions()).enumerate() {
        let LoadedRevision {
            id,
            dir,
            parent,
            message,
            run_in_transaction,
            up_sql,
            down_sql,
            checksum,
            chain_digest,
            ..
        } = loaded;
        assert_eq!(embedded.id(), id, "id at position {index}");
        assert_eq!(embedded.parent(), parent.as_deref(), "parent of `{id}`");
        assert_eq!(embedded.message(), message, "message of `{id}`");
        assert_eq!(embedded.dir(), dir, "dir of `{id}`");
        assert_eq!(embedded.up_sql(), up_sql, "up.sql of `{id}`");
        assert_eq!(
            embedded.down_sql(),
            down_sql.as_deref(),
            "down.sql of `{id}`"
        );
        assert_eq!(
            embedded.run_in_transaction(),
            *run_in_transaction,
            "run_in_transaction of `{id}`"
        );
        assert_eq!(embedded.checksum(), *checksum, "checksum of `{id}`");
        assert_eq!(
            embedded.chain_digest(),
            *chain_digest,
            "chain digest of `{id}`"
        );
        assert_eq!(embedded.file("up.sql"), loaded.file("up.sql"));
    }
}

#[test]
fn the_embedded_order_is_the_loaded_order_from_root_to_head() {
    let chain = load().unwrap_or_else(|defects| panic!("the example history is valid:\n{defects}"));
    let embedded: Vec<&str> = REVISIONS.iter().map(|r| r.id()).collect();
    let from_disk: Vec<&str> = chain.revisions().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(embedded, from_disk);
    assert_eq!(REVISIONS.iter().next().and_then(|r| r.parent()), None);
    assert_eq!(
        REVISIONS.head().map(|r| r.id()),
        chain.head().map(|r| r.id.as_str())
    );
    for (position, revision) in chain.revisions().iter().enumerate() {
        assert_eq!(REVISIONS.position(&revision.id), Some(position));
        assert_eq!(
            REVISIONS.get(&revision.id).map(|r| r.id()),
            Some(&*revision.id)
        );
    }
}

#[test]
fn the_embedded_head_is_the_one_the_head_file_names() {
    let head = fs::read_to_string(manifest_dir().join(DIR).join("HEAD")).unwrap();
    assert_eq!(REVISIONS.head().map(|r| r.id()), Some(head.trim()));
}

#[test]
fn the_embedded_sql_is_the_bytes_of_the_files() {
    for revision in &REVISIONS {
        let up = fs::read(file_of(revision, "up.sql")).unwrap();
        assert_eq!(
            revision.up_sql().as_bytes(),
            up,
            "{}",
            revision.file("up.sql")
        );

        let down_path = file_of(revision, "down.sql");
        let down = down_path.exists().then(|| fs::read(&down_path).unwrap());
        assert_eq!(
            revision.down_sql().map(str::as_bytes),
            down.as_deref(),
            "{}",
            revision.file("down.sql")
        );
    }
}

#[test]
fn the_embedded_checksums_are_computed_from_the_embedded_sql() {
    let mut previous = None;
    for revision in &REVISIONS {
        assert_eq!(
            revision.checksum(),
            revchain::revision_checksum(revision.up_sql()),
            "{}",
            revision.id()
        );
        let digest = revchain::chain_digest(previous.as_ref(), revision.id(), &revision.checksum());
        assert_eq!(revision.chain_digest(), digest, "{}", revision.id());
        previous = Some(digest);
    }
}

#[test]
fn revisions_loaded_at_run_time_equal_the_embedded_ones() {
    let loaded = revchain::Revisions::load(&manifest_dir().join("../migrations"), "../migrations")
        .expect("the example history loads at run time");
    assert_eq!(loaded.len(), REVISIONS.len());
    for (run_time, compile_time) in loaded.iter().zip(REVISIONS.iter()) {
        assert_eq!(run_time.id(), compile_time.id());
        assert_eq!(run_time.parent(), compile_time.parent());
        assert_eq!(run_time.message(), compile_time.message());
        assert_eq!(run_time.dir(), compile_time.dir());
        assert_eq!(run_time.up_sql(), compile_time.up_sql());
        assert_eq!(run_time.down_sql(), compile_time.down_sql());
        assert_eq!(
            run_time.run_in_transaction(),
            compile_time.run_in_transaction()
        );
        assert_eq!(run_time.checksum(), compile_time.checksum());
        assert_eq!(run_time.chain_digest(), compile_time.chain_digest());
        assert_eq!(
            loaded.get(run_time.id()).map(|r| r.id()),
            Some(run_time.id())
        );
    }
}

/// A directory breaking each rule of the files on disk at once: a NUL byte
/// in SQL, a FIFO `HEAD`, a dangling link, a `metadata.toml` over its cap.
#[cfg(unix)]
fn broken_files() -> std::io::Result<tempfile::TempDir> {
    let temp = tempfile::tempdir()?;
    let root = temp.path().join("migrations");
    fs::create_dir_all(root.join("1_init"))?;
    fs::create_dir_all(root.join("2_seed"))?;
    fs::write(root.join("1_init/up.sql"), "CREATE TABLE t (id INTEGER);\n")?;
    fs::write(root.join("2_seed/up.sql"), "INSERT INTO t VALUES (1);\0\n")?;
    std::os::unix::fs::symlink("gone.sql", root.join("1_init/down.sql"))?;
    fs::File::create(root.join("2_seed/metadata.toml"))?
        .set_len(revchain_internals::MAX_METADATA_FILE_BYTES + 1)?;
    let fifo = std::process::Command::new("mkfifo")
        .arg(root.join("HEAD"))
        .status()?;
    if !fifo.success() {
        return Err(std::io::Error::other(format!("mkfifo: {fifo}")));
    }
    Ok(temp)
}

/// The compiler's side is in `ui-tests` (`sql_nul_byte`, `head_fifo`,
/// `dangling_link`): its errors are the same `Display` of each defect.
#[cfg(unix)]
#[test]
fn the_runtime_and_the_command_refuse_broken_files_as_the_shared_rules_do() {
    let temp = broken_files().unwrap();
    let root = temp.path().join("migrations");
    let shared = revchain_internals::load(&root, "migrations").unwrap_err();
    let kinds: Vec<&str> = shared.iter().map(|d| d.kind().as_str()).collect();
    assert_eq!(
        kinds,
        [
            "broken_link",
            "file_too_large",
            "nul_byte",
            "not_regular_file"
        ],
        "{shared}"
    );
    let runtime = revchain::Revisions::load(&root, "migrations").unwrap_err();
    assert_eq!(runtime, shared);
    // Killed after 30 s: a liveness guard against blocking on the FIFO.
    let output = assert_cmd::Command::new(env!("CARGO_BIN_EXE_revchain-test-cli"))
        .current_dir(temp.path())
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .arg("check")
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!("{shared}\n")
    );
}
