//! An application on diesel-async that enables only revchain's backend
//! feature (`postgres_backend`, `mysql_backend`; not `postgres`, `mysql`)
//! links no C client library. For each backend the test generates such an
//! application (a crate of its own in a temporary directory; both are built
//! in the one target directory `<target>/linking-test`, so the second reuses
//! the dependencies the first compiled), reads the dynamic libraries its
//! binary needs with `ldd` (neither libpq nor libmysqlclient nor libmariadb),
//! then runs it against the server: it migrates through
//! `AsyncConnectionWrapper<AsyncPgConnection>` or
//! `AsyncConnectionWrapper<AsyncMysqlConnection>` and finds the database at
//! head.
//!
//! The same check on `revchain-test-worker`, which uses diesel's
//! `PgConnection` and `MysqlConnection`, finds libpq and libmysqlclient or
//! libmariadb: the check can tell.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use revchain_tests::TestDatabase;

/// What differs between the applications of two backends.
struct Probe {
    /// The generated crate's name, also its binary's.
    name: &'static str,
    /// revchain's feature, without its default features.
    revchain_feature: &'static str,
    /// diesel's feature, without its default features.
    diesel_feature: &'static str,
    /// diesel-async's connection feature (beside `async-connection-wrapper`).
    diesel_async_feature: &'static str,
    /// The diesel-async connection type, in `diesel_async`.
    connection: &'static str,
    /// The libraries the backend's C client comes as; the application must
    /// link none of them, the test worker at least one.
    client_libraries: &'static [&'static str],
    /// A fresh database on the backend's server.
    database: fn() -> Option<TestDatabase>,
}

/// The application on PostgreSQL: tokio-postgres, no libpq.
const POSTGRES: Probe = Probe {
    name: "revchain-linking-postgres-probe",
    revchain_feature: "postgres_backend",
    diesel_feature: "postgres_backend",
    diesel_async_feature: "postgres",
    connection: "AsyncPgConnection",
    client_libraries: &["libpq"],
    database: TestDatabase::postgres,
};

/// The application on MySQL/MariaDB: mysql_async, no libmysqlclient.
const MYSQL: Probe = Probe {
    name: "revchain-linking-mysql-probe",
    revchain_feature: "mysql_backend",
    diesel_feature: "mysql_backend",
    diesel_async_feature: "mysql",
    connection: "AsyncMysqlConnection",
    client_libraries: &["libmysqlclient", "libmariadb"],
    database: TestDatabase::mysql,
};

/// Every C client library: an application on a backend feature links none.
const ALL_CLIENT_LIBRARIES: [&str; 3] = ["libpq", "libmysqlclient", "libmariadb"];

/// The application's `main.rs`; `CONNECTION` stands for [`Probe::connection`].
const MAIN_RS: &str = r#"use diesel::Connection;
use diesel_async::CONNECTION;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;

static REVISIONS: revchain::Revisions = revchain::embed_revisions!("migrations");

fn main() {
    let url = std::env::args().nth(1).expect("a database URL");
    let mut conn = AsyncConnectionWrapper::<CONNECTION>::establish(&url).expect("connecting");
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

/// The target directory every probe is built in.
fn target_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target>/tmp`.
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("..")
        .join("linking-test")
}

/// Generates and builds `probe`'s application in `dir`; returns its binary.
fn build_application(probe: &Probe, dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let runtime = root.join("runtime").canonicalize().unwrap();
    let runtime = runtime.to_string_lossy().replace('\\', "/");
    let Probe {
        name,
        revchain_feature,
        diesel_feature,
        diesel_async_feature,
        ..
    } = probe;
    fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\n\
             revchain = {{ path = \"{runtime}\", default-features = false, features = [\"{revchain_feature}\"] }}\n\
             diesel = {{ version = \"2.3\", default-features = false, features = [\"{diesel_feature}\"] }}\n\
             diesel-async = {{ version = \"0.9\", features = [\"{diesel_async_feature}\", \"async-connection-wrapper\"] }}\n\n\
             [workspace]\n"
        ),
    )
    .unwrap();
    // The workspace's lockfile pins the versions it already resolved, so
    // that the build can run offline.
    fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("src/main.rs"),
        MAIN_RS.replace("CONNECTION", probe.connection),
    )
    .unwrap();
    copy_dir(&root.join("migrations"), &dir.join("migrations"));

    let mut output = cargo_build(dir, true);
    if !output.status.success() && String::from_utf8_lossy(&output.stderr).contains("offline") {
        output = cargo_build(dir, false);
    }
    assert!(
        output.status.success(),
        "`cargo build` of `{name}` failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    target_dir()
        .join("debug")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
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

/// Checks that the test worker links one of `probe`'s client libraries,
/// that `probe`'s application links no client library at all, and that it
/// migrates a fresh database of its server to head.
fn check(probe: &Probe) {
    // The check finds the client library where it is linked.
    let worker = shared_libraries(Path::new(env!("CARGO_BIN_EXE_revchain-test-worker")));
    assert!(
        probe.client_libraries.iter().any(|l| worker.contains(l)),
        "the test worker links none of {:?}:\n{worker}",
        probe.client_libraries
    );

    let dir = tempfile::Builder::new()
        .prefix("revchain-linking-")
        .tempdir()
        .unwrap();
    let binary = build_application(probe, dir.path());
    let libraries = shared_libraries(&binary);
    for library in ALL_CLIENT_LIBRARIES {
        assert!(
            !libraries.contains(library),
            "`{}` links {library}:\n{libraries}",
            probe.name
        );
    }

    let Some(db) = (probe.database)() else {
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

#[test]
#[cfg(target_os = "linux")]
fn an_application_on_postgres_backend_and_diesel_async_links_no_libpq() {
    check(&POSTGRES);
}

#[test]
#[cfg(target_os = "linux")]
fn an_application_on_mysql_backend_and_diesel_async_links_no_libmysqlclient() {
    check(&MYSQL);
}
