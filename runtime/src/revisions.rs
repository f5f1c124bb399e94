//! The chain: [`Revisions`] and each [`Revision`] in it.
//!
//! `embed_revisions!` writes the chain in its packed form
//! (`revchain_internals::packed`): the SQL as one string and a compact index.
//! It is read back into [`Revision`]s the first time it is used, once per
//! process, into the `static` the macro declares. Checksums are computed
//! from the embedded SQL the first time one is asked for; the head's chain
//! digest is embedded, so that
//! [`Migrator::is_at_head`](crate::Migrator::is_at_head) hashes nothing.
//!
//! [`Revisions::load`] reads a directory at run time into a chain that owns
//! its memory and frees it when the last clone is dropped.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use revchain_internals::{LoadedRevision, packed};

use crate::Checksum;

/// One revision of a chain.
///
/// ```
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
///
/// let root = REVISIONS.iter().next().unwrap();
/// assert_eq!(root.parent(), None);
/// assert!(root.up_sql().contains("CREATE TABLE"));
/// ```
pub struct Revision {
    id: String,
    parent: Option<String>,
    message: String,
    dir: String,
    /// Borrowed from the binary for an embedded chain, owned for a loaded
    /// one.
    up_sql: Cow<'static, str>,
    down_sql: Option<Cow<'static, str>>,
    run_in_transaction: bool,
    digests: Digests,
}

/// Where a revision's checksum and chain digest come from.
enum Digests {
    /// An embedded chain's: computed for the whole chain on first use.
    Embedded {
        chain: &'static Shared,
        position: usize,
    },
    /// A loaded chain's: computed when the directory was read.
    Known {
        checksum: Checksum,
        chain_digest: Checksum,
    },
}

impl Revision {
    /// The id: the directory name before the first `_`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The parent's id, or `None` for the root.
    pub fn parent(&self) -> Option<&str> {
        self.parent.as_deref()
    }

    /// `message` from `metadata.toml`, or the directory's slug with `_` read
    /// as spaces.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The revision directory as it was named at compile time, relative to the
    /// crate, such as `migrations/2026-11-24-093000_create_users`.
    pub fn dir(&self) -> &str {
        &self.dir
    }

    /// The path of one of the revision's files, for messages:
    /// `<dir>/up.sql` and so on.
    pub fn file(&self, name: &str) -> String {
        format!("{}/{name}", self.dir)
    }

    /// The contents of `up.sql`, byte for byte.
    pub fn up_sql(&self) -> &str {
        &self.up_sql
    }

    /// The contents of `down.sql`, or `None` if the revision cannot be
    /// reverted.
    pub fn down_sql(&self) -> Option<&str> {
        self.down_sql.as_deref()
    }

    /// Whether the revision runs inside a transaction (`run_in_transaction`,
    /// diesel's key in `metadata.toml`; `true` unless set to `false`).
    pub fn run_in_transaction(&self) -> bool {
        self.run_in_transaction
    }

    /// SHA-256 of `up.sql` with CRLF line endings read as LF; see
    /// [`revision_checksum`](crate::revision_checksum).
    ///
    /// The first call on an embedded chain hashes every revision's `up.sql`
    /// once.
    pub fn checksum(&self) -> Checksum {
        match &self.digests {
            Digests::Embedded { chain, position } => chain.digests()[*position].0,
            Digests::Known { checksum, .. } => *checksum,
        }
    }

    /// The digest of the chain from the root up to this revision; see
    /// [`chain_digest`](crate::chain_digest).
    ///
    /// An embedded head's is embedded; the first call for another revision
    /// of an embedded chain hashes every revision's `up.sql` once.
    pub fn chain_digest(&self) -> Checksum {
        match &self.digests {
            Digests::Embedded { chain, position } => match chain.head_digest() {
                Some(digest) if position + 1 == chain.revisions().len() => digest,
                _ => chain.digests()[*position].1,
            },
            Digests::Known { chain_digest, .. } => *chain_digest,
        }
    }
}

/// A revision as a database's log records it: what `sync` needs to revert
/// it, where the binary may no longer have it.
pub(crate) struct Recorded {
    pub(crate) id: String,
    pub(crate) parent: Option<String>,
    pub(crate) message: String,
    pub(crate) dir: String,
    pub(crate) down_sql: Option<String>,
    pub(crate) run_in_transaction: bool,
    pub(crate) checksum: Checksum,
    pub(crate) chain_digest: Checksum,
}

impl From<Recorded> for Revision {
    fn from(recorded: Recorded) -> Self {
        Revision {
            id: recorded.id,
            parent: recorded.parent,
            message: recorded.message,
            dir: recorded.dir,
            up_sql: Cow::Borrowed(""),
            down_sql: recorded.down_sql.map(Cow::Owned),
            run_in_transaction: recorded.run_in_transaction,
            digests: Digests::Known {
                checksum: recorded.checksum,
                chain_digest: recorded.chain_digest,
            },
        }
    }
}

impl fmt::Debug for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Revision")
            .field("id", &self.id)
            .field("parent", &self.parent)
            .field("message", &self.message)
            .field("dir", &self.dir)
            .field("run_in_transaction", &self.run_in_transaction)
            .finish_non_exhaustive()
    }
}

/// The revisions of a chain, and their positions sorted by id.
struct Indexed {
    revisions: Box<[Revision]>,
    /// Positions sorted by id, for [`Revisions::get`].
    by_id: Box<[usize]>,
}

impl Indexed {
    fn new(revisions: Vec<Revision>) -> Self {
        let mut by_id: Vec<usize> = (0..revisions.len()).collect();
        by_id.sort_by(|&a, &b| revisions[a].id.cmp(&revisions[b].id));
        Indexed {
            revisions: revisions.into_boxed_slice(),
            by_id: by_id.into_boxed_slice(),
        }
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.by_id
            .binary_search_by(|&index| self.revisions[index].id.as_str().cmp(id))
            .ok()
            .map(|found| self.by_id[found])
    }
}

/// An embedded chain once unpacked, in the `static` of its
/// `embed_revisions!`: the revisions point back to it for their checksums.
struct Shared {
    /// The revisions, and the head's chain digest.
    unpacked: OnceLock<(Indexed, Option<Checksum>)>,
    /// `(checksum, chain digest)` of every revision, computed when first
    /// needed.
    digests: OnceLock<Box<[(Checksum, Checksum)]>>,
}

impl Shared {
    fn revisions(&self) -> &[Revision] {
        self.unpacked
            .get()
            .map_or(&[], |(indexed, _)| &indexed.revisions)
    }

    fn head_digest(&self) -> Option<Checksum> {
        self.unpacked.get().and_then(|(_, digest)| *digest)
    }

    fn digests(&self) -> &[(Checksum, Checksum)] {
        self.digests.get_or_init(|| {
            let mut previous: Option<Checksum> = None;
            self.revisions()
                .iter()
                .map(|revision| {
                    let checksum = revchain_internals::revision_checksum(&revision.up_sql);
                    let digest = revchain_internals::chain_digest(
                        previous.as_ref(),
                        &revision.id,
                        &checksum,
                    );
                    previous = Some(digest);
                    (checksum, digest)
                })
                .collect()
        })
    }
}

/// A chain as `embed_revisions!` writes it into the binary, read back on
/// first use. Not part of the public API.
#[doc(hidden)]
pub struct EmbeddedChain {
    text: &'static str,
    index: &'static [u8],
    shared: Shared,
}

impl EmbeddedChain {
    #[doc(hidden)]
    pub const fn new(text: &'static str, index: &'static [u8]) -> Self {
        EmbeddedChain {
            text,
            index,
            shared: Shared {
                unpacked: OnceLock::new(),
                digests: OnceLock::new(),
            },
        }
    }

    fn indexed(&'static self) -> &'static Indexed {
        let shared = &self.shared;
        let (indexed, _) = shared.unpacked.get_or_init(|| {
            match packed::unpack(self.text, self.index) {
                Ok(chain) => {
                    let revisions = chain
                        .revisions
                        .into_iter()
                        .enumerate()
                        .map(|(position, revision)| Revision {
                            id: revision.id,
                            parent: revision.parent,
                            message: revision.message,
                            dir: revision.dir,
                            up_sql: Cow::Borrowed(revision.up_sql),
                            down_sql: revision.down_sql.map(Cow::Borrowed),
                            run_in_transaction: revision.run_in_transaction,
                            digests: Digests::Embedded {
                                chain: shared,
                                position,
                            },
                        })
                        .collect();
                    (Indexed::new(revisions), chain.head_digest)
                }
                // `embed_revisions!` unpacks what it writes before writing
                // it, and `revchain` pins the exact `revchain-macros`
                // version, so the two cannot disagree: this is a bug in
                // revchain.
                #[allow(clippy::panic)]
                Err(error) => panic!("{error}"),
            }
        });
        indexed
    }
}

/// A linear chain of revisions, from the root to the head, as embedded by
/// [`embed_revisions!`](crate::embed_revisions) or read by
/// [`Revisions::load`].
///
/// Declare an embedded chain as a `static` (or a `const`, as diesel's
/// documentation does for `embed_migrations!`: both work, and the chain is
/// read once per process either way). Cloning a chain is cheap: the
/// revisions are shared.
///
/// ```
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
///
/// let head = REVISIONS.head().unwrap();
/// assert_eq!(REVISIONS.get(head.id()).map(|r| r.id()), Some(head.id()));
/// assert_eq!(REVISIONS.iter().last().map(|r| r.id()), Some(head.id()));
/// assert!(REVISIONS.len() >= 6);
/// ```
#[derive(Clone)]
pub struct Revisions {
    /// Public only for `embed_revisions!`'s expansion, which builds the
    /// value in place so that a `const` of it can be borrowed for
    /// `'static`. Not public API.
    #[doc(hidden)]
    pub __source: Source,
}

/// Where a [`Revisions`] comes from. Not public API.
#[doc(hidden)]
#[derive(Clone)]
pub enum Source {
    /// `embed_revisions!`: a function returning the chain's `static`, so
    /// that the expansion also works in a `const`.
    Embedded(fn() -> &'static EmbeddedChain),
    /// [`Revisions::load`].
    Loaded(Arc<LoadedChain>),
    /// [`Revisions::empty`].
    Empty,
}

/// A chain [`Revisions::load`] read. Not public API.
#[doc(hidden)]
pub struct LoadedChain(Indexed);

impl Revisions {
    /// A chain without any revision.
    ///
    /// ```
    /// assert!(revchain::Revisions::empty().head().is_none());
    /// ```
    pub const fn empty() -> Self {
        Revisions {
            __source: Source::Empty,
        }
    }

    fn indexed(&self) -> Option<&Indexed> {
        match &self.__source {
            Source::Embedded(chain) => Some(chain().indexed()),
            Source::Loaded(loaded) => Some(&loaded.0),
            Source::Empty => None,
        }
    }

    /// How many revisions the chain holds.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether the chain is empty.
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// The revisions from the root to the head.
    pub fn iter(&self) -> std::slice::Iter<'_, Revision> {
        self.as_slice().iter()
    }

    /// The revisions from the root to the head, as a slice.
    pub fn as_slice(&self) -> &[Revision] {
        self.indexed().map_or(&[], |indexed| &indexed.revisions)
    }

    /// The newest revision, or `None` for an empty chain.
    pub fn head(&self) -> Option<&Revision> {
        self.as_slice().last()
    }

    /// The revision with exactly this id, found by binary search.
    pub fn get(&self, id: &str) -> Option<&Revision> {
        self.position(id).map(|index| &self.as_slice()[index])
    }

    /// The position of the revision with this id, counting from the root at 0.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.indexed()?.position(id)
    }

    /// A chain of revisions built by revchain itself, such as what a
    /// database's log says it applied (`sync`).
    pub(crate) fn owned(revisions: Vec<Revision>) -> Revisions {
        Revisions {
            __source: Source::Loaded(Arc::new(LoadedChain(Indexed::new(revisions)))),
        }
    }

    /// Reads and checks a migrations directory at run time, with the same
    /// code and messages as `embed_revisions!` at compile time. Paths in
    /// messages start with `display`. The chain owns what it read, and frees
    /// it when the last clone is dropped.
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
    ) -> Result<Revisions, revchain_internals::Defects> {
        let revisions = revchain_internals::load(dir, display)?
            .into_revisions()
            .into_iter()
            .map(|loaded: LoadedRevision| Revision {
                id: loaded.id,
                parent: loaded.parent,
                message: loaded.message,
                dir: loaded.dir,
                up_sql: Cow::Owned(loaded.up_sql),
                down_sql: loaded.down_sql.map(Cow::Owned),
                run_in_transaction: loaded.run_in_transaction,
                digests: Digests::Known {
                    checksum: loaded.checksum,
                    chain_digest: loaded.chain_digest,
                },
            })
            .collect();
        Ok(Revisions {
            __source: Source::Loaded(Arc::new(LoadedChain(Indexed::new(revisions)))),
        })
    }
}

impl<'a> IntoIterator for &'a Revisions {
    type Item = &'a Revision;
    type IntoIter = std::slice::Iter<'a, Revision>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl fmt::Debug for Revisions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(Revision::id))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use std::sync::Arc;

    use super::{Revisions, Source};

    fn example() -> Revisions {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
        Revisions::load(&dir, "migrations").unwrap()
    }

    #[test]
    fn a_loaded_chain_is_freed_with_its_last_clone() {
        let revisions = example();
        let Source::Loaded(loaded) = &revisions.__source else {
            panic!("`load` returns a loaded chain");
        };
        let weak = Arc::downgrade(loaded);
        let clone = revisions.clone();
        drop(revisions);
        assert!(weak.upgrade().is_some(), "the clone keeps the chain");
        assert!(clone.head().is_some());
        drop(clone);
        assert!(weak.upgrade().is_none(), "the chain was not freed");
    }

    #[test]
    fn loading_twice_shares_nothing_and_reads_the_same_chain() {
        let (a, b) = (example(), example());
        let ids = |r: &Revisions| r.iter().map(|r| r.id().to_owned()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
        assert!(!std::ptr::eq(a.as_slice(), b.as_slice()));
        let digests = |r: &Revisions| r.iter().map(|r| r.chain_digest()).collect::<Vec<_>>();
        assert_eq!(digests(&a), digests(&b));
    }
}
