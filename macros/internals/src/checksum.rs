//! Checksums of revisions and digests of the chain up to each revision.

use std::borrow::Cow;
use std::fmt;

use crate::sha256::Sha256;

/// A SHA-256 digest, shown as 64 lowercase hexadecimal digits.
///
/// ```
/// use revchain_internals::Checksum;
///
/// let checksum = revchain_internals::revision_checksum("CREATE TABLE t (id INTEGER);\n");
/// let hex = checksum.to_string();
/// assert_eq!(hex.len(), 64);
/// assert_eq!(Checksum::from_hex(&hex), Some(checksum));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Checksum([u8; 32]);

impl Checksum {
    /// Wraps raw digest bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Checksum(bytes)
    }

    /// The raw digest bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses 64 hexadecimal digits (either case), as written by `Display`.
    pub fn from_hex(text: &str) -> Option<Self> {
        let text = text.as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(text.chunks_exact(2)) {
            let high = (pair[0] as char).to_digit(16)?;
            let low = (pair[1] as char).to_digit(16)?;
            *byte = (high * 16 + low) as u8;
        }
        Some(Checksum(bytes))
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({self})")
    }
}

/// Replaces every CRLF line ending with LF, so that a Windows checkout hashes
/// like a Unix one. Lone CRs are kept.
///
/// ```
/// assert_eq!(revchain_internals::normalize_line_endings("a;\r\nb;\r\n"), "a;\nb;\n");
/// ```
pub fn normalize_line_endings(text: &str) -> Cow<'_, str> {
    // Looking for `\r` first is a `memchr`, fast even in the unoptimised
    // build that runs `embed_revisions!`.
    if text.as_bytes().contains(&b'\r') && text.contains("\r\n") {
        Cow::Owned(text.replace("\r\n", "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The checksum of a revision: SHA-256 of its `up.sql` after
/// [`normalize_line_endings`]. It covers what was applied to the database,
/// so editing `down.sql` or the message of an applied revision is not drift.
///
/// For a file with LF line endings it equals what `sha256sum up.sql` prints.
pub fn revision_checksum(up_sql: &str) -> Checksum {
    let mut hasher = Sha256::new();
    hasher.update(normalize_line_endings(up_sql).as_bytes());
    Checksum(hasher.finish())
}

/// The digest of the chain from the root up to and including a revision:
/// SHA-256 of the previous revision's digest (32 zero bytes for the root),
/// the revision's id, a NUL byte and its checksum.
///
/// One stored digest therefore vouches for every revision below it, which lets
/// the runtime detect an edited applied revision with a single comparison.
pub fn chain_digest(previous: Option<&Checksum>, id: &str, checksum: &Checksum) -> Checksum {
    let mut hasher = Sha256::new();
    hasher.update(previous.map_or(&[0u8; 32], |digest| &digest.0));
    hasher.update(id.as_bytes());
    hasher.update(&[0]);
    hasher.update(&checksum.0);
    Checksum(hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_lf_checkouts_have_the_same_checksum() {
        assert_eq!(
            revision_checksum("CREATE TABLE a (id INT);\r\nCREATE TABLE b (id INT);\r\n"),
            revision_checksum("CREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\n"),
        );
    }

    #[test]
    fn checksum_equals_sha256_of_the_file() {
        assert_eq!(
            revision_checksum("abc").to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn different_sql_gives_a_different_checksum() {
        assert_ne!(
            revision_checksum("SELECT 1;"),
            revision_checksum("SELECT 2;")
        );
    }

    #[test]
    fn chain_digest_depends_on_every_input() {
        let one = revision_checksum("one");
        let two = revision_checksum("two");
        let root = chain_digest(None, "a", &one);
        assert_ne!(root, chain_digest(None, "b", &one));
        assert_ne!(root, chain_digest(None, "a", &two));
        assert_ne!(root, chain_digest(Some(&root), "a", &one));
    }

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        let checksum = revision_checksum("x");
        assert_eq!(Checksum::from_hex(&checksum.to_string()), Some(checksum));
        assert_eq!(
            Checksum::from_hex(&checksum.to_string().to_uppercase()),
            Some(checksum)
        );
        assert_eq!(Checksum::from_hex("zz"), None);
        assert_eq!(Checksum::from_hex(&"g".repeat(64)), None);
    }
}
