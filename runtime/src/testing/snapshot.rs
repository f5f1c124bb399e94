//! What the stairway reads of the schema around one revision: the list of
//! every table (one query), and the full definition of the tables the
//! revision's SQL names
//! ([`introspect_some`](revchain_schema::Introspect::introspect_some)).
//! Reading the whole schema twice per revision would cost the square of the
//! history's length; a `down.sql` changes only the tables it names, and any
//! table it drops or leaves behind shows in the list.

use std::collections::HashSet;

use revchain_schema::{Schema, differences};

use super::stairway::StairwayConnection;
use crate::Revision;

/// The words of a revision's `up.sql` and `down.sql`: every run of
/// letters, digits, `_` and `$`, lowercased. A table whose name is one of
/// them (or, for a name with other characters, appears in the text) is one
/// the revision may change. Words from comments and strings only add tables
/// to read.
pub(super) struct Names {
    words: HashSet<String>,
    text: String,
}

impl Names {
    pub(super) fn of(revision: &Revision) -> Self {
        let text = format!(
            "{}\n{}",
            revision.up_sql(),
            revision.down_sql().unwrap_or_default()
        )
        .to_lowercase();
        let words = text
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        Names { words, text }
    }

    /// Whether the revision's SQL may name the table `name`.
    fn names(&self, name: &str) -> bool {
        let lower = name.to_lowercase();
        if lower
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        {
            self.words.contains(&lower)
        } else {
            self.text.contains(&lower)
        }
    }
}

/// The schema as far as one revision is concerned.
pub(super) struct Snapshot {
    /// Every table.
    tables: Vec<String>,
    /// The tables the revision names, in full.
    named: Schema,
}

impl Snapshot {
    /// Reads the list of tables and the tables `names` names.
    pub(super) fn read<C: StairwayConnection>(
        conn: &mut C,
        version_table: &str,
        names: &Names,
    ) -> Result<Self, revchain_schema::IntrospectError> {
        let sample = conn.introspect_some(version_table, &|table| names.names(table))?;
        Ok(Snapshot {
            tables: sample.tables,
            named: sample.schema,
        })
    }

    /// What `actual` has that `self` lacks, and the reverse (see
    /// [`differences`]); tables the revision does not name are compared by
    /// name only.
    pub(super) fn differences(&self, actual: &Snapshot) -> Vec<String> {
        let mut found = differences(&self.named, &actual.named);
        if self.tables == actual.tables {
            // The same list, as nearly always: nothing to look up.
            return found;
        }
        let before: HashSet<&str> = self.tables.iter().map(String::as_str).collect();
        let after: HashSet<&str> = actual.tables.iter().map(String::as_str).collect();
        for table in &self.tables {
            if !after.contains(table.as_str()) && self.named.table(table).is_none() {
                found.push(format!("removed: table `{table}`"));
            }
        }
        for table in &actual.tables {
            if !before.contains(table.as_str()) && actual.named.table(table).is_none() {
                found.push(format!("left behind: table `{table}`"));
            }
        }
        found
    }
}
