//! What is wrong with a migrations directory, and what to do about it.

use std::fmt;

/// The rule a [`Defect`] breaks. One variant per rule, so that tests and tools
/// can match on it without parsing messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DefectKind {
    /// The migrations directory does not exist, or cannot be read.
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
    /// An SQL file that is not valid UTF-8.
    NotUtf8,
    /// A file that exists but could not be read.
    Unreadable,
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
    pub(crate) fn new(
        kind: DefectKind,
        summary: impl Into<String>,
        locations: Vec<String>,
        help: impl Into<String>,
    ) -> Self {
        Defect {
            kind,
            summary: summary.into(),
            locations,
            help: help.into(),
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
/// order. Never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Defects(Vec<Defect>);

impl Defects {
    pub(crate) fn new(defects: Vec<Defect>) -> Self {
        debug_assert!(!defects.is_empty());
        Defects(defects)
    }

    /// The defects, in the order they were found.
    pub fn iter(&self) -> std::slice::Iter<'_, Defect> {
        self.0.iter()
    }

    /// How many defects there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: a `Defects` holds at least one defect.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether any defect breaks the given rule.
    pub fn contains(&self, kind: DefectKind) -> bool {
        self.0.iter().any(|defect| defect.kind == kind)
    }
}

impl<'a> IntoIterator for &'a Defects {
    type Item = &'a Defect;
    type IntoIter = std::slice::Iter<'a, Defect>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for Defects {
    type Item = Defect;
    type IntoIter = std::vec::IntoIter<Defect>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Defects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, defect) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "error: {defect}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Defects {}
