//! Migrations for diesel as one linear chain of revisions.
//!
//! Every revision directory names its parent, and
//! [`embed_revisions!`] refuses, at compile time, a history that is not one
//! straight line. See the README for the directory format.

pub mod build;
mod revisions;

pub use revchain_internals::{Checksum, chain_digest, revision_checksum};
pub use revisions::{Revision, Revisions};

/// Embeds a migrations directory as a [`Revisions`] chain, refusing to compile
/// unless it is one linear chain.
///
/// The path is relative to the calling crate's `Cargo.toml`; with no argument
/// it is `"migrations"`.
///
/// ```
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
/// assert_eq!(REVISIONS.iter().next().and_then(|r| r.parent()), None);
/// ```
///
/// A fork, a missing parent, a second root, a cycle, a duplicate id, a stale
/// `HEAD` file, a malformed `metadata.toml`, a missing `up.sql` or a stray
/// file is a compile error that names the files and says what to change;
/// every defect is reported in one build.
pub use revchain_macros::embed_revisions;

/// What `embed_revisions!` expands to. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::Checksum;
    pub use crate::revisions::{Revision, RevisionParts, Revisions};
}
