//! The embedded chain: [`Revisions`] and each [`Revision`] in it.
//!
//! `embed_revisions!` writes the chain in its packed form
//! (`revchain_internals::packed`): the SQL as one string and a compact index.
//! It is read back into [`Revision`]s the first time it is used, once per
//! process, and kept for the rest of it. Checksums are computed from the
//! embedded SQL the first time one is asked for; the head's chain digest is
//! embedded, so that [`Migrator::is_at_head`](crate::Migrator::is_at_head)
//! hashes nothing.

use std::fmt;
use std::sync::OnceLock;

use revchain_internals::packed;

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
    id: &'static str,
    parent: Option<&'static str>,
    message: &'static str,
    dir: &'static str,
    up_sql: &'static str,
    down_sql: Option<&'static str>,
    run_in_transaction: bool,
    position: usize,
    chain: &'static Shared,
}

impl Revision {
    /// The id: the directory name before the first `_`.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The parent's id, or `None` for the root.
    pub fn parent(&self) -> Option<&'static str> {
        self.parent
    }

    /// `message` from `metadata.toml`, or the directory's slug with `_` read
    /// as spaces.
    pub fn message(&self) -> &'static str {
        self.message
    }

    /// The revision directory as it was named at compile time, relative to the
    /// crate, such as `migrations/2026-11-24-093000_create_users`.
    pub fn dir(&self) -> &'static str {
        self.dir
    }

    /// The path of one of the revision's files, for messages:
    /// `<dir>/up.sql` and so on.
    pub fn file(&self, name: &str) -> String {
        format!("{}/{name}", self.dir)
    }

    /// The contents of `up.sql`, byte for byte.
    pub fn up_sql(&self) -> &'static str {
        self.up_sql
    }

    /// The contents of `down.sql`, or `None` if the revision cannot be
    /// reverted.
    pub fn down_sql(&self) -> Option<&'static str> {
        self.down_sql
    }

    /// Whether the revision runs inside a transaction (`run_in_transaction`,
    /// diesel's key in `metadata.toml`; `true` unless set to `false`).
    pub fn run_in_transaction(&self) -> bool {
        self.run_in_transaction
    }

    /// SHA-256 of `up.sql` with CRLF line endings read as LF; see
    /// [`revision_checksum`](crate::revision_checksum).
    ///
    /// The first call on a chain hashes every revision's `up.sql` once.
    pub fn checksum(&self) -> Checksum {
        self.chain.digests()[self.position].0
    }

    /// The digest of the chain from the root up to this revision; see
    /// [`chain_digest`](crate::chain_digest).
    ///
    /// The head's is embedded; the first call for another revision hashes
    /// every revision's `up.sql` once.
    pub fn chain_digest(&self) -> Checksum {
        match self.chain.head_digest {
            Some(digest) if self.position + 1 == self.chain.revisions().len() => digest,
            _ => self.chain.digests()[self.position].1,
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

/// What one chain's revisions share, allocated once per chain and never
/// freed: the revisions point back to it for their checksums.
struct Shared {
    revisions: OnceLock<Box<[Revision]>>,
    /// Positions sorted by id, for [`Revisions::get`].
    by_id: OnceLock<Box<[u32]>>,
    head_digest: Option<Checksum>,
    /// `(checksum, chain digest)` of every revision, computed when first
    /// needed.
    digests: OnceLock<Box<[(Checksum, Checksum)]>>,
}

impl Shared {
    fn revisions(&self) -> &[Revision] {
        self.revisions.get().map_or(&[], |revisions| revisions)
    }

    fn digests(&self) -> &[(Checksum, Checksum)] {
        self.digests.get_or_init(|| {
            let mut previous: Option<Checksum> = None;
            self.revisions()
                .iter()
                .map(|revision| {
                    let checksum = revchain_internals::revision_checksum(revision.up_sql);
                    let digest =
                        revchain_internals::chain_digest(previous.as_ref(), revision.id, &checksum);
                    previous = Some(digest);
                    (checksum, digest)
                })
                .collect()
        })
    }
}

/// The strings of one revision, before they are moved into the chain's one
/// allocation.
struct Texts<'a> {
    dir: &'a str,
    id_start: usize,
    id_len: usize,
    message: &'a str,
    up_sql: &'static str,
    down_sql: Option<&'static str>,
    run_in_transaction: bool,
}

/// Builds a chain: its strings go into one allocation, kept for the process.
fn build(
    revisions: Vec<Texts<'_>>,
    head_digest: Option<Checksum>,
    digests: Option<Box<[(Checksum, Checksum)]>>,
) -> &'static Shared {
    let mut arena = String::with_capacity(
        revisions
            .iter()
            .map(|texts| texts.dir.len() + texts.message.len())
            .sum(),
    );
    let mut ranges = Vec::with_capacity(revisions.len());
    for texts in &revisions {
        let dir = arena.len();
        arena.push_str(texts.dir);
        let message = arena.len();
        arena.push_str(texts.message);
        ranges.push((dir, message, arena.len()));
    }
    let arena: &'static str = Box::leak(arena.into_boxed_str());
    let shared: &'static Shared = Box::leak(Box::new(Shared {
        revisions: OnceLock::new(),
        by_id: OnceLock::new(),
        head_digest,
        digests: digests.map_or_else(OnceLock::new, OnceLock::from),
    }));
    let mut built: Vec<Revision> = Vec::with_capacity(revisions.len());
    for (position, (texts, (dir, message, end))) in revisions.iter().zip(ranges).enumerate() {
        let id_start = dir + texts.id_start;
        built.push(Revision {
            id: &arena[id_start..id_start + texts.id_len],
            parent: built.last().map(|previous| previous.id),
            message: &arena[message..end],
            dir: &arena[dir..message],
            up_sql: texts.up_sql,
            down_sql: texts.down_sql,
            run_in_transaction: texts.run_in_transaction,
            position,
            chain: shared,
        });
    }
    let mut by_id: Vec<u32> = (0..built.len() as u32).collect();
    by_id.sort_by(|a, b| built[*a as usize].id.cmp(built[*b as usize].id));
    let _ = shared.revisions.set(built.into_boxed_slice());
    let _ = shared.by_id.set(by_id.into_boxed_slice());
    shared
}

/// A chain as `embed_revisions!` writes it into the binary, read back on
/// first use. Not part of the public API.
#[doc(hidden)]
pub struct EmbeddedChain {
    text: &'static str,
    index: &'static [u8],
    shared: OnceLock<&'static Shared>,
}

impl EmbeddedChain {
    #[doc(hidden)]
    pub const fn new(text: &'static str, index: &'static [u8]) -> Self {
        EmbeddedChain {
            text,
            index,
            shared: OnceLock::new(),
        }
    }

    fn shared(&'static self) -> &'static Shared {
        self.shared
            .get_or_init(|| match packed::unpack(self.text, self.index) {
                Ok(unpacked) => {
                    let revisions = unpacked
                        .revisions
                        .iter()
                        .map(|revision| Texts {
                            dir: &revision.dir,
                            id_start: revision.dir.len() - revision.dir_name.len(),
                            id_len: revision.id.len(),
                            message: &revision.message,
                            up_sql: revision.up_sql,
                            down_sql: revision.down_sql,
                            run_in_transaction: revision.run_in_transaction,
                        })
                        .collect();
                    build(revisions, unpacked.head_digest, None)
                }
                // `embed_revisions!` unpacks what it writes before writing it,
                // and `revchain` pins the exact `revchain-macros` version, so
                // the two cannot disagree: this is a bug in revchain.
                #[allow(clippy::panic)]
                Err(error) => panic!("{error}"),
            })
    }
}

/// A linear chain of revisions, from the root to the head, as embedded by
/// [`embed_revisions!`](crate::embed_revisions).
///
/// Declare it as a `static` (or a `const`, as diesel's documentation does
/// for `embed_migrations!`: both work, and the chain is read once per
/// process either way).
///
/// ```
/// static REVISIONS: revchain::Revisions = revchain::embed_revisions!("../migrations");
///
/// let head = REVISIONS.head().unwrap();
/// assert_eq!(REVISIONS.get(head.id()).map(|r| r.id()), Some(head.id()));
/// assert_eq!(REVISIONS.iter().last().map(|r| r.id()), Some(head.id()));
/// assert!(REVISIONS.len() >= 6);
/// ```
#[derive(Clone, Copy)]
pub struct Revisions {
    source: Source,
}

#[derive(Clone, Copy)]
enum Source {
    /// `embed_revisions!`: a function returning the chain's `static`, so
    /// that the expansion also works in a `const`.
    Embedded(fn() -> &'static EmbeddedChain),
    /// [`Revisions::load`].
    Loaded(&'static Shared),
    Empty,
}

impl Revisions {
    #[doc(hidden)]
    pub const fn __embedded(chain: fn() -> &'static EmbeddedChain) -> Self {
        Revisions {
            source: Source::Embedded(chain),
        }
    }

    /// A chain without any revision.
    ///
    /// ```
    /// assert!(revchain::Revisions::empty().head().is_none());
    /// ```
    pub const fn empty() -> Self {
        Revisions {
            source: Source::Empty,
        }
    }

    fn shared(&self) -> Option<&'static Shared> {
        match self.source {
            Source::Embedded(chain) => Some(chain().shared()),
            Source::Loaded(shared) => Some(shared),
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
    pub fn iter(&self) -> std::slice::Iter<'static, Revision> {
        self.as_slice().iter()
    }

    /// The revisions from the root to the head, as a slice.
    pub fn as_slice(&self) -> &'static [Revision] {
        self.shared().map_or(&[], Shared::revisions)
    }

    /// The newest revision, or `None` for an empty chain.
    pub fn head(&self) -> Option<&'static Revision> {
        self.as_slice().last()
    }

    /// The revision with exactly this id, found by binary search.
    pub fn get(&self, id: &str) -> Option<&'static Revision> {
        self.position(id).map(|index| &self.as_slice()[index])
    }

    /// The position of the revision with this id, counting from the root at 0.
    pub fn position(&self, id: &str) -> Option<usize> {
        let shared = self.shared()?;
        let revisions = shared.revisions();
        let by_id = shared.by_id.get()?;
        by_id
            .binary_search_by(|&index| revisions[index as usize].id.cmp(id))
            .ok()
            .map(|found| by_id[found] as usize)
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
        let leak = |text: &str| -> &'static str { Box::leak(Box::from(text)) };
        let revisions = chain
            .revisions()
            .iter()
            .map(|loaded| Texts {
                dir: &loaded.dir,
                id_start: loaded.dir.len() - loaded.dir_name.len(),
                id_len: loaded.id.len(),
                message: &loaded.message,
                up_sql: leak(&loaded.up_sql),
                down_sql: loaded.down_sql.as_deref().map(leak),
                run_in_transaction: loaded.run_in_transaction,
            })
            .collect();
        let digests = chain
            .revisions()
            .iter()
            .map(|loaded| (loaded.checksum, loaded.chain_digest))
            .collect();
        let head_digest = chain.head().map(|head| head.chain_digest);
        let shared = build(revisions, head_digest, Some(digests));
        Ok(Box::leak(Box::new(Revisions {
            source: Source::Loaded(shared),
        })))
    }
}

impl IntoIterator for &Revisions {
    type Item = &'static Revision;
    type IntoIter = std::slice::Iter<'static, Revision>;

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
