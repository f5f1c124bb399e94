//! The files on disk, through the public `load`: only regular files are
//! read (a FIFO is a defect, never a hang), each under its size cap, as text
//! without NUL bytes; symbolic links are followed, wherever they lead, and
//! one that leads nowhere is reported as a link; a directory that cannot be
//! read says "permission denied".
#![cfg(unix)]
// The helpers below are test code too: a failed setup should fail the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use common::{Fixture, assert_contains, kinds, three};
use revchain_internals::{
    Chain, Defect, DefectKind, Defects, MAX_HEAD_FILE_BYTES, MAX_METADATA_FILE_BYTES,
    MAX_SQL_FILE_BYTES,
};

/// Makes a FIFO at `path`.
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Loads on another thread, failing the test if that takes more than 30 s:
/// a liveness guard against a read that blocks (on a FIFO), not a timing
/// assertion. A thread still blocked is left behind; the test fails anyway.
fn load_live(fixture: &Fixture) -> Result<Chain, Defects> {
    let root = fixture.root();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(revchain_internals::load(&root, common::DISPLAY));
    });
    receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("`load` returned within 30 s instead of blocking")
}

/// Loads with the liveness guard, expecting exactly one defect, of `kind`.
fn sole_live(fixture: &Fixture, kind: DefectKind) -> Defect {
    let defects = match load_live(fixture) {
        Ok(chain) => panic!("expected defects, got a chain of {}", chain.len()),
        Err(defects) => defects,
    };
    common::assert_relative(&defects, fixture.temp());
    assert_eq!(kinds(&defects), [kind], "{defects}");
    defects.into_iter().next().unwrap()
}

// Regular files only.

#[test]
fn a_fifo_head_is_refused_without_blocking() {
    let fixture = three();
    fs::remove_file(fixture.root().join("HEAD")).unwrap();
    mkfifo(&fixture.root().join("HEAD"));
    let defect = sole_live(&fixture, DefectKind::NotRegularFile);
    assert_eq!(
        defect.summary(),
        "`migrations/HEAD` is a FIFO (named pipe), not a regular file"
    );
    assert_eq!(defect.locations(), ["migrations/HEAD"]);
    assert_contains(defect.help(), "replace it with a regular file");
}

#[test]
fn a_fifo_in_place_of_each_revision_file_is_refused_without_blocking() {
    for file in ["up.sql", "down.sql", "metadata.toml"] {
        let fixture = three();
        let path = fixture.root().join("2_users").join(file);
        let _ = fs::remove_file(&path);
        mkfifo(&path);
        // Not "missing `up.sql`", nor an "unexpected entry": it is there,
        // and it is not a regular file.
        let defect = sole_live(&fixture, DefectKind::NotRegularFile);
        assert_eq!(
            defect.summary(),
            format!("`migrations/2_users/{file}` is a FIFO (named pipe), not a regular file")
        );
    }
}

#[test]
fn a_link_to_a_device_is_refused_without_reading_it() {
    let fixture = three();
    let up = fixture.root().join("2_users/up.sql");
    fs::remove_file(&up).unwrap();
    // Endless: read whole, it would never end.
    symlink("/dev/zero", &up).unwrap();
    let defect = sole_live(&fixture, DefectKind::NotRegularFile);
    assert_eq!(
        defect.summary(),
        "`migrations/2_users/up.sql` is a character device, not a regular file"
    );
}

#[test]
fn a_socket_is_refused() {
    let fixture = three();
    let metadata = fixture.root().join("3_posts/metadata.toml");
    fs::remove_file(&metadata).unwrap();
    let _listener = std::os::unix::net::UnixListener::bind(&metadata).unwrap();
    let defect = sole_live(&fixture, DefectKind::NotRegularFile);
    assert_eq!(
        defect.summary(),
        "`migrations/3_posts/metadata.toml` is a socket, not a regular file"
    );
}

#[test]
fn a_directory_in_place_of_a_file_is_not_a_regular_file() {
    let fixture = three();
    fs::remove_file(fixture.root().join("HEAD")).unwrap();
    fixture.mkdir("HEAD").mkdir("2_users/down.sql");
    let defects = load_live(&fixture).unwrap_err();
    assert_eq!(
        kinds(&defects),
        [DefectKind::NotRegularFile, DefectKind::NotRegularFile],
        "{defects}"
    );
    assert_eq!(
        defects[0].summary(),
        "`migrations/2_users/down.sql` is a directory, not a regular file"
    );
    assert_eq!(
        defects[1].summary(),
        "`migrations/HEAD` is a directory, not a regular file"
    );
}

#[test]
fn fifos_that_are_not_read_are_refused_too_and_never_opened() {
    let fixture = three();
    mkfifo(&fixture.root().join("README.md"));
    mkfifo(&fixture.root().join("2_users/README"));
    mkfifo(&fixture.root().join("notes"));
    let defects = load_live(&fixture).unwrap_err();
    assert_eq!(
        kinds(&defects),
        [
            DefectKind::NotRegularFile,
            DefectKind::NotRegularFile,
            DefectKind::StrayFile
        ],
        "{defects}"
    );
    assert_eq!(
        defects[0].summary(),
        "`migrations/2_users/README` is a FIFO (named pipe), not a regular file"
    );
    assert_eq!(
        defects[1].summary(),
        "`migrations/README.md` is a FIFO (named pipe), not a regular file"
    );
    assert_contains(defects[2].summary(), "stray file `notes` in `migrations`");
}

// Size caps.

/// Makes `path` a file of `len` bytes without writing them (a sparse file).
fn sparse(path: &Path, len: u64) {
    let _ = fs::remove_file(path);
    fs::File::create(path).unwrap().set_len(len).unwrap();
}

#[test]
fn an_sql_file_over_the_cap_is_refused_with_its_size_and_the_cap() {
    let fixture = three();
    sparse(
        &fixture.root().join("2_users/up.sql"),
        MAX_SQL_FILE_BYTES + 1,
    );
    let defect = fixture.sole(DefectKind::FileTooLarge);
    assert_eq!(
        defect.summary(),
        "`migrations/2_users/up.sql` is too large: 16777217 bytes, over the 16 MiB (16777216 bytes) that revchain reads of an SQL file"
    );
    assert_eq!(defect.locations(), ["migrations/2_users/up.sql"]);
    assert_contains(defect.help(), "split it into several revisions");
}

#[test]
fn head_and_metadata_over_their_caps_are_refused() {
    let fixture = three();
    sparse(&fixture.root().join("HEAD"), MAX_HEAD_FILE_BYTES + 1);
    sparse(
        &fixture.root().join("3_posts/metadata.toml"),
        MAX_METADATA_FILE_BYTES + 1,
    );
    let defects = fixture.defects();
    assert_eq!(
        kinds(&defects),
        [DefectKind::FileTooLarge, DefectKind::FileTooLarge],
        "{defects}"
    );
    assert_eq!(
        defects[0].summary(),
        "`migrations/3_posts/metadata.toml` is too large: 65537 bytes, over the 64 KiB (65536 bytes) that revchain reads of a `metadata.toml`"
    );
    assert_eq!(
        defects[1].summary(),
        "`migrations/HEAD` is too large: 65537 bytes, over the 64 KiB (65536 bytes) that revchain reads of `HEAD`"
    );
    assert_contains(defects[1].help(), "`HEAD` holds one line");
}

#[test]
fn files_of_exactly_the_cap_are_read() {
    let fixture = three();
    let cap = usize::try_from(MAX_HEAD_FILE_BYTES).unwrap();
    let mut head = "3\n".to_owned();
    head.push_str(&" ".repeat(cap - head.len()));
    fixture.head(&head);
    let mut metadata = "parent = \"2\"\n".to_owned();
    metadata
        .push_str(&"#".repeat(usize::try_from(MAX_METADATA_FILE_BYTES).unwrap() - metadata.len()));
    fixture.write("3_posts/metadata.toml", &metadata);
    let chain = fixture.chain();
    assert_eq!(chain.head().map(|r| r.id.as_str()), Some("3"));
}

// Text: UTF-8, without NUL bytes.

#[test]
fn a_nul_byte_in_sql_is_refused_with_line_column_and_offset() {
    let fixture = three();
    fixture.write("2_users/up.sql", "SELECT 1;\nSELECT '\0';\n");
    let defect = fixture.sole(DefectKind::NulByte);
    assert_eq!(
        defect.summary(),
        "`migrations/2_users/up.sql` holds a NUL byte at line 2, column 9 (byte offset 18), which no database accepts in SQL text"
    );
    assert_eq!(defect.locations(), ["migrations/2_users/up.sql:2:9"]);
    assert_contains(defect.help(), "remove it");
}

#[test]
fn a_nul_byte_is_refused_in_every_file_read() {
    let fixture = three();
    fixture
        .write("3_posts/down.sql", "DROP TABLE posts;\0")
        .write("2_users/metadata.toml", "parent = \"1\"\n\0")
        .head("3\0\n");
    let defects = fixture.defects();
    assert_eq!(kinds(&defects), [DefectKind::NulByte; 3], "{defects}");
    let locations: Vec<&str> = defects
        .iter()
        .map(|defect| defect.locations()[0].as_str())
        .collect();
    assert_eq!(
        locations,
        [
            "migrations/2_users/metadata.toml:2:1",
            "migrations/3_posts/down.sql:1:18",
            "migrations/HEAD:1:2",
        ]
    );
}

#[test]
fn sql_saved_as_utf16_is_refused_with_the_reason() {
    let fixture = three();
    let utf16le: Vec<u8> = "SELECT 1;\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    fixture.write("2_users/up.sql", &utf16le);
    let defect = fixture.sole(DefectKind::NulByte);
    assert_contains(defect.summary(), "at line 1, column 2 (byte offset 1)");
    assert_contains(defect.help(), "saved as UTF-16: save it as UTF-8");

    // With a byte order mark, it is not UTF-8 at all.
    let mut with_bom = vec![0xff, 0xfe];
    with_bom.extend(utf16le);
    fixture.write("2_users/up.sql", &with_bom);
    let defect = fixture.sole(DefectKind::NotUtf8);
    assert_contains(defect.summary(), "byte 0xff at line 1, column 1 is invalid");
}

// Symbolic links.

#[test]
fn a_dangling_link_is_reported_as_a_link() {
    let fixture = three();
    fs::remove_file(fixture.root().join("HEAD")).unwrap();
    symlink("../shared/HEAD", fixture.root().join("HEAD")).unwrap();
    fs::remove_file(fixture.root().join("2_users/up.sql")).unwrap();
    symlink("gone.sql", fixture.root().join("2_users/up.sql")).unwrap();
    symlink("../elsewhere/4_gone", fixture.root().join("4_gone")).unwrap();
    let defects = fixture.defects();
    // Not a missing `HEAD`, a missing `up.sql` or a stray file: a link.
    assert_eq!(kinds(&defects), [DefectKind::BrokenLink; 3], "{defects}");
    assert_eq!(
        defects[0].summary(),
        "`migrations/2_users/up.sql` is a dangling symbolic link: nothing exists at `gone.sql`, where it points"
    );
    assert_eq!(
        defects[1].summary(),
        "`migrations/4_gone` is a dangling symbolic link: nothing exists at `../elsewhere/4_gone`, where it points"
    );
    assert_eq!(defects[2].locations(), ["migrations/HEAD"]);
    assert_contains(defects[2].help(), "point the link at an existing file");
}

#[test]
fn a_loop_of_links_is_reported_as_a_link() {
    let fixture = three();
    let up = fixture.root().join("3_posts/up.sql");
    fs::remove_file(&up).unwrap();
    symlink("up.sql", &up).unwrap();
    symlink("b", fixture.root().join("2_users/README.md")).unwrap();
    symlink("README.md", fixture.root().join("2_users/b")).unwrap();
    let defects = load_live(&fixture).unwrap_err();
    let loops: Vec<&str> = defects
        .iter()
        .filter(|defect| defect.kind() == DefectKind::BrokenLink)
        .map(Defect::summary)
        .collect();
    assert_eq!(
        loops,
        [
            "`migrations/2_users/README.md` is a symbolic link that never reaches a file: following it (to `b`) loops, or passes through too many links",
            "`migrations/2_users/b` is a symbolic link that never reaches a file: following it (to `README.md`) loops, or passes through too many links",
            "`migrations/3_posts/up.sql` is a symbolic link that never reaches a file: following it (to `up.sql`) loops, or passes through too many links",
        ],
        "{defects}"
    );
    assert!(!defects.contains(DefectKind::MissingUpSql), "{defects}");
}

#[test]
fn a_migrations_directory_that_is_a_broken_link_is_not_called_missing() {
    let fixture = Fixture::without_directory();
    symlink("db/migrations", fixture.root()).unwrap();
    let defect = fixture.sole(DefectKind::BrokenLink);
    assert_eq!(
        defect.summary(),
        "`migrations` is a dangling symbolic link: nothing exists at `db/migrations`, where it points"
    );
    fs::remove_file(fixture.root()).unwrap();
    symlink("migrations", fixture.root()).unwrap();
    let defect = fixture.sole(DefectKind::BrokenLink);
    assert_contains(defect.summary(), "never reaches a file");
}

#[test]
fn links_leading_out_of_the_directory_are_followed() {
    let fixture = three();
    let shared = fixture.temp().join("shared");
    fs::create_dir_all(shared.join("4_shared")).unwrap();
    fs::write(shared.join("4_shared/up.sql"), "SELECT 4;\n").unwrap();
    fs::write(shared.join("4_shared/metadata.toml"), "parent = \"3\"\n").unwrap();
    fs::write(shared.join("down.sql"), "DROP TABLE users;\n").unwrap();
    fs::write(shared.join("HEAD"), "4\n").unwrap();
    // A whole revision, a file of one, `HEAD`, and the directory itself.
    symlink("../shared/4_shared", fixture.root().join("4_shared")).unwrap();
    symlink(
        shared.join("down.sql"),
        fixture.root().join("2_users/down.sql"),
    )
    .unwrap();
    fs::remove_file(fixture.root().join("HEAD")).unwrap();
    symlink("../shared/HEAD", fixture.root().join("HEAD")).unwrap();
    let linked = fixture.temp().join("linked");
    symlink(fixture.root(), &linked).unwrap();

    for chain in [
        fixture.chain(),
        revchain_internals::load(&linked, "linked").unwrap(),
    ] {
        let ids: Vec<&str> = chain.revisions().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3", "4"]);
        assert_eq!(chain.revisions()[3].up_sql, "SELECT 4;\n");
        assert_eq!(
            chain.revisions()[1].down_sql.as_deref(),
            Some("DROP TABLE users;\n")
        );
    }
}

#[test]
fn a_path_through_a_file_is_not_found_rather_than_unreadable() {
    let fixture = Fixture::without_directory();
    fs::write(fixture.root(), "a file").unwrap();
    let defects =
        revchain_internals::load(&fixture.root().join("inner"), "migrations/inner").unwrap_err();
    assert_eq!(
        kinds(&defects),
        [DefectKind::DirectoryNotFound],
        "{defects}"
    );
    assert_eq!(
        defects[0].summary(),
        "migrations directory `migrations/inner` not found: a part of its path is a file, not a directory"
    );
}

// Permissions.

/// Runs `check` where permissions are enforced. As root they are not
/// (`CAP_DAC_OVERRIDE`), so this test is run again in a process of its own
/// under `setpriv`, without any capability; without `setpriv`, it is skipped
/// with a notice.
fn with_permissions_enforced(test: &str, check: impl FnOnce()) {
    const CHILD: &str = "REVCHAIN_TEST_WITHOUT_CAPABILITIES";
    if permissions_enforced() {
        check();
        return;
    }
    assert!(
        std::env::var_os(CHILD).is_none(),
        "permissions are not enforced even without capabilities"
    );
    let exe = std::env::current_exe().unwrap();
    let output = Command::new("setpriv")
        .args(["--inh-caps=-all", "--bounding-set=-all", "--"])
        .arg(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output();
    match output {
        Ok(output) if String::from_utf8_lossy(&output.stderr).starts_with("setpriv:") => {
            eprintln!(
                "notice: `{test}` skipped: running as root, and `setpriv` cannot drop the capabilities that bypass permissions: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(output) => assert!(
            output.status.success() && String::from_utf8_lossy(&output.stdout).contains("1 passed"),
            "`{test}` without capabilities:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => eprintln!(
            "notice: `{test}` skipped: running as root, and `setpriv` cannot be run to drop the capabilities that bypass permissions ({error})"
        ),
    }
}

/// Whether a directory of mode 000 cannot be listed here.
fn permissions_enforced() -> bool {
    let probe = tempfile::tempdir().unwrap();
    let locked = probe.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let enforced = fs::read_dir(&locked).is_err();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o700)).unwrap();
    enforced
}

/// Sets the mode of `path`, relative to `migrations/`, and puts it back to
/// `0o755` when dropped, so that the fixture can be removed.
struct Mode<'a> {
    fixture: &'a Fixture,
    path: &'a str,
}

impl<'a> Mode<'a> {
    fn set(fixture: &'a Fixture, path: &'a str, mode: u32) -> Self {
        let full = fixture.root().join(path);
        fs::set_permissions(full, fs::Permissions::from_mode(mode)).unwrap();
        Mode { fixture, path }
    }
}

impl Drop for Mode<'_> {
    fn drop(&mut self) {
        let full = self.fixture.root().join(self.path);
        let _ = fs::set_permissions(full, fs::Permissions::from_mode(0o755));
    }
}

#[test]
fn an_unreadable_migrations_directory_says_permission_denied() {
    with_permissions_enforced(
        "an_unreadable_migrations_directory_says_permission_denied",
        || {
            let fixture = three();
            let _mode = Mode::set(&fixture, "", 0o000);
            let defect = fixture.sole(DefectKind::Unreadable);
            assert_eq!(
                defect.summary(),
                "migrations directory `migrations` cannot be read: permission denied"
            );
            assert_contains(defect.help(), "give the user running revchain permission");
            assert!(!defect.help().contains("create it"), "{defect}");
        },
    );
}

#[test]
fn an_unreadable_revision_directory_or_file_says_permission_denied() {
    with_permissions_enforced(
        "an_unreadable_revision_directory_or_file_says_permission_denied",
        || {
            let fixture = three();
            let _dir = Mode::set(&fixture, "2_users", 0o000);
            let _file = Mode::set(&fixture, "3_posts/up.sql", 0o000);
            let defects = fixture.defects();
            assert_eq!(
                kinds(&defects),
                [DefectKind::Unreadable, DefectKind::Unreadable],
                "{defects}"
            );
            assert_eq!(
                defects[0].summary(),
                "`migrations/2_users` cannot be read: permission denied"
            );
            assert_eq!(
                defects[1].summary(),
                "`migrations/3_posts/up.sql` cannot be read: permission denied"
            );
            assert_contains(
                defects[1].help(),
                "permission to read `migrations/3_posts/up.sql`",
            );
        },
    );
}
