//! An application on diesel-async that enables revchain's
//! `postgres_backend` (not `postgres`) links no libpq: the test builds such
//! an application (a crate of its own, generated in a temporary directory,
//! built in `<target>/nolibpq-test`), reads the dynamic libraries its binary
//! needs with `ldd`, then runs it against PostgreSQL: it migrates through
//! `AsyncConnectionWrapper<AsyncPgConnection>` and finds the database at
//! head.
//!
//! The same check on `revchain-test-worker`, which uses diesel's
//! `PgConnection`, finds libpq: the check can tell.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use revchain_tests::TestDatabase;

const MAIN_RS: &str = r#"use diesel::Connection;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;

static REVISIONS: revchain::Revisions = revchain::embed_revisions!("migrations");

fn main() {
    let url = std::env::args().nth(1).expect("a database URL");
    let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url).expect("connecting");
    let report = revchain::upgrade_to_head(&mut conn, &REVISIONS).expect("upgrading");
    let at_head = revchain::Migrator::new(&REVISIONS)
        .is_at_head(&mut conn)
        .expect("checking");
    println!("applied {} at head {at_head}", report.steps.len());
}
"#;

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn target_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target>/tmp`.
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("..")
        .join("nolibpq-test")
}

/// Generates and builds the application; returns its binary.
fn build_application(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let runtime = root.join("runtime").canonicalize().unwrap();
    let runtime = runtime.to_string_lossy().replace('\\', "/");
    fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"revchain-nolibpq-probe\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n\
             revchain = {{ path = \"{runtime}\", default-features = false, features = [\"postgres_backend\"] }}\n\
             diesel = {{ version = \"2.3\", default-features = false, features = [\"postgres_backend\"] }}\n\
             diesel-async = {{ version = \"0.9\", features = [\"postgres\", \"async-connection-wrapper\"] }}\n\n\
             [workspace]\n"
        ),
    )
    .unwrap();
    // The workspace's lockfile pins the versions it already resolved, so
    // that the build can run offline.
    fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(dir.join("src/main.rs"), MAIN_RS).unwrap();
    copy_dir(&root.join("migrations"), &dir.join("migrations"));

    let mut output = cargo_build(dir, true);
    if !output.status.success() && String::from_utf8_lossy(&output.stderr).contains("offline") {
        output = cargo_build(dir, false);
    }
    assert!(
        output.status.success(),
        "`cargo build` of the application failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    target_dir().join("debug").join(format!(
        "revchain-nolibpq-probe{}",
        std::env::consts::EXE_SUFFIX
    ))
}

fn cargo_build(dir: &Path, offline: bool) -> Output {
    let mut command = Command::new(env!("CARGO"));
    command
        .args(["build", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    if offline {
        command.arg("--offline");
    }
    command.output().expect("running cargo")
}

/// The shared libraries `binary` loads, as `ldd` lists them.
fn shared_libraries(binary: &Path) -> String {
    let output = Command::new("ldd")
        .arg(binary)
        .output()
        .expect("running `ldd` (libc-bin)");
    assert!(
        output.status.success(),
        "`ldd {}` failed: {}",
        binary.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
#[cfg(target_os = "linux")]
fn an_application_on_postgres_backend_and_diesel_async_links_no_libpq() {
    // The check finds libpq where it is linked.
    let worker = shared_libraries(Path::new(env!("CARGO_BIN_EXE_revchain-test-worker")));
    assert!(worker.contains("libpq"), "{worker}");

    let dir = tempfile::Builder::new()
        .prefix("revchain-nolibpq-")
        .tempdir()
        .unwrap();
    let binary = build_application(dir.path());
    let libraries = shared_libraries(&binary);
    assert!(!libraries.contains("libpq"), "links libpq:\n{libraries}");
    assert!(!libraries.contains("libmysqlclient") && !libraries.contains("libmariadb"));

    let Some(db) = TestDatabase::postgres() else {
        return;
    };
    let output = Command::new(&binary).arg(&db.url).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("applied {} at head true", revchain_tests::EXAMPLE.len())
    );
}
