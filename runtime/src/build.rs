//! A one-line helper for build scripts.
//!
//! `embed_revisions!` already makes cargo re-expand it when an embedded file
//! changes, when a revision is deleted, and when `HEAD` changes (which
//! `revchain revision` always does). Only a revision directory added by hand
//! without updating `HEAD` goes unnoticed, and the next build would fail on a
//! stale `HEAD` anyway once anything else triggers it. To have cargo watch the
//! whole directory instead, add a `build.rs`:
//!
//! ```no_run
//! // build.rs
//! # #[allow(clippy::needless_doctest_main)]
//! fn main() {
//!     revchain::build::rerun_if_migrations_changed("migrations");
//! }
//! ```

/// Tells cargo to re-run the build script, and so rebuild the crate, when
/// anything below `dir` (relative to `Cargo.toml`) is added, removed or
/// changed.
pub fn rerun_if_migrations_changed(dir: &str) {
    println!("cargo::rerun-if-changed={dir}");
}
