//! The one implementation of revchain's revision format and chain rules.
//!
//! `embed_revisions!` (at compile time), the `revchain` runtime and the
//! `revchain` command all call [`load`], so a directory is judged by the same
//! code, with the same messages, wherever it is read. This crate depends on
//! std, a TOML parser and (on unix) `libc`'s constants only: no syn, no
//! diesel.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let root = dir.path().join("migrations");
//! # std::fs::create_dir_all(root.join("1_init"))?;
//! # std::fs::write(root.join("1_init/up.sql"), "CREATE TABLE t (id INTEGER);\n")?;
//! # std::fs::write(root.join("HEAD"), "1\n")?;
//! let chain = revchain_internals::load(&root, "migrations")?;
//! assert_eq!(chain.head().map(|r| r.id.as_str()), Some("1"));
//! # Ok(())
//! # }
//! ```

pub mod chain;
mod checksum;
mod defect;
mod discover;
mod excerpt;
mod head;
mod metadata;
mod naming;
mod non_empty;
pub mod packed;
pub mod rebase;
mod sha256;
pub mod sql;
mod suggest;

use std::path::Path;

pub use checksum::{Checksum, chain_digest, normalize_line_endings, revision_checksum};
pub use defect::{Defect, DefectKind, Defects, DefectsIter};
pub use discover::{
    MAX_HEAD_FILE_BYTES, MAX_METADATA_FILE_BYTES, MAX_SQL_FILE_BYTES, allowed_top_level_file,
    is_absent,
};
pub use excerpt::{MAX_SHOWN_CHARS, MAX_SHOWN_DEFECTS, excerpt};
pub use metadata::{METADATA_KEYS, rewrite_parent};
pub use naming::{
    MAX_ID_LEN, default_message, diesel_version, repair_slug, slugify, split_directory_name,
    validate_id,
};
pub use non_empty::{NonEmpty, NonEmptyIter};

use chain::{KnownNodes, Order};
use discover::{FoundRevision, HeadFile, Revisions};

/// One revision of a valid chain, as read from disk.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadedRevision {
    /// The id: the directory name before the first `_`.
    pub id: String,
    /// The directory name after the first `_`.
    pub slug: String,
    /// The directory name, `<id>_<slug>`.
    pub dir_name: String,
    /// The directory as shown in messages, for example
    /// `migrations/2026-11-24-093000_create_users`.
    pub dir: String,
    /// The parent's id; `None` on the root.
    pub parent: Option<String>,
    /// `message` from `metadata.toml`, or else the slug with `_` read as spaces.
    pub message: String,
    /// `run_in_transaction` from `metadata.toml`; `true` when absent.
    pub run_in_transaction: bool,
    /// `up.sql`, byte for byte.
    pub up_sql: String,
    /// `down.sql`, byte for byte; `None` when the revision cannot be reverted.
    pub down_sql: Option<String>,
    /// See [`revision_checksum`].
    pub checksum: Checksum,
    /// See [`chain_digest`].
    pub chain_digest: Checksum,
}

impl LoadedRevision {
    /// The directory-relative path of one of this revision's files, for
    /// messages: `migrations/<dir_name>/<file>`.
    pub fn file(&self, file: &str) -> String {
        discover::join(&self.dir, file)
    }
}

/// The files of one revision directory, read and checked by the rules
/// [`load`] applies inside a revision directory (`up.sql` required, only
/// `up.sql`, `down.sql`, `metadata.toml` and `README*`, UTF-8 SQL, the keys
/// of `metadata.toml`), whatever the directory's name. See
/// [`read_revision_dir`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RevisionFiles {
    /// `up.sql`, byte for byte.
    pub up_sql: String,
    /// `down.sql`, byte for byte, if there is one.
    pub down_sql: Option<String>,
    /// `parent` from `metadata.toml`.
    pub parent: Option<String>,
    /// `message` from `metadata.toml`.
    pub message: Option<String>,
    /// `run_in_transaction` from `metadata.toml`, when it sets it.
    pub run_in_transaction: Option<bool>,
}

/// Reads the SQL file `path` (shown as `shown`) by the rules of every file
/// revchain reads: a regular file (never a FIFO or device, which are
/// refused without blocking), at most [`MAX_SQL_FILE_BYTES`], UTF-8 and
/// without NUL bytes. `revchain import` reads other tools' SQL files with
/// it.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("1_init.sql");
/// std::fs::write(&path, "CREATE TABLE t (id INTEGER);").unwrap();
/// let sql = revchain_internals::read_sql_file(&path, "1_init.sql").unwrap();
/// assert_eq!(sql, "CREATE TABLE t (id INTEGER);");
/// std::fs::write(&path, "SELECT 1;\0").unwrap();
/// assert!(revchain_internals::read_sql_file(&path, "1_init.sql").is_err());
/// ```
pub fn read_sql_file(path: &Path, shown: &str) -> Result<String, Defect> {
    discover::file::read_text(path, shown, discover::file::TextFile::Sql)
}

/// Reads the revision directory `dir`, shown in messages as `shown`, with
/// the rules [`load`] applies to each revision directory; `id` names it in
/// messages. Used to read the migrations of other tools (diesel_migrations
/// uses the same layout) before importing them.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("up.sql"), "CREATE TABLE t (id INTEGER);\n")?;
/// std::fs::write(dir.path().join("metadata.toml"), "run_in_transaction = false\n")?;
/// let files = revchain_internals::read_revision_dir(dir.path(), "1", "migrations/1 x")?;
/// assert_eq!(files.run_in_transaction, Some(false));
/// assert_eq!(files.down_sql, None);
///
/// std::fs::write(dir.path().join("seed.csv"), "1,2\n")?;
/// assert!(revchain_internals::read_revision_dir(dir.path(), "1", "migrations/1 x").is_err());
/// # Ok(())
/// # }
/// ```
pub fn read_revision_dir(dir: &Path, id: &str, shown: &str) -> Result<RevisionFiles, Defects> {
    match discover::read_revision(dir, id, "", "", shown) {
        Ok(found) => Ok(RevisionFiles {
            up_sql: found.up_sql,
            down_sql: found.down_sql,
            parent: found.metadata.parent,
            message: found.metadata.message,
            run_in_transaction: found.metadata.run_in_transaction,
        }),
        Err(incomplete) => Err(incomplete.defects),
    }
}

/// A valid history: one straight line of revisions from the root to the head,
/// with `HEAD` naming the head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    dir: String,
    revisions: Vec<LoadedRevision>,
}

impl Chain {
    /// The migrations directory as shown in messages.
    pub fn dir(&self) -> &str {
        &self.dir
    }

    /// The revisions, from the root to the head.
    pub fn revisions(&self) -> &[LoadedRevision] {
        &self.revisions
    }

    /// The revisions, from the root to the head, taken out of the chain.
    pub fn into_revisions(self) -> Vec<LoadedRevision> {
        self.revisions
    }

    /// The newest revision, or `None` for an empty history.
    pub fn head(&self) -> Option<&LoadedRevision> {
        self.revisions.last()
    }

    /// The revision with this id.
    pub fn get(&self, id: &str) -> Option<&LoadedRevision> {
        self.revisions.iter().find(|revision| revision.id == id)
    }

    /// How many revisions the history holds.
    pub fn len(&self) -> usize {
        self.revisions.len()
    }

    /// Whether the history holds no revision.
    pub fn is_empty(&self) -> bool {
        self.revisions.is_empty()
    }
}

/// Reads the migrations directory `dir` and checks every rule of the revision
/// format. Paths in messages start with `display` (for example `migrations`),
/// never with the absolute path.
///
/// All defects are reported at once, in a stable order: those of the files,
/// then those of the chain, then that of `HEAD`.
pub fn load(dir: &Path, display: &str) -> Result<Chain, Defects> {
    let listing = discover::list(dir, display);
    let head_path = discover::join(display, "HEAD");
    match listing.revisions {
        Revisions::Incomplete { nodes, mut defects } => {
            let linked = chain::link(&nodes);
            defects.extend(linked.defects);
            defects.extend(head::check(
                &listing.head,
                &nodes,
                linked.expected_head.as_deref(),
                &head_path,
            ));
            Err(defects)
        }
        Revisions::Complete(revisions) => {
            let order = order(&revisions, &listing.head, &head_path)?;
            Ok(Chain {
                dir: display.to_owned(),
                revisions: assemble(order.arrange(revisions)),
            })
        }
    }
}

/// Applies the chain rules and the `HEAD` rules to complete revisions: their
/// order from the root to the head, or every rule they break.
fn order(revisions: &[FoundRevision], head: &HeadFile, head_path: &str) -> Result<Order, Defects> {
    let mut nodes = KnownNodes::default();
    for revision in revisions {
        nodes.push(
            revision.id.clone(),
            revision.metadata.parent.clone(),
            revision.dir.clone(),
        );
    }
    let linking = chain::link_known(&nodes);
    let head = head::check(
        head,
        nodes.as_slice(),
        linking.expected_head.as_deref(),
        head_path,
    );
    match (linking.order, head) {
        (Ok(order), None) => Ok(order),
        (Ok(_), Some(defect)) => Err(Defects::one(defect)),
        (Err(mut defects), head) => {
            defects.extend(head);
            Err(defects)
        }
    }
}

/// The revisions of a valid chain, given from the root to the head, with
/// their checksums and chain digests.
fn assemble(found: Vec<FoundRevision>) -> Vec<LoadedRevision> {
    let mut revisions: Vec<LoadedRevision> = Vec::with_capacity(found.len());
    for found in found {
        let checksum = revision_checksum(&found.up_sql);
        let chain_digest = chain_digest(
            revisions.last().map(|r| &r.chain_digest),
            &found.id,
            &checksum,
        );
        let metadata = found.metadata;
        revisions.push(LoadedRevision {
            message: metadata
                .message
                .unwrap_or_else(|| default_message(&found.slug)),
            run_in_transaction: metadata.run_in_transaction.unwrap_or(true),
            parent: metadata.parent,
            id: found.id,
            slug: found.slug,
            dir_name: found.dir_name,
            dir: found.dir,
            up_sql: found.up_sql,
            down_sql: found.down_sql,
            checksum,
            chain_digest,
        });
    }
    revisions
}
