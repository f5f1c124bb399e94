//! The history an import writes: each migration with its parent, its
//! directory and its `metadata.toml`, in the tool's order.

use super::{Foreign, Layout, shown};
use crate::cli::args::ImportTool;

/// One revision to write.
#[derive(Debug)]
pub(crate) struct Planned {
    pub(crate) foreign: Foreign,
    pub(crate) parent: Option<String>,
    /// `<id>_<slug>`.
    pub(crate) dir_name: String,
    /// The directory as shown in messages.
    pub(crate) dir: String,
    /// The whole `metadata.toml`, or `None` when the revision needs none
    /// (a root with no metadata of its own).
    pub(crate) metadata: Option<String>,
}

/// The `metadata.toml` line of a revision outside a transaction.
pub(crate) const NO_TRANSACTION: &str = "run_in_transaction = false";

/// The whole history to write.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) tool: ImportTool,
    /// The target directory, as shown in messages.
    pub(crate) display: String,
    pub(crate) revisions: Vec<Planned>,
    /// Top-level files that stay (`README*`, `.keep`, `.gitkeep`).
    pub(crate) kept_files: Vec<String>,
}

impl Plan {
    /// Chains the migrations of `layout`, in its order, into `display`.
    pub(crate) fn new(tool: ImportTool, layout: Layout, display: &str) -> Self {
        let mut revisions: Vec<Planned> = Vec::with_capacity(layout.migrations.len());
        for foreign in layout.migrations {
            let parent = revisions.last().map(|r| r.foreign.id.clone());
            let dir_name = format!("{}_{}", foreign.id, foreign.slug);
            let metadata = metadata(parent.as_deref(), &foreign);
            revisions.push(Planned {
                dir: shown(display, &dir_name),
                dir_name,
                parent,
                metadata,
                foreign,
            });
        }
        Plan {
            tool,
            display: display.to_owned(),
            revisions,
            kept_files: layout.kept_files,
        }
    }

    /// The id `HEAD` names.
    pub(crate) fn head(&self) -> Option<&str> {
        self.revisions.last().map(|r| r.foreign.id.as_str())
    }
}

/// `parent = "…"`, then the tool's own `metadata.toml` byte for byte, then
/// the lines the import adds.
fn metadata(parent: Option<&str>, foreign: &Foreign) -> Option<String> {
    if parent.is_none() && foreign.metadata.is_none() && foreign.extra_metadata.is_empty() {
        return None;
    }
    let mut text = String::new();
    if let Some(parent) = parent {
        // An id is `[A-Za-z0-9-]`: nothing to escape.
        text.push_str(&format!("parent = \"{parent}\"\n"));
    }
    if let Some(original) = &foreign.metadata {
        text.push_str(original);
        if !original.is_empty() && !original.ends_with('\n') && !foreign.extra_metadata.is_empty() {
            text.push('\n');
        }
    }
    for line in &foreign.extra_metadata {
        text.push_str(line);
        text.push('\n');
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn foreign(id: &str) -> Foreign {
        Foreign {
            id: id.to_owned(),
            slug: "x".to_owned(),
            ..Foreign::default()
        }
    }

    #[test]
    fn each_revision_names_the_one_before_as_parent() {
        let layout = Layout {
            migrations: vec![foreign("1"), foreign("2"), foreign("3")],
            kept_files: Vec::new(),
        };
        let plan = Plan::new(ImportTool::Diesel, layout, "migrations");
        let parents: Vec<_> = plan.revisions.iter().map(|r| r.parent.as_deref()).collect();
        assert_eq!(parents, [None, Some("1"), Some("2")]);
        assert_eq!(plan.revisions[0].metadata, None);
        assert_eq!(plan.revisions[1].dir, "migrations/2_x");
        assert_eq!(plan.head(), Some("3"));
    }

    #[test]
    fn the_tools_metadata_follows_the_parent_byte_for_byte() {
        let mut second = foreign("2");
        second.metadata = Some("# keep me\nrun_in_transaction = false".to_owned());
        second.extra_metadata = vec!["message = \"m\"".to_owned()];
        let layout = Layout {
            migrations: vec![foreign("1"), second],
            kept_files: Vec::new(),
        };
        let plan = Plan::new(ImportTool::Diesel, layout, "m");
        assert_eq!(
            plan.revisions[1].metadata.as_deref(),
            Some("parent = \"1\"\n# keep me\nrun_in_transaction = false\nmessage = \"m\"\n")
        );
    }
}
