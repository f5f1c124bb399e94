//! Cargo re-expands `embed_revisions!` when the migrations directory changes,
//! with no other change to the crate: each test builds a small crate that
//! embeds its `migrations` and prints them, edits the directory, and runs it
//! again.
//!
//! The crates share one target directory, `<target>/rebuild-test`, so that
//! revchain and its dependencies are compiled once. Each crate has its own
//! package name, so that tests running at once do not overwrite each other's
//! binary.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use tempfile::TempDir;

/// The crate under test: prints one line per embedded revision.
const MAIN_RS: &str = r#"static REVISIONS: revchain::Revisions = revchain::embed_revisions!("migrations");

fn main() {
    for revision in &REVISIONS {
        println!("{} {}", revision.id(), revision.checksum());
    }
}
"#;

/// The build script the documentation of `revchain::build` shows.
const BUILD_RS: &str = r#"fn main() {
    revchain::build::rerun_if_migrations_changed("migrations");
}
"#;

struct Probe {
    dir: TempDir,
    name: String,
    /// Whether `cargo` may use the network; set when an `--offline` build
    /// could not resolve the dependencies.
    online: bool,
}

/// One revision printed by the probe: its id and checksum.
#[derive(Debug, PartialEq, Eq)]
struct Printed {
    id: String,
    checksum: String,
}

impl Probe {
    /// A crate named `revchain-rebuild-<name>` with the revisions `1` and `2`,
    /// and `build.rs` if `with_build_script`.
    fn new(name: &str, with_build_script: bool) -> io::Result<Probe> {
        let dir = tempfile::Builder::new()
            .prefix("revchain-rebuild-")
            .tempdir()?;
        let runtime = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime");
        let runtime = runtime.canonicalize()?;
        let runtime = runtime.to_string_lossy().replace('\\', "/");
        let name = format!("revchain-rebuild-{name}");
        let build_dependencies = if with_build_script {
            format!(
                "\n[build-dependencies]\nrevchain = {{ path = \"{runtime}\", default-features = false }}\n"
            )
        } else {
            String::new()
        };
        fs::write(
            dir.path().join("Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
                 [dependencies]\nrevchain = {{ path = \"{runtime}\", default-features = false }}\n\
                 {build_dependencies}\n[workspace]\n"
            ),
        )?;
        // The workspace's lockfile pins the versions it already resolved, so
        // that the build can run offline.
        let lockfile = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
        if lockfile.exists() {
            fs::copy(lockfile, dir.path().join("Cargo.lock"))?;
        }
        fs::create_dir_all(dir.path().join("src"))?;
        fs::write(dir.path().join("src/main.rs"), MAIN_RS)?;
        if with_build_script {
            fs::write(dir.path().join("build.rs"), BUILD_RS)?;
        }
        let probe = Probe {
            dir,
            name,
            online: false,
        };
        probe.write_revision("1_create_users", None, "CREATE TABLE users (id INTEGER);\n")?;
        probe.write_revision(
            "2_create_posts",
            Some("1"),
            "CREATE TABLE posts (id INTEGER);\n",
        )?;
        probe.write_head("2")?;
        Ok(probe)
    }

    fn migrations(&self) -> PathBuf {
        self.dir.path().join("migrations")
    }

    fn write_revision(&self, dir_name: &str, parent: Option<&str>, up_sql: &str) -> io::Result<()> {
        let dir = self.migrations().join(dir_name);
        fs::create_dir_all(&dir)?;
        if let Some(parent) = parent {
            self.write(
                &dir.join("metadata.toml"),
                &format!("parent = \"{parent}\"\n"),
            )?;
        }
        self.write(&dir.join("up.sql"), up_sql)
    }

    fn write_head(&self, id: &str) -> io::Result<()> {
        self.write(&self.migrations().join("HEAD"), &format!("{id}\n"))
    }

    /// Writes a file, then makes sure its modification time is later than
    /// the last build: cargo rebuilds only for files newer than its outputs,
    /// and a coarse file system clock could give both the same time.
    fn write(&self, path: &Path, contents: &str) -> io::Result<()> {
        fs::write(path, contents)?;
        self.mark_newer_than_last_build(path)
    }

    fn mark_newer_than_last_build(&self, path: &Path) -> io::Result<()> {
        let Ok(built) = fs::metadata(self.binary()).and_then(|m| m.modified()) else {
            return Ok(()); // not built yet
        };
        let modified = fs::metadata(path)?.modified()?;
        if modified <= built {
            let later = built + Duration::from_secs(1);
            fs::File::options()
                .write(true)
                .open(path)?
                .set_modified(later.max(SystemTime::now()))?;
        }
        Ok(())
    }

    fn target_dir() -> PathBuf {
        // CARGO_TARGET_TMPDIR is `<target>/tmp`.
        Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("..")
            .join("rebuild-test")
    }

    fn binary(&self) -> PathBuf {
        Self::target_dir().join("debug").join(format!(
            "{}{}",
            self.name,
            std::env::consts::EXE_SUFFIX
        ))
    }

    /// `cargo run`, offline unless an offline build failed to resolve.
    fn cargo_run(&mut self) -> io::Result<Output> {
        if !self.online {
            let output = self.cargo_run_with(true)?;
            let stderr = String::from_utf8_lossy(&output.stderr);
            if output.status.success() || !stderr.contains("offline") {
                return Ok(output);
            }
            self.online = true;
        }
        self.cargo_run_with(false)
    }

    fn cargo_run_with(&self, offline: bool) -> io::Result<Output> {
        let mut command = Command::new(env!("CARGO"));
        command
            .arg("run")
            .arg("--quiet")
            .current_dir(self.dir.path())
            .env("CARGO_TARGET_DIR", Self::target_dir())
            .env_remove("CARGO_BUILD_TARGET_DIR")
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS");
        if offline {
            command.arg("--offline");
        }
        command.output()
    }

    /// Builds and runs the probe, which must succeed, and returns what it
    /// printed.
    fn run(&mut self) -> io::Result<Vec<Printed>> {
        let output = self.cargo_run()?;
        assert!(
            output.status.success(),
            "`cargo run` failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| {
                let (id, checksum) = line.split_once(' ').unwrap_or((line, ""));
                Printed {
                    id: id.to_owned(),
                    checksum: checksum.to_owned(),
                }
            })
            .collect())
    }

    /// Builds the probe, which must fail, and returns cargo's error output.
    fn run_failing(&mut self) -> io::Result<String> {
        let output = self.cargo_run()?;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            !output.status.success(),
            "`cargo run` succeeded, printing:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
        Ok(stderr)
    }
}

fn ids(printed: &[Printed]) -> Vec<&str> {
    printed.iter().map(|p| p.id.as_str()).collect()
}

#[test]
fn adding_a_revision_and_updating_head_is_picked_up_by_the_next_build() {
    let mut probe = Probe::new("add", false).unwrap();
    assert_eq!(ids(&probe.run().unwrap()), ["1", "2"]);

    probe
        .write_revision(
            "3_create_tags",
            Some("2"),
            "CREATE TABLE tags (id INTEGER);\n",
        )
        .unwrap();
    probe.write_head("3").unwrap();
    let printed = probe.run().unwrap();
    assert_eq!(ids(&printed), ["1", "2", "3"]);
    assert_eq!(
        printed[2].checksum,
        revchain::revision_checksum("CREATE TABLE tags (id INTEGER);\n").to_string()
    );
}

#[test]
fn editing_an_up_sql_changes_the_checksum_of_the_next_build() {
    let mut probe = Probe::new("edit", false).unwrap();
    let before = probe.run().unwrap();
    assert_eq!(ids(&before), ["1", "2"]);
    assert_eq!(
        before[1].checksum,
        revchain::revision_checksum("CREATE TABLE posts (id INTEGER);\n").to_string()
    );

    let edited = "CREATE TABLE posts (id INTEGER, title TEXT);\n";
    probe
        .write(&probe.migrations().join("2_create_posts/up.sql"), edited)
        .unwrap();
    let after = probe.run().unwrap();
    assert_eq!(ids(&after), ["1", "2"]);
    assert_eq!(
        after[0], before[0],
        "the untouched revision keeps its checksum"
    );
    assert_ne!(after[1].checksum, before[1].checksum);
    assert_eq!(
        after[1].checksum,
        revchain::revision_checksum(edited).to_string()
    );
}

#[test]
fn deleting_the_head_revision_and_resetting_head_removes_it_from_the_next_build() {
    let mut probe = Probe::new("delete", false).unwrap();
    probe
        .write_revision(
            "3_create_tags",
            Some("2"),
            "CREATE TABLE tags (id INTEGER);\n",
        )
        .unwrap();
    probe.write_head("3").unwrap();
    assert_eq!(ids(&probe.run().unwrap()), ["1", "2", "3"]);

    fs::remove_dir_all(probe.migrations().join("3_create_tags")).unwrap();
    probe.write_head("2").unwrap();
    assert_eq!(ids(&probe.run().unwrap()), ["1", "2"]);
}

#[test]
fn without_the_build_script_a_directory_added_without_touching_head_goes_unnoticed() {
    // What `revchain::build` documents, and the reason it exists.
    let mut probe = Probe::new("unnoticed", false).unwrap();
    assert_eq!(ids(&probe.run().unwrap()), ["1", "2"]);

    probe
        .write_revision(
            "3_create_tags",
            Some("2"),
            "CREATE TABLE tags (id INTEGER);\n",
        )
        .unwrap();
    assert_eq!(
        ids(&probe.run().unwrap()),
        ["1", "2"],
        "the crate was not rebuilt"
    );
}

#[test]
fn with_the_build_script_a_directory_added_without_touching_head_fails_on_the_stale_head() {
    let mut probe = Probe::new("build-script", true).unwrap();
    assert_eq!(ids(&probe.run().unwrap()), ["1", "2"]);

    probe
        .write_revision(
            "3_create_tags",
            Some("2"),
            "CREATE TABLE tags (id INTEGER);\n",
        )
        .unwrap();
    let stderr = probe.run_failing().unwrap();
    assert!(
        stderr.contains("`migrations/HEAD` names `2`, but the head of the chain is `3`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("write `3` in `migrations/HEAD`"),
        "{stderr}"
    );
}
