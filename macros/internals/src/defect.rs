//! What is wrong with a migrations directory, and what to do about it.

use std::borrow::Cow;
use std::fmt;

use crate::excerpt::{MAX_SENTENCE_CHARS, MAX_SHOWN_DEFECTS, cut};
use crate::non_empty::{NonEmpty, NonEmptyIter};

/// The rule a [`Defect`] breaks. One variant per rule, so that tests and tools
/// can match on it without parsing messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DefectKind {
    /// The migrations directory does not exist, or is not a directory.
    DirectoryNotFound,
    /// A file at the top level that is neither `HEAD` nor a `README*`.
    StrayFile,
    /// A directory whose name is not `<id>_<slug>`, or a name that is not UTF-8.
    InvalidName,
    /// A file inside a revision directory other than `up.sql`, `down.sql`,
    /// `metadata.toml` or a `README*`.
    UnexpectedFile,
    /// A revision directory without `up.sql`.
    MissingUpSql,
    /// A file revchain reads (`HEAD`, an SQL file, `metadata.toml`) that is
    /// not valid UTF-8.
    NotUtf8,
    /// A file or directory that exists but could not be read, such as one
    /// the user running revchain has no permission to read.
    Unreadable,
    /// Something read as a file (`HEAD`, `up.sql`, `down.sql`,
    /// `metadata.toml`) that is not a regular file: a FIFO, a socket, a
    /// device or a directory.
    NotRegularFile,
    /// A file larger than revchain reads of it (see
    /// [`MAX_SQL_FILE_BYTES`](crate::MAX_SQL_FILE_BYTES) and its siblings).
    FileTooLarge,
    /// A NUL byte in a file revchain reads: no database accepts one in SQL.
    NulByte,
    /// A symbolic link that leads nowhere: its target does not exist, or
    /// following it loops.
    BrokenLink,
    /// `metadata.toml` is not valid TOML.
    MalformedMetadata,
    /// `metadata.toml` has a key revchain does not know.
    UnknownMetadataKey,
    /// A `metadata.toml` value of the wrong type, or an invalid `parent`.
    InvalidMetadataValue,
    /// Two revision directories share one id.
    DuplicateId,
    /// A revision names a parent that does not exist.
    MissingParent,
    /// No revision is the root (every revision names a parent).
    NoRoot,
    /// More than one revision has no parent.
    MultipleRoots,
    /// Two or more revisions name the same parent.
    Fork,
    /// Following parents leads back to where it started.
    Cycle,
    /// There is no `HEAD` file.
    HeadMissing,
    /// `HEAD` holds no id.
    HeadEmpty,
    /// `HEAD` holds git conflict markers.
    HeadConflict,
    /// `HEAD` names something other than the chain's head.
    HeadStale,
}

impl DefectKind {
    /// The rule's stable `snake_case` name, as the `revchain` command writes
    /// it in its JSON output: `directory_not_found`, `fork`, `head_stale`, …
    /// It does not change when a variant is renamed.
    ///
    /// ```
    /// use revchain_internals::DefectKind;
    ///
    /// assert_eq!(DefectKind::MissingUpSql.as_str(), "missing_up_sql");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            DefectKind::DirectoryNotFound => "directory_not_found",
            DefectKind::StrayFile => "stray_file",
            DefectKind::InvalidName => "invalid_name",
            DefectKind::UnexpectedFile => "unexpected_file",
            DefectKind::MissingUpSql => "missing_up_sql",
            DefectKind::NotUtf8 => "not_utf8",
            DefectKind::Unreadable => "unreadable",
            DefectKind::NotRegularFile => "not_regular_file",
            DefectKind::FileTooLarge => "file_too_large",
            DefectKind::NulByte => "nul_byte",
            DefectKind::BrokenLink => "broken_link",
            DefectKind::MalformedMetadata => "malformed_metadata",
            DefectKind::UnknownMetadataKey => "unknown_metadata_key",
            DefectKind::InvalidMetadataValue => "invalid_metadata_value",
            DefectKind::DuplicateId => "duplicate_id",
            DefectKind::MissingParent => "missing_parent",
            DefectKind::NoRoot => "no_root",
            DefectKind::MultipleRoots => "multiple_roots",
            DefectKind::Fork => "fork",
            DefectKind::Cycle => "cycle",
            DefectKind::HeadMissing => "head_missing",
            DefectKind::HeadEmpty => "head_empty",
            DefectKind::HeadConflict => "head_conflict",
            DefectKind::HeadStale => "head_stale",
        }
    }
}

/// One violation of the revision rules: what is wrong, where, and what to do.
///
/// Its `Display` is the message every revchain tool prints, the compiler
/// included:
///
/// ```text
/// fork: `2026-01-02-000000` and `2026-01-03-000000` both name `2026-01-01-000000` as their parent
///   --> migrations/2026-01-02-000000_add_posts/metadata.toml
///   --> migrations/2026-01-03-000000_add_tags/metadata.toml
///   = help: ...
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Defect {
    kind: DefectKind,
    summary: String,
    locations: Vec<String>,
    help: String,
}

impl Defect {
    /// A defect: what is wrong (`summary`), where (`locations`, paths as
    /// shown in messages) and what to do (`help`). The importer of other
    /// tools' histories reports what it refuses with the same kinds.
    ///
    /// ```
    /// use revchain_internals::{Defect, DefectKind};
    ///
    /// let defect = Defect::new(DefectKind::StrayFile, "stray file `seed.csv`", vec!["migrations/seed.csv".into()], "move it");
    /// assert_eq!(defect.kind(), DefectKind::StrayFile);
    /// ```
    pub fn new(
        kind: DefectKind,
        summary: impl Into<String>,
        locations: Vec<String>,
        help: impl Into<String>,
    ) -> Self {
        // A safety net behind `excerpt`: no sentence grows without bound,
        // whatever it echoes.
        let sentence = |text: String| match cut(&text, MAX_SENTENCE_CHARS) {
            Cow::Borrowed(_) => text,
            Cow::Owned(cut) => cut,
        };
        Defect {
            kind,
            summary: sentence(summary.into()),
            locations,
            help: sentence(help.into()),
        }
    }

    /// The rule that is broken.
    pub fn kind(&self) -> DefectKind {
        self.kind
    }

    /// One sentence saying what is wrong, lowercase, names in backticks.
    pub fn summary(&self) -> &str {
        &self.summary
    }

    /// The files and directories involved, as paths relative to where the
    /// migrations directory was named (for the macro: the crate's manifest
    /// directory).
    pub fn locations(&self) -> &[String] {
        &self.locations
    }

    /// What to do about it.
    pub fn help(&self) -> &str {
        &self.help
    }
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary)?;
        for location in &self.locations {
            write!(f, "\n  --> {location}")?;
        }
        write!(f, "\n  = help: {}", self.help)
    }
}

/// Every defect found in one pass over a migrations directory, in a stable
/// order. Never empty: it holds a first defect and any number more.
#[derive(Clone, PartialEq, Eq)]
pub struct Defects(NonEmpty<Defect>);

/// The iterator of [`Defects::iter`].
pub type DefectsIter<'a> = NonEmptyIter<'a, Defect>;

impl Defects {
    /// The defects of a list, or `None` when it holds none.
    ///
    /// ```
    /// assert!(revchain_internals::Defects::from_vec(Vec::new()).is_none());
    /// ```
    pub fn from_vec(defects: Vec<Defect>) -> Option<Self> {
        NonEmpty::from_vec(defects).map(Defects)
    }

    /// A single defect.
    pub(crate) fn one(defect: Defect) -> Self {
        Defects(NonEmpty::one(defect))
    }

    /// Adds a defect after those already found.
    pub(crate) fn push(&mut self, defect: Defect) {
        self.0.push(defect);
    }

    /// The first defect and the others, in the order they were found.
    pub fn split_first(&self) -> (&Defect, &[Defect]) {
        self.0.split_first()
    }

    /// The defects, in the order they were found.
    pub fn iter(&self) -> DefectsIter<'_> {
        self.0.iter()
    }

    /// How many defects there are: at least one.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: a `Defects` holds at least one defect.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The defects to print: the first [`MAX_SHOWN_DEFECTS`], and how many
    /// more there are, which every tool says instead of printing them.
    ///
    /// ```
    /// use revchain_internals::{Defects, MAX_SHOWN_DEFECTS};
    ///
    /// let dir = std::env::temp_dir().join(format!("revchain-shown-{}", std::process::id()));
    /// for i in 0..60 {
    ///     std::fs::create_dir_all(dir.join(format!("{i}_x"))).unwrap();
    /// }
    /// let defects = revchain_internals::load(&dir, "migrations").unwrap_err();
    /// let (shown, more) = defects.shown();
    /// assert_eq!(shown.len(), MAX_SHOWN_DEFECTS);
    /// assert_eq!(shown.len() + more, defects.len());
    /// assert!(defects.to_string().contains(&format!("… and {more} more errors")));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn shown(&self) -> (Vec<&Defect>, usize) {
        let shown: Vec<&Defect> = self.iter().take(MAX_SHOWN_DEFECTS).collect();
        let more = self.len() - shown.len();
        (shown, more)
    }

    /// `… and N more errors`, the line that stands for the defects
    /// [`shown`](Self::shown) leaves out; `None` when it leaves none out.
    pub fn more_line(&self) -> Option<String> {
        let (_, more) = self.shown();
        (more > 0).then(|| {
            format!(
                "… and {more} more error{} (fix these first, then run again)",
                if more == 1 { "" } else { "s" }
            )
        })
    }

    /// Whether any defect breaks the given rule.
    pub fn contains(&self, kind: DefectKind) -> bool {
        self.iter().any(|defect| defect.kind == kind)
    }
}

/// As a list, the way it was shown when `Defects` held a `Vec`.
impl fmt::Debug for Defects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Defects").field(&self.0).finish()
    }
}

/// Adds defects after those already found, in order.
impl Extend<Defect> for Defects {
    fn extend<I: IntoIterator<Item = Defect>>(&mut self, defects: I) {
        self.0.extend(defects);
    }
}

/// The defect at `index`, in the order they were found.
///
/// # Panics
///
/// When `index` is not below [`Defects::len`], like a slice.
impl std::ops::Index<usize> for Defects {
    type Output = Defect;

    fn index(&self, index: usize) -> &Defect {
        &self.0[index]
    }
}

impl<'a> IntoIterator for &'a Defects {
    type Item = &'a Defect;
    type IntoIter = DefectsIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for Defects {
    type Item = Defect;
    type IntoIter = <NonEmpty<Defect> as IntoIterator>::IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Defects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (shown, _) = self.shown();
        for (i, defect) in shown.into_iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "error: {defect}")?;
        }
        if let Some(more) = self.more_line() {
            write!(f, "\n\nerror: {more}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Defects {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind with its name in the JSON output, which must never change.
    const NAMES: [(DefectKind, &str); 24] = [
        (DefectKind::DirectoryNotFound, "directory_not_found"),
        (DefectKind::StrayFile, "stray_file"),
        (DefectKind::InvalidName, "invalid_name"),
        (DefectKind::UnexpectedFile, "unexpected_file"),
        (DefectKind::MissingUpSql, "missing_up_sql"),
        (DefectKind::NotUtf8, "not_utf8"),
        (DefectKind::Unreadable, "unreadable"),
        (DefectKind::MalformedMetadata, "malformed_metadata"),
        (DefectKind::UnknownMetadataKey, "unknown_metadata_key"),
        (DefectKind::InvalidMetadataValue, "invalid_metadata_value"),
        (DefectKind::DuplicateId, "duplicate_id"),
        (DefectKind::MissingParent, "missing_parent"),
        (DefectKind::NoRoot, "no_root"),
        (DefectKind::MultipleRoots, "multiple_roots"),
        (DefectKind::Fork, "fork"),
        (DefectKind::Cycle, "cycle"),
        (DefectKind::HeadMissing, "head_missing"),
        (DefectKind::HeadEmpty, "head_empty"),
        (DefectKind::HeadConflict, "head_conflict"),
        (DefectKind::HeadStale, "head_stale"),
        (DefectKind::NotRegularFile, "not_regular_file"),
        (DefectKind::FileTooLarge, "file_too_large"),
        (DefectKind::NulByte, "nul_byte"),
        (DefectKind::BrokenLink, "broken_link"),
    ];

    /// Where a kind stands in [`NAMES`]; a new kind does not compile until it
    /// is listed here, and so in `NAMES`.
    fn listed(kind: DefectKind) -> usize {
        match kind {
            DefectKind::DirectoryNotFound => 0,
            DefectKind::StrayFile => 1,
            DefectKind::InvalidName => 2,
            DefectKind::UnexpectedFile => 3,
            DefectKind::MissingUpSql => 4,
            DefectKind::NotUtf8 => 5,
            DefectKind::Unreadable => 6,
            DefectKind::MalformedMetadata => 7,
            DefectKind::UnknownMetadataKey => 8,
            DefectKind::InvalidMetadataValue => 9,
            DefectKind::DuplicateId => 10,
            DefectKind::MissingParent => 11,
            DefectKind::NoRoot => 12,
            DefectKind::MultipleRoots => 13,
            DefectKind::Fork => 14,
            DefectKind::Cycle => 15,
            DefectKind::HeadMissing => 16,
            DefectKind::HeadEmpty => 17,
            DefectKind::HeadConflict => 18,
            DefectKind::HeadStale => 19,
            DefectKind::NotRegularFile => 20,
            DefectKind::FileTooLarge => 21,
            DefectKind::NulByte => 22,
            DefectKind::BrokenLink => 23,
        }
    }

    #[test]
    fn every_kind_keeps_its_json_name() {
        for (index, (kind, name)) in NAMES.into_iter().enumerate() {
            assert_eq!(listed(kind), index, "{kind:?}");
            assert_eq!(kind.as_str(), name, "{kind:?}");
        }
    }

    #[test]
    fn json_names_are_distinct_snake_case() {
        let mut names: Vec<&str> = NAMES.iter().map(|(kind, _)| kind.as_str()).collect();
        assert!(names.iter().all(|name| {
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        }));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), NAMES.len());
    }
}
