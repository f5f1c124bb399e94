//! Results that cannot be written: a full stdout (`/dev/full`) is a failure,
//! exit 1 with one error on stderr; a closed pipe (`revchain history | head
//! -1`) ends the command quietly, exit 0 with nothing on stderr. The same
//! with `--format json`, and for the embedded `db` subcommand.

use std::process::{Command, Stdio};

use crate::{Project, Run};

/// Where the command's stdout goes.
#[derive(Clone, Copy, Debug)]
enum Stdout {
    /// `/dev/full`: every write fails with `ENOSPC`.
    Full,
    /// A pipe whose reader is gone: every write fails with `EPIPE`.
    Closed,
}

impl Stdout {
    fn stdio(self) -> Stdio {
        match self {
            Stdout::Full => std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("opening /dev/full")
                .into(),
            Stdout::Closed => {
                let (reader, writer) = std::io::pipe().expect("a pipe");
                drop(reader);
                writer.into()
            }
        }
    }
}

/// Runs `program ARGS` in `project` with its stdout going to `stdout`.
fn run_to(program: &str, project: &Project, args: &[&str], stdout: Stdout) -> Run {
    let output = Command::new(program)
        .current_dir(project.path())
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout.stdio())
        .stderr(Stdio::piped())
        .output()
        .expect("running the command");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `revchain ARGS`.
fn revchain(project: &Project, args: &[&str], stdout: Stdout) -> Run {
    run_to(
        env!("CARGO_BIN_EXE_revchain-test-cli"),
        project,
        args,
        stdout,
    )
}

/// Runs the application's `db ARGS`.
fn app(project: &Project, args: &[&str], stdout: Stdout) -> Run {
    let args: Vec<&str> = std::iter::once("db").chain(args.iter().copied()).collect();
    run_to(
        env!("CARGO_BIN_EXE_revchain-test-app"),
        project,
        &args,
        stdout,
    )
}

/// Asserts exit 1 and exactly one error on stderr: the failed write, with
/// its cause.
#[track_caller]
fn fails_to_write(run: Run) {
    let run = run
        .code(1)
        .stderr_has("error: cannot write to standard output\n  caused by: No space left on device");
    assert_eq!(run.stderr.matches("error:").count(), 1, "{}", run.stderr);
}

/// Asserts exit 0 and nothing on stderr.
#[track_caller]
fn ends_quietly(run: Run) {
    let run = run.ok();
    assert_eq!(run.stderr, "");
}

/// Commands whose results go to stdout: a script, a listing, JSON.
const COMMANDS: [&[&str]; 4] = [
    &["upgrade", "head", "--sql", "--dialect", "postgres"],
    &["history"],
    &["history", "--format", "json"],
    &["check", "--format", "json"],
];

#[test]
fn a_full_stdout_is_a_failure_told_on_stderr() {
    let project = Project::new();
    for args in COMMANDS {
        fails_to_write(revchain(&project, args, Stdout::Full));
    }
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    let project = Project::new();
    for args in COMMANDS {
        ends_quietly(revchain(&project, args, Stdout::Closed));
    }
}

#[test]
fn the_embedded_command_treats_stdout_the_same() {
    let project = Project::empty();
    fails_to_write(app(&project, &["history"], Stdout::Full));
    fails_to_write(app(
        &project,
        &["upgrade", "--sql", "--dialect", "sqlite"],
        Stdout::Full,
    ));
    ends_quietly(app(&project, &["history"], Stdout::Closed));
    ends_quietly(app(
        &project,
        &["heads", "--format", "json"],
        Stdout::Closed,
    ));
}

#[test]
fn an_error_whose_json_cannot_be_written_is_told_on_stderr() {
    let project = Project::empty();
    let run = revchain(&project, &["history", "--format", "json"], Stdout::Full)
        .code(1)
        .stderr_has("error: the migrations directory `migrations` does not exist");
    assert_eq!(run.stderr.matches("error:").count(), 1, "{}", run.stderr);
    // With the pipe closed, the failure shows in the exit status only.
    let run = revchain(&project, &["history", "--format", "json"], Stdout::Closed).code(1);
    assert_eq!(run.stderr, "");
}

#[test]
fn help_on_a_closed_pipe_or_a_full_stdout() {
    let project = Project::empty();
    ends_quietly(revchain(&project, &["--help"], Stdout::Closed));
    fails_to_write(revchain(&project, &["--help"], Stdout::Full));
}
