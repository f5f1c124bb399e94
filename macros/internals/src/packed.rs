//! The packed form of a chain: what `embed_revisions!` writes into the
//! binary and what the runtime reads back, both through this module, so that
//! the format is defined once.
//!
//! A packed chain is two values:
//!
//! - the **text**: every revision's `up.sql` followed by its `down.sql` (when
//!   it has one), from the root to the head, with nothing in between;
//! - the **index**: a byte string that says where each file ends and what
//!   else a revision has.
//!
//! The index spends a few bytes per revision on top of its SQL, so that a
//! history of thousands of revisions costs its binary little more than the
//! SQL itself (the budget is 2%), and it holds no pointer, so the binary
//! needs no relocation for it. What can be derived is not stored:
//!
//! - the id is the directory name before its first `_`, and the parent is
//!   the id of the revision before (the chain is linear);
//! - the message is stored only where `metadata.toml` sets one; otherwise it
//!   is the slug, `_` read as spaces, as [`load`](crate::load) makes it;
//! - the directory name is stored as its difference from the previous one
//!   (timestamp ids share their first digits, slugs their words);
//! - checksums are not stored: they are SHA-256 of text that is right there.
//!   Only the head's chain digest is, so that checking "is the database at
//!   head?" hashes nothing.
//!
//! Layout of the index (integers are LEB128, unsigned):
//!
//! ```text
//! index    = version:u8  count  display:string  [head_digest:32 bytes if count > 0]  revision*count
//! revision = flags:u8  up_len  [down_len if flags & HAS_DOWN]  name  [message:string if flags & HAS_MESSAGE]
//! name     = len  (copy  literal_len  literal_bytes)*      rebuilt until it is `len` bytes long
//! string   = len  bytes
//! ```
//!
//! `copy` bytes are taken from the previous name at the same position,
//! `literal_bytes` are new.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let root = dir.path().join("migrations");
//! # std::fs::create_dir_all(root.join("1_init"))?;
//! # std::fs::write(root.join("1_init/up.sql"), "CREATE TABLE t (id INTEGER);\n")?;
//! # std::fs::write(root.join("HEAD"), "1\n")?;
//! use revchain_internals::packed;
//!
//! let chain = revchain_internals::load(&root, "migrations")?;
//! let (text, index) = (packed::text(&chain), packed::index(&chain));
//! let unpacked = packed::unpack(&text, &index)?;
//! assert_eq!(unpacked.revisions[0].id, "1");
//! assert_eq!(unpacked.revisions[0].up_sql, chain.revisions()[0].up_sql);
//! assert_eq!(unpacked.head_digest, chain.head().map(|head| head.chain_digest));
//! # Ok(())
//! # }
//! ```

use std::fmt;

use crate::{Chain, Checksum, default_message, discover, split_directory_name};

/// The version of the layout, first byte of every index. The runtime and the
/// macro are released together (`revchain` pins `revchain-macros` exactly),
/// so this only turns a mismatch into a clear error instead of garbage.
const VERSION: u8 = 1;

/// The revision has a `down.sql`.
const HAS_DOWN: u8 = 1;
/// `metadata.toml` sets a message.
const HAS_MESSAGE: u8 = 2;
/// `run_in_transaction = false`.
const NO_TRANSACTION: u8 = 4;

/// Matching bytes shorter than this are written as literal bytes: a copy
/// costs two length bytes.
const MIN_COPY: usize = 3;

/// The text of a packed chain: every `up.sql`, each followed by its
/// `down.sql`, from the root to the head.
pub fn text(chain: &Chain) -> String {
    let mut text = String::with_capacity(text_len(chain));
    for revision in chain.revisions() {
        text.push_str(&revision.up_sql);
        if let Some(down) = &revision.down_sql {
            text.push_str(down);
        }
    }
    text
}

/// The length of [`text`] in bytes, without building it.
pub fn text_len(chain: &Chain) -> usize {
    chain
        .revisions()
        .iter()
        .map(|revision| revision.up_sql.len() + revision.down_sql.as_ref().map_or(0, String::len))
        .sum()
}

/// The index of a packed chain; see the module documentation.
pub fn index(chain: &Chain) -> Vec<u8> {
    let revisions = chain.revisions();
    let mut out = Vec::with_capacity(16 + revisions.len() * 16);
    out.push(VERSION);
    write_len(&mut out, revisions.len());
    write_str(&mut out, chain.dir());
    if let Some(head) = chain.head() {
        out.extend_from_slice(head.chain_digest.as_bytes());
    }
    let mut previous = "";
    for revision in revisions {
        let explicit_message = revision.message != default_message(&revision.slug);
        let mut flags = 0;
        if revision.down_sql.is_some() {
            flags |= HAS_DOWN;
        }
        if explicit_message {
            flags |= HAS_MESSAGE;
        }
        if !revision.run_in_transaction {
            flags |= NO_TRANSACTION;
        }
        out.push(flags);
        write_len(&mut out, revision.up_sql.len());
        if let Some(down) = &revision.down_sql {
            write_len(&mut out, down.len());
        }
        write_name(&mut out, previous.as_bytes(), revision.dir_name.as_bytes());
        if explicit_message {
            write_str(&mut out, &revision.message);
        }
        previous = &revision.dir_name;
    }
    out
}

/// A chain's [`text`] and [`index`], checked to read back as the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packed {
    /// See [`text`].
    pub text: String,
    /// See [`index`].
    pub index: Vec<u8>,
}

/// Packs a chain and reads it back: what `embed_revisions!` writes is
/// checked to unpack into exactly the chain that was validated, so that
/// reading it back at run time cannot fail.
pub fn pack(chain: &Chain) -> Result<Packed, UnpackError> {
    let packed = Packed {
        text: text(chain),
        index: index(chain),
    };
    let unpacked = unpack(&packed.text, &packed.index)?;
    let same = unpacked.display == chain.dir()
        && unpacked.head_digest == chain.head().map(|head| head.chain_digest)
        && unpacked.revisions.len() == chain.len()
        && unpacked
            .revisions
            .iter()
            .zip(chain.revisions())
            .all(|(unpacked, loaded)| {
                unpacked.id == loaded.id
                    && unpacked.parent == loaded.parent
                    && unpacked.dir_name == loaded.dir_name
                    && unpacked.dir == loaded.dir
                    && unpacked.message == loaded.message
                    && unpacked.run_in_transaction == loaded.run_in_transaction
                    && unpacked.up_sql == loaded.up_sql
                    && unpacked.down_sql == loaded.down_sql.as_deref()
            });
    if same {
        Ok(packed)
    } else {
        Err(broken("it reads back as a different chain"))
    }
}

/// A packed chain, read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unpacked<'text> {
    /// The migrations directory as shown in messages (`migrations`).
    pub display: String,
    /// The chain digest of the head; `None` for an empty chain.
    pub head_digest: Option<Checksum>,
    /// The revisions, from the root to the head.
    pub revisions: Vec<UnpackedRevision<'text>>,
}

/// One revision of an [`Unpacked`] chain: everything
/// [`LoadedRevision`](crate::LoadedRevision) has but the checksums.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnpackedRevision<'text> {
    /// The id: the directory name before the first `_`.
    pub id: String,
    /// The parent's id; `None` on the root.
    pub parent: Option<String>,
    /// The directory name, `<id>_<slug>`.
    pub dir_name: String,
    /// The directory as shown in messages: `<display>/<dir_name>`.
    pub dir: String,
    /// `message` from `metadata.toml`, or else the slug with `_` read as
    /// spaces.
    pub message: String,
    /// `run_in_transaction` from `metadata.toml`; `true` when absent.
    pub run_in_transaction: bool,
    /// `up.sql`, byte for byte.
    pub up_sql: &'text str,
    /// `down.sql`, byte for byte, if the revision has one.
    pub down_sql: Option<&'text str>,
}

/// A packed chain that cannot be read: the text and the index do not belong
/// together. `embed_revisions!` writes both from the same bytes, so this
/// means a `revchain` built against a different `revchain-macros`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnpackError {
    reason: String,
}

impl fmt::Display for UnpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the embedded revisions cannot be read ({}): `revchain` and `revchain-macros` must be the same version; run `cargo update -p revchain` and build again",
            self.reason
        )
    }
}

impl std::error::Error for UnpackError {}

fn broken(reason: impl Into<String>) -> UnpackError {
    UnpackError {
        reason: reason.into(),
    }
}

/// Reads a packed chain back.
pub fn unpack<'text>(text: &'text str, index: &[u8]) -> Result<Unpacked<'text>, UnpackError> {
    let mut reader = Reader { index, at: 0 };
    let version = reader.byte()?;
    if version != VERSION {
        return Err(broken(format!(
            "layout version {version}, this build reads {VERSION}"
        )));
    }
    let count = reader.len()?;
    let display = reader.string()?;
    let head_digest = if count > 0 {
        Some(Checksum::from_bytes(reader.digest()?))
    } else {
        None
    };
    // Each revision takes at least 4 bytes of the index: never trust `count`
    // for an allocation larger than the index could describe.
    let mut revisions: Vec<UnpackedRevision<'text>> = Vec::with_capacity(count.min(index.len()));
    let mut name: Vec<u8> = Vec::new();
    let mut offset = 0;
    for _ in 0..count {
        let flags = reader.byte()?;
        let up_len = reader.len()?;
        let down_len = if flags & HAS_DOWN != 0 {
            Some(reader.len()?)
        } else {
            None
        };
        name = reader.name(&name)?;
        let dir_name =
            String::from_utf8(name.clone()).map_err(|_| broken("a directory name is not UTF-8"))?;
        let (id, slug) = split_directory_name(&dir_name).map_err(broken)?;
        let message = if flags & HAS_MESSAGE != 0 {
            reader.string()?
        } else {
            default_message(slug)
        };
        let up_sql = slice(text, &mut offset, up_len)?;
        let down_sql = match down_len {
            Some(len) => Some(slice(text, &mut offset, len)?),
            None => None,
        };
        revisions.push(UnpackedRevision {
            id: id.to_owned(),
            parent: revisions.last().map(|previous| previous.id.clone()),
            dir: discover::join(&display, &dir_name),
            dir_name,
            message,
            run_in_transaction: flags & NO_TRANSACTION == 0,
            up_sql,
            down_sql,
        });
    }
    if reader.at != index.len() {
        return Err(broken("the index goes on after the last revision"));
    }
    if offset != text.len() {
        return Err(broken("the text goes on after the last revision"));
    }
    Ok(Unpacked {
        display,
        head_digest,
        revisions,
    })
}

fn slice<'text>(
    text: &'text str,
    offset: &mut usize,
    len: usize,
) -> Result<&'text str, UnpackError> {
    let end = offset
        .checked_add(len)
        .ok_or_else(|| broken("a file length overflows"))?;
    let part = text
        .get(*offset..end)
        .ok_or_else(|| broken("a file does not end where the index says"))?;
    *offset = end;
    Ok(part)
}

fn write_len(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

fn write_str(out: &mut Vec<u8>, text: &str) {
    write_len(out, text.len());
    out.extend_from_slice(text.as_bytes());
}

/// Writes `name` as runs copied from `previous` (at the same positions) and
/// literal runs.
fn write_name(out: &mut Vec<u8>, previous: &[u8], name: &[u8]) {
    write_len(out, name.len());
    let matches = |at: usize| previous.get(at) == Some(&name[at]);
    let mut at = 0;
    while at < name.len() {
        let copy_start = at;
        while at < name.len() && matches(at) {
            at += 1;
        }
        let mut copy = at - copy_start;
        if copy < MIN_COPY && at < name.len() {
            // Too short to pay for itself: make it part of the literal run.
            at = copy_start;
            copy = 0;
        }
        let literal_start = at;
        while at < name.len() {
            let run = (at..name.len()).take_while(|&i| matches(i)).count();
            if run >= MIN_COPY || at + run == name.len() && run > 0 {
                break;
            }
            at += run.max(1);
        }
        write_len(out, copy);
        write_len(out, at - literal_start);
        out.extend_from_slice(&name[literal_start..at]);
    }
}

struct Reader<'index> {
    index: &'index [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, UnpackError> {
        let byte = *self
            .index
            .get(self.at)
            .ok_or_else(|| broken("the index ends early"))?;
        self.at += 1;
        Ok(byte)
    }

    fn len(&mut self) -> Result<usize, UnpackError> {
        let mut value: usize = 0;
        let mut shift = 0;
        loop {
            let byte = self.byte()?;
            let low = usize::from(byte & 0x7f);
            if shift >= usize::BITS || (low << shift) >> shift != low {
                return Err(broken("a length overflows"));
            }
            value |= low << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    fn bytes(&mut self, len: usize) -> Result<&[u8], UnpackError> {
        let end = self
            .at
            .checked_add(len)
            .filter(|&end| end <= self.index.len())
            .ok_or_else(|| broken("the index ends early"))?;
        let bytes = &self.index[self.at..end];
        self.at = end;
        Ok(bytes)
    }

    fn string(&mut self) -> Result<String, UnpackError> {
        let len = self.len()?;
        String::from_utf8(self.bytes(len)?.to_vec()).map_err(|_| broken("a string is not UTF-8"))
    }

    fn digest(&mut self) -> Result<[u8; 32], UnpackError> {
        let mut digest = [0; 32];
        digest.copy_from_slice(self.bytes(32)?);
        Ok(digest)
    }

    fn name(&mut self, previous: &[u8]) -> Result<Vec<u8>, UnpackError> {
        let len = self.len()?;
        let mut name = Vec::with_capacity(len.min(self.index.len()));
        while name.len() < len {
            let copy = self.len()?;
            let start = name.len();
            let copied = start
                .checked_add(copy)
                .and_then(|end| previous.get(start..end))
                .ok_or_else(|| broken("a directory name copies past the previous one"))?;
            name.extend_from_slice(copied);
            let literal = self.len()?;
            name.extend_from_slice(self.bytes(literal)?);
            if copy == 0 && literal == 0 {
                return Err(broken("a directory name does not progress"));
            }
        }
        if name.len() != len {
            return Err(broken("a directory name is longer than its length"));
        }
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_round_trip(previous: &str, name: &str) -> usize {
        let mut out = Vec::new();
        write_name(&mut out, previous.as_bytes(), name.as_bytes());
        let mut reader = Reader { index: &out, at: 0 };
        let read = reader.name(previous.as_bytes()).map_err(|e| e.to_string());
        assert_eq!(
            read,
            Ok(name.as_bytes().to_vec()),
            "{previous:?} -> {name:?}"
        );
        assert_eq!(reader.at, out.len());
        out.len()
    }

    #[test]
    fn names_round_trip_against_any_previous_name() {
        let names = [
            "",
            "1_a",
            "2_b",
            "2026-01-05-090000_create_users",
            "2026-01-05-093000_create_posts",
            "2026-01-05-093000_create_posts_index",
            "2026-01-05-0930_x",
            "20260105093000_add_emails",
            "é_ü",
            "ab_ab",
        ];
        for previous in names {
            for name in names.iter().filter(|name| !name.is_empty()) {
                name_round_trip(previous, name);
            }
        }
    }

    #[test]
    fn consecutive_timestamp_names_cost_a_fraction_of_their_length() {
        let size = name_round_trip(
            "2020-01-01-000000_create_inventory_item_00000",
            "2020-01-01-010701_create_inventory_item_00001",
        );
        assert!(size <= 14, "{size} bytes");
    }

    #[test]
    fn lengths_round_trip_at_every_width() {
        for value in [0, 1, 127, 128, 300, 16_383, 16_384, 1 << 40, usize::MAX] {
            let mut out = Vec::new();
            write_len(&mut out, value);
            let mut reader = Reader { index: &out, at: 0 };
            assert_eq!(reader.len(), Ok(value));
            assert_eq!(reader.at, out.len());
        }
    }

    #[test]
    fn an_overlong_length_is_an_error_not_a_panic() {
        let out = [0xff; 12];
        let mut reader = Reader { index: &out, at: 0 };
        assert!(reader.len().is_err());
    }
}
