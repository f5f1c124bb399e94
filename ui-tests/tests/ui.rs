//! Compile-error tests of `embed_revisions!`: one case per defect under
//! `ui/chain/`, named after it, each with its own broken fixture directory
//! `ui/chain/<case>/migrations`, and passing cases under `ui/pass/`. The
//! misuses of `#[revchain::test]` (its arguments and the function's
//! signature) are under `ui/test_attr/`, one case per defect and one with
//! all at once; the forms it accepts are `ui/pass/test_attr.rs`.
//!
//! trybuild compiles the cases in a crate of its own under
//! `target/tests/trybuild/revchain-ui-tests`, whose `CARGO_MANIFEST_DIR` the
//! macro resolves paths against. The fixtures are copied there first, so the
//! cases name them by the same relative path (`ui/chain/fork/migrations`)
//! that the messages show.
//!
//! Some fixtures cannot be plain copies: `ui/pass/empty_directory/migrations`
//! is empty, which git cannot keep, so it is created here;
//! `ui/pass/default_path/migrations` is also copied to the project's own
//! `migrations`, the directory `embed_revisions!()` reads without an
//! argument; and the FIFO `HEAD` of `ui/chain/head_fifo` and the dangling
//! `up.sql` link of `ui/chain/dangling_link` are made here (with `mkfifo`
//! and a symbolic link: these tests run on unix).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn trybuild_project_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is `<target>/tmp`; trybuild builds in
    // `<target>/tests/trybuild/<crate name>`.
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("..")
        .join("tests")
        .join("trybuild")
        .join(env!("CARGO_PKG_NAME"))
}

/// The fixtures git cannot keep: a FIFO and a dangling symbolic link.
fn special_files(copied: &Path) -> io::Result<()> {
    let fifo = copied.join("chain/head_fifo/migrations/HEAD");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status()?;
    if !made.success() {
        return Err(io::Error::other(format!(
            "mkfifo {}: {made}",
            fifo.display()
        )));
    }
    std::os::unix::fs::symlink(
        "gone.sql",
        copied.join("chain/dangling_link/migrations/1_init/up.sql"),
    )
}

#[test]
fn ui() {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = trybuild_project_dir();
    let copied = project.join("ui");
    if copied.exists() {
        fs::remove_dir_all(&copied).expect("old fixtures can be removed");
    }
    copy_tree(&manifest_dir.join("ui"), &copied).expect("fixtures can be copied");
    fs::create_dir_all(copied.join("pass/empty_directory/migrations"))
        .expect("the empty fixture directory can be created");
    let default_dir = project.join("migrations");
    if default_dir.exists() {
        fs::remove_dir_all(&default_dir).expect("the old default directory can be removed");
    }
    copy_tree(
        &manifest_dir.join("ui/pass/default_path/migrations"),
        &default_dir,
    )
    .expect("the default-path fixture can be copied");

    special_files(&copied).expect("the FIFO and the link fixtures can be made");

    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/chain/*.rs");
    cases.compile_fail("ui/test_attr/*.rs");
}
