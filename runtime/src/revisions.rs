//! The embedded chain: [`Revisions`] and each [`Revision`] in it.

use std::fmt;

use crate::Checksum;

/// One revision of an embedded chain.
///
/// ```
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
///
/// let root = REVISIONS.iter().next().unwrap();
/// assert_eq!(root.parent(), None);
/// assert!(root.up_sql().contains("CREATE TABLE"));
/// ```
pub struct Revision {
    parts: RevisionParts,
}

/// The fields of a [`Revision`], as `embed_revisions!` writes them. Not part
/// of the public API.
#[doc(hidden)]
pub struct RevisionParts {
    pub id: &'static str,
    pub parent: Option<&'static str>,
    pub message: &'static str,
    pub dir: &'static str,
    pub up_sql: &'static str,
    pub down_sql: Option<&'static str>,
    pub run_in_transaction: bool,
    pub checksum: Checksum,
    pub chain_digest: Checksum,
}

impl Revision {
    #[doc(hidden)]
    pub const fn __new(parts: RevisionParts) -> Self {
        Revision { parts }
    }

    /// The id: the directory name before the first `_`.
    pub fn id(&self) -> &'static str {
        self.parts.id
    }

    /// The parent's id, or `None` for the root.
    pub fn parent(&self) -> Option<&'static str> {
        self.parts.parent
    }

    /// `message` from `metadata.toml`, or the directory's slug with `_` read
    /// as spaces.
    pub fn message(&self) -> &'static str {
        self.parts.message
    }

    /// The revision directory as it was named at compile time, relative to the
    /// crate, such as `migrations/2026-11-24-093000_create_users`.
    pub fn dir(&self) -> &'static str {
        self.parts.dir
    }

    /// The path of one of the revision's files, for messages:
    /// `<dir>/up.sql` and so on.
    pub fn file(&self, name: &str) -> String {
        format!("{}/{name}", self.parts.dir)
    }

    /// The contents of `up.sql`, byte for byte.
    pub fn up_sql(&self) -> &'static str {
        self.parts.up_sql
    }

    /// The contents of `down.sql`, or `None` if the revision cannot be
    /// reverted.
    pub fn down_sql(&self) -> Option<&'static str> {
        self.parts.down_sql
    }

    /// Whether the revision runs inside a transaction (`run_in_transaction`,
    /// diesel's key in `metadata.toml`; `true` unless set to `false`).
    pub fn run_in_transaction(&self) -> bool {
        self.parts.run_in_transaction
    }

    /// SHA-256 of `up.sql` with CRLF line endings read as LF; see
    /// [`revision_checksum`](crate::revision_checksum).
    pub fn checksum(&self) -> Checksum {
        self.parts.checksum
    }

    /// The digest of the chain from the root up to this revision; see
    /// [`chain_digest`](crate::chain_digest).
    pub fn chain_digest(&self) -> Checksum {
        self.parts.chain_digest
    }
}

impl fmt::Debug for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Revision")
            .field("id", &self.parts.id)
            .field("parent", &self.parts.parent)
            .field("message", &self.parts.message)
            .field("dir", &self.parts.dir)
            .field("run_in_transaction", &self.parts.run_in_transaction)
            .field("checksum", &self.parts.checksum)
            .finish_non_exhaustive()
    }
}

/// A linear chain of revisions, from the root to the head, as embedded by
/// [`embed_revisions!`](crate::embed_revisions).
///
/// ```
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
///
/// let head = REVISIONS.head().unwrap();
/// assert_eq!(REVISIONS.get(head.id()).map(|r| r.id()), Some(head.id()));
/// assert_eq!(REVISIONS.iter().last().map(|r| r.id()), Some(head.id()));
/// assert!(REVISIONS.len() >= 6);
/// ```
pub struct Revisions {
    revisions: &'static [Revision],
    by_id: &'static [u32],
}

impl Revisions {
    #[doc(hidden)]
    pub const fn __new(revisions: &'static [Revision], by_id: &'static [u32]) -> Self {
        Revisions { revisions, by_id }
    }

    /// How many revisions the chain holds.
    pub fn len(&self) -> usize {
        self.revisions.len()
    }

    /// Whether the chain is empty.
    pub fn is_empty(&self) -> bool {
        self.revisions.is_empty()
    }

    /// The revisions from the root to the head.
    pub fn iter(&self) -> std::slice::Iter<'static, Revision> {
        self.revisions.iter()
    }

    /// The revisions from the root to the head, as a slice.
    pub fn as_slice(&self) -> &'static [Revision] {
        self.revisions
    }

    /// The newest revision, or `None` for an empty chain.
    pub fn head(&self) -> Option<&'static Revision> {
        self.revisions.last()
    }

    /// The revision with exactly this id, found by binary search.
    pub fn get(&self, id: &str) -> Option<&'static Revision> {
        self.position(id).map(|index| &self.revisions[index])
    }

    /// The position of the revision with this id, counting from the root at 0.
    pub fn position(&self, id: &str) -> Option<usize> {
        let revisions = self.revisions;
        self.by_id
            .binary_search_by(|&index| revisions[index as usize].id().cmp(id))
            .ok()
            .map(|found| self.by_id[found] as usize)
    }
}

impl Revisions {
    /// Reads and checks a migrations directory at run time, with the same
    /// code and messages as `embed_revisions!` at compile time, and keeps the
    /// chain for the rest of the process (its memory is never freed, like
    /// the embedded chain's). Paths in messages start with `display`.
    ///
    /// This is what the `revchain` command uses for `--dir`.
    ///
    /// ```
    /// let revisions = revchain::Revisions::load(std::path::Path::new("../migrations"), "migrations").unwrap();
    /// assert!(revisions.head().unwrap().dir().starts_with("migrations/"));
    /// ```
    pub fn load(
        dir: &std::path::Path,
        display: &str,
    ) -> Result<&'static Revisions, revchain_internals::Defects> {
        let chain = revchain_internals::load(dir, display)?;
        let leak = |text: String| -> &'static str { Box::leak(text.into_boxed_str()) };
        let revisions: Vec<Revision> = chain
            .revisions()
            .iter()
            .map(|loaded| {
                Revision::__new(RevisionParts {
                    id: leak(loaded.id.clone()),
                    parent: loaded.parent.clone().map(leak),
                    message: leak(loaded.message.clone()),
                    dir: leak(loaded.dir.clone()),
                    up_sql: leak(loaded.up_sql.clone()),
                    down_sql: loaded.down_sql.clone().map(leak),
                    run_in_transaction: loaded.run_in_transaction,
                    checksum: loaded.checksum,
                    chain_digest: loaded.chain_digest,
                })
            })
            .collect();
        let revisions: &'static [Revision] = Box::leak(revisions.into_boxed_slice());
        let mut by_id: Vec<u32> = (0..revisions.len() as u32).collect();
        by_id.sort_by(|a, b| revisions[*a as usize].id().cmp(revisions[*b as usize].id()));
        let by_id: &'static [u32] = Box::leak(by_id.into_boxed_slice());
        Ok(Box::leak(Box::new(Revisions::__new(revisions, by_id))))
    }
}

impl IntoIterator for &Revisions {
    type Item = &'static Revision;
    type IntoIter = std::slice::Iter<'static, Revision>;

    fn into_iter(self) -> Self::IntoIter {
        self.revisions.iter()
    }
}

impl fmt::Debug for Revisions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.revisions.iter().map(Revision::id))
            .finish()
    }
}
