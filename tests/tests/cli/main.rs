//! The `revchain` command (`revchain-test-cli`, whose `main` is the
//! binary's) and the same commands embedded in an application
//! (`revchain-test-app db …`), run as processes.
//!
//! Every test runs in its own temporary directory, without `DATABASE_URL`
//! and with `NO_COLOR`, so that nothing of the caller's environment leaks in.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod corrupt;
mod database;
mod embedded;
mod failures;
mod files;
mod import;
mod init_sql;
mod json;
mod listing;
mod lock;
mod output;
mod reading;
mod rebase;
mod revision;
mod schema;
mod secrets;
mod settings;
mod shell;
mod sql;
mod sync;
mod test_command;
mod version_table;

use std::path::{Path, PathBuf};

/// What a process printed, and how it ended.
#[derive(Debug)]
pub struct Run {
    /// The exit status (-1 when killed by a signal).
    pub code: i32,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
}

impl Run {
    /// Asserts the exit status, showing everything printed when it differs.
    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts success.
    #[track_caller]
    pub fn ok(self) -> Self {
        self.code(0)
    }

    /// Asserts that stderr holds `text`.
    #[track_caller]
    pub fn stderr_has(self, text: &str) -> Self {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\n--- stderr\n{}\n--- stdout\n{}",
            self.stderr,
            self.stdout
        );
        self
    }

    /// Asserts that stdout holds `text`.
    #[track_caller]
    pub fn stdout_has(self, text: &str) -> Self {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Runs a prepared command.
pub fn run(command: &mut assert_cmd::Command) -> Run {
    let output = command.output().expect("running the command");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A command with a clean environment, in `dir`.
fn clean(program: &str, dir: &Path) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::new(program);
    command
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1");
    command
}

/// The repository's example history.
pub fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations")
}

/// The ids of the example history, root first.
pub const IDS: [&str; 7] = [
    "2026-01-05-090000",
    "2026-01-12-141500",
    "2026-02-02-103000",
    "2026-02-20-160000",
    "2026-03-09-083000",
    "2026-04-01-120000",
    "2026-05-18-094500",
];

/// The example's head.
pub const HEAD: &str = IDS[6];

/// A working directory holding a copy of the example history in
/// `migrations/`, and room for a SQLite file.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// A copy of the example history.
    pub fn new() -> Self {
        let project = Project::empty();
        copy_dir(&example_dir(), &project.migrations());
        project
    }

    /// No `migrations/` at all.
    pub fn empty() -> Self {
        Project {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// The working directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Its `migrations/`.
    pub fn migrations(&self) -> PathBuf {
        self.path().join("migrations")
    }

    /// `sqlite://<dir>/<name>`.
    pub fn sqlite_url(&self, name: &str) -> String {
        format!("sqlite://{}", self.path().join(name).display())
    }

    /// `revchain` run in this directory.
    pub fn revchain(&self) -> assert_cmd::Command {
        clean(env!("CARGO_BIN_EXE_revchain-test-cli"), self.path())
    }

    /// Runs `revchain ARGS` here.
    pub fn run(&self, args: &[&str]) -> Run {
        run(self.revchain().args(args))
    }

    /// Runs `revchain --database-url URL ARGS` here.
    pub fn run_on(&self, url: &str, args: &[&str]) -> Run {
        run(self.revchain().arg("--database-url").arg(url).args(args))
    }

    /// Runs the application's `db ARGS` here.
    pub fn app(&self, args: &[&str]) -> Run {
        run(self.app_command().arg("db").args(args))
    }

    /// The application, to run here.
    pub fn app_command(&self) -> assert_cmd::Command {
        clean(env!("CARGO_BIN_EXE_revchain-test-app"), self.path())
    }

    /// Adds a revision directory to `migrations/`.
    pub fn add_revision(&self, name: &str, parent: Option<&str>, up_sql: &str) {
        let dir = self.migrations().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("up.sql"), up_sql).unwrap();
        std::fs::write(dir.join("down.sql"), "-- nothing\n").unwrap();
        if let Some(parent) = parent {
            std::fs::write(
                dir.join("metadata.toml"),
                format!("parent = \"{parent}\"\n"),
            )
            .unwrap();
        }
    }

    /// Writes `migrations/HEAD`.
    pub fn set_head(&self, id: &str) {
        std::fs::write(self.migrations().join("HEAD"), format!("{id}\n")).unwrap();
    }

    /// A fork: two revisions on top of the head, `HEAD` naming one.
    pub fn fork(&self) {
        self.add_revision("2026-06-01-000000_add_bio", Some(HEAD), "SELECT 1;\n");
        self.add_revision("2026-06-02-000000_add_avatar", Some(HEAD), "SELECT 2;\n");
        self.set_head("2026-06-02-000000");
    }

    /// Every file under `migrations/`, with its contents, to show that a
    /// command wrote nothing.
    pub fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut files = Vec::new();
        collect(&self.migrations(), &mut files);
        files.sort();
        files
    }
}

impl Default for Project {
    fn default() -> Self {
        Project::new()
    }
}

fn collect(dir: &Path, files: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.push((path.clone(), Vec::new()));
            collect(&path, files);
        } else {
            files.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
}

/// Every file under `dir`, with its path relative to `dir` and its bytes,
/// sorted: to compare two directories.
pub fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    collect(dir, &mut files);
    let mut files: Vec<_> = files
        .into_iter()
        .filter(|(path, _)| path.is_file())
        .map(|(path, bytes)| (path.strip_prefix(dir).unwrap().to_path_buf(), bytes))
        .collect();
    files.sort();
    files
}

/// Copies the directory `from` to `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Replaces the durations of progress lines, `(1.2 ms)`, with `(…)`.
pub fn without_durations(text: &str) -> String {
    text.lines()
        .map(|line| match line.rfind(" (") {
            Some(at) if line.ends_with(" ms)") || line.ends_with(" s)") => {
                format!("{} (…)", &line[..at])
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The progress lines of an upgrade from `from` (exclusive) to `to`
/// (inclusive), positions in [`IDS`], without durations.
pub fn upgrade_lines(from: Option<usize>, to: usize) -> String {
    let messages = [
        "create users",
        "create posts, each written by a user",
        "add email to users",
        "create tags and the tags of each post",
        "create comments on posts",
        "release 1.0 (placeholder, no statement)",
        "add published_at to posts",
    ];
    let first = from.map_or(0, |f| f + 1);
    (first..=to)
        .map(|p| {
            let parent = if p == 0 { "<base>" } else { IDS[p - 1] };
            format!(
                "Running upgrade {parent} -> {}, {} (…)",
                IDS[p], messages[p]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
