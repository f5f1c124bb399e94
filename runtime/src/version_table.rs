//! The name of the version table, checked once for every way it is given
//! (`Migrator::version_table`, `--version-table`, `version_table` in a config
//! file, `Embedded::default_version_table`), and the names derived from it.
//!
//! The rules hold for every dialect, so that a name that works on one
//! database works on all of them and in every `--sql` script:
//!
//! - not empty, and no leading or trailing whitespace;
//! - no control character (a NUL byte included);
//! - no `.`: revchain's tables live in the connection's own schema
//!   (PostgreSQL's `search_path`, MySQL's database). A dotted name would be
//!   one identifier holding a dot, not `schema.table`, which is never what
//!   was meant;
//! - each table revchain creates (`<name>`, `<name>_log`, `<name>_lock`)
//!   fits in [`MAX_TABLE_NAME_BYTES`] bytes: PostgreSQL cuts identifiers
//!   at 63 bytes without an error, so a longer log table's name would
//!   land on another table (MySQL allows 64 characters, SQLite any).

use revchain_internals::excerpt;

use crate::error::Error;

/// The longest table name revchain creates, in bytes: PostgreSQL's limit
/// (`NAMEDATALEN - 1`), the smallest of the three databases'.
pub const MAX_TABLE_NAME_BYTES: usize = 63;

/// The suffixes of the tables named after the version table: its log and
/// its lock.
const SUFFIXES: [&str; 2] = ["_log", "_lock"];

/// A version table name that every database keeps as it is, and the names
/// of the tables derived from it.
///
/// ```
/// use revchain::VersionTable;
///
/// let table = VersionTable::new("app_versions").unwrap();
/// assert_eq!(table.log(), "app_versions_log");
/// assert_eq!(table.lock(), "app_versions_lock");
///
/// assert!(VersionTable::new("").is_err());
/// assert!(VersionTable::new("public.versions").is_err());
/// // Its `_lock` table would have 64 bytes: PostgreSQL would cut it.
/// assert!(VersionTable::new("v".repeat(59)).is_err());
/// assert!(VersionTable::new("v".repeat(58)).is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionTable {
    name: String,
}

impl VersionTable {
    /// Checks `name` (see the [module](self) for the rules); the error,
    /// [`Error::VersionTableName`], says what is wrong and what to do.
    pub fn new(name: impl Into<String>) -> Result<Self, Error> {
        let name = name.into();
        match problem(&name) {
            None => Ok(VersionTable { name }),
            Some(reason) => Err(Error::VersionTableName {
                name: excerpt(&name).into_owned(),
                reason,
            }),
        }
    }

    /// The version table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The log table's name: `<name>_log`.
    pub fn log(&self) -> String {
        format!("{}_log", self.name)
    }

    /// The `table` lock's table name: `<name>_lock`.
    pub fn lock(&self) -> String {
        format!("{}_lock", self.name)
    }
}

/// What is wrong with `name` as a version table name, if anything.
fn problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".to_owned());
    }
    if name.trim() != name {
        return Some("it starts or ends with whitespace".to_owned());
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Some(format!("it contains the control character {c:?}"));
    }
    if name.contains('.') {
        return Some(
            "it contains `.`: revchain's tables live in the connection's schema (PostgreSQL's `search_path`, MySQL's database), and a dotted name is not read as `schema.table`".to_owned(),
        );
    }
    let longest = SUFFIXES
        .iter()
        .map(|suffix| suffix.len())
        .max()
        .unwrap_or(0);
    if name.len() + longest > MAX_TABLE_NAME_BYTES {
        return Some(format!(
            "it is {} bytes long, so its lock table `<name>_lock` would have {}, more than the {MAX_TABLE_NAME_BYTES} PostgreSQL keeps (it cuts longer names, and the tables would collide); at most {} bytes fit",
            name.len(),
            name.len() + longest,
            MAX_TABLE_NAME_BYTES - longest
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_name_is_valid() {
        assert!(VersionTable::new(crate::DEFAULT_VERSION_TABLE).is_ok());
    }

    #[test]
    fn names_with_quotes_and_spaces_inside_are_valid() {
        // Quoted as identifiers, whatever they hold.
        for name in ["app schema \"version\"", "v`x", "v'x", "Versions"] {
            assert!(VersionTable::new(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn empty_dotted_padded_and_control_names_are_refused() {
        for name in ["", "public.versions", " v", "v ", "v\0x", "v\nx"] {
            assert!(VersionTable::new(name).is_err(), "{name:?}");
        }
    }

    #[test]
    fn every_derived_name_must_fit_in_63_bytes() {
        assert!(VersionTable::new("v".repeat(58)).is_ok());
        let error = VersionTable::new("v".repeat(59)).unwrap_err().to_string();
        assert!(error.contains("59 bytes long"), "{error}");
        assert!(error.contains("at most 58 bytes fit"), "{error}");
        // Bytes, not characters: PostgreSQL counts bytes.
        assert!(VersionTable::new("é".repeat(30)).is_err());
    }

    #[test]
    fn a_huge_name_is_not_echoed_whole() {
        let error = VersionTable::new("v".repeat(1_000_000))
            .unwrap_err()
            .to_string();
        assert!(error.len() < 1_000, "{error}");
    }
}
