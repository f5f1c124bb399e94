//! Reading a migrations directory from disk: its `HEAD` file and its revision
//! directories, with every file checked. Nothing is skipped silently: a file
//! that does not belong is a defect.

mod revision;

use std::fs;
use std::io;
use std::path::Path;

use crate::chain::Node;
use crate::defect::{Defect, DefectKind, Defects};
use crate::metadata::Metadata;
use crate::naming::split_directory_name;

pub(crate) use revision::{Incomplete, read as read_revision};

/// What the top level of a migrations directory may hold besides revision
/// directories. `.keep` and `.gitkeep` are the placeholders `diesel setup`
/// and git users leave in an empty directory.
///
/// ```
/// use revchain_internals::allowed_top_level_file;
///
/// assert!(allowed_top_level_file("HEAD") && allowed_top_level_file("README.md"));
/// assert!(!allowed_top_level_file("seed.csv"));
/// ```
pub fn allowed_top_level_file(name: &str) -> bool {
    name == "HEAD" || name.starts_with("README") || name == ".keep" || name == ".gitkeep"
}

/// The `HEAD` file as found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HeadFile {
    Missing,
    Text(String),
    Unreadable,
}

/// A revision directory that holds everything a revision needs, with
/// nothing wrong in it.
#[derive(Clone, Debug)]
pub(crate) struct FoundRevision {
    pub(crate) id: String,
    pub(crate) slug: String,
    pub(crate) dir_name: String,
    pub(crate) dir: String,
    /// `metadata.toml`, or the defaults of every key when there is none.
    pub(crate) metadata: Metadata,
    pub(crate) up_sql: String,
    pub(crate) down_sql: Option<String>,
}

impl FoundRevision {
    /// The revision as the chain rules see it.
    fn into_node(self) -> Node {
        Node::known(self.id, self.metadata.parent, self.dir)
    }
}

/// The revision directories of a migrations directory, and whether anything
/// in it is wrong.
#[derive(Debug)]
pub(crate) enum Revisions {
    /// Nothing is wrong: every revision directory is complete.
    Complete(Vec<FoundRevision>),
    /// Something is wrong: every revision as the chain rules see it, and
    /// every defect, in the order they were found.
    Incomplete { nodes: Vec<Node>, defects: Defects },
}

impl Revisions {
    /// Adds the next revision directory.
    fn add(self, found: Result<FoundRevision, Box<Incomplete>>) -> Self {
        match (self, found) {
            (Revisions::Complete(mut revisions), Ok(revision)) => {
                revisions.push(revision);
                Revisions::Complete(revisions)
            }
            (Revisions::Complete(revisions), Err(incomplete)) => {
                let mut nodes: Vec<Node> = revisions
                    .into_iter()
                    .map(FoundRevision::into_node)
                    .collect();
                nodes.push(incomplete.node);
                Revisions::Incomplete {
                    nodes,
                    defects: incomplete.defects,
                }
            }
            (Revisions::Incomplete { mut nodes, defects }, Ok(revision)) => {
                nodes.push(revision.into_node());
                Revisions::Incomplete { nodes, defects }
            }
            (
                Revisions::Incomplete {
                    mut nodes,
                    mut defects,
                },
                Err(incomplete),
            ) => {
                nodes.push(incomplete.node);
                defects.extend(incomplete.defects);
                Revisions::Incomplete { nodes, defects }
            }
        }
    }

    /// Adds a defect of the directory itself.
    fn report(self, defect: Defect) -> Self {
        match self {
            Revisions::Complete(revisions) => Revisions::Incomplete {
                nodes: revisions
                    .into_iter()
                    .map(FoundRevision::into_node)
                    .collect(),
                defects: Defects::one(defect),
            },
            Revisions::Incomplete { nodes, mut defects } => {
                defects.push(defect);
                Revisions::Incomplete { nodes, defects }
            }
        }
    }
}

/// Everything found in a migrations directory, and what is wrong with it.
#[derive(Debug)]
pub(crate) struct Listing {
    pub(crate) head: HeadFile,
    pub(crate) revisions: Revisions,
}

/// Joins a display path and a name with `/`.
pub(crate) fn join(display: &str, name: &str) -> String {
    if display.is_empty() || display == "." {
        name.to_owned()
    } else {
        format!("{}/{name}", display.trim_end_matches(['/', '\\']))
    }
}

/// What an entry is, following a symbolic link as reading it would. The
/// listing usually says already, which saves a `stat` per file: a history
/// of thousands of revisions is read on every build.
fn file_type(entry: &fs::DirEntry) -> Option<fs::FileType> {
    match entry.file_type() {
        Ok(kind) if !kind.is_symlink() => Some(kind),
        _ => fs::metadata(entry.path()).ok().map(|meta| meta.file_type()),
    }
}

fn entries(dir: &Path) -> io::Result<Vec<fs::DirEntry>> {
    let mut entries = fs::read_dir(dir)?.collect::<io::Result<Vec<_>>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    Ok(entries)
}

/// Lists `dir`, shown in messages as `display`.
pub(crate) fn list(dir: &Path, display: &str) -> Listing {
    let mut listing = Listing {
        head: HeadFile::Missing,
        revisions: Revisions::Complete(Vec::new()),
    };
    let shown = if display.is_empty() { "." } else { display };
    let top = match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => entries(dir),
        Ok(_) => Err(io::Error::other("it is a file, not a directory")),
        Err(error) => Err(error),
    };
    let top = match top {
        Ok(top) => top,
        Err(error) => {
            let reason = if error.kind() == io::ErrorKind::NotFound {
                "it does not exist".to_owned()
            } else {
                error.to_string()
            };
            listing.revisions = listing.revisions.report(Defect::new(
                DefectKind::DirectoryNotFound,
                format!("migrations directory `{shown}` not found: {reason}"),
                vec![shown.to_owned()],
                "create it with a first revision (`revchain revision -m \"...\"`), or correct the path",
            ));
            return listing;
        }
    };

    for entry in top {
        let file_name = entry.file_name();
        let Some(name) = file_name.to_str() else {
            let lossy = file_name.to_string_lossy();
            listing.revisions = listing.revisions.report(Defect::new(
                DefectKind::InvalidName,
                format!("`{lossy}` in `{shown}` has a name that is not UTF-8"),
                vec![join(display, &lossy)],
                "rename it: a revision directory is named `<id>_<slug>` in plain ASCII",
            ));
            continue;
        };
        let path = entry.path();
        let shown_path = join(display, name);
        let is_dir = file_type(&entry).is_some_and(|kind| kind.is_dir());
        if !is_dir {
            if name == "HEAD" {
                listing.head = match read_head(&path, &shown_path) {
                    Ok(text) => HeadFile::Text(text),
                    Err(defect) => {
                        listing.revisions = listing.revisions.report(defect);
                        HeadFile::Unreadable
                    }
                };
            } else if !allowed_top_level_file(name) {
                listing.revisions = listing.revisions.report(Defect::new(
                    DefectKind::StrayFile,
                    format!("stray file `{name}` in `{shown}`: only `HEAD`, a `README*` and revision directories belong there"),
                    vec![shown_path],
                    "move it into a revision directory or out of the migrations directory",
                ));
            }
            continue;
        }
        match split_directory_name(name) {
            Ok((id, slug)) => {
                let revision = revision::read(&path, id, slug, name, &shown_path);
                listing.revisions = listing.revisions.add(revision);
            }
            Err(reason) => listing.revisions = listing.revisions.report(Defect::new(
                DefectKind::InvalidName,
                format!("invalid revision directory name: {reason}"),
                vec![shown_path],
                "rename it to `<id>_<slug>`, where the id uses only letters, digits and `-` (for example `2026-11-24-093000_create_users`)",
            )),
        }
    }
    listing
}

/// Reads `HEAD`, shown as `shown`.
fn read_head(path: &Path, shown: &str) -> Result<String, Defect> {
    let bytes = fs::read(path).map_err(|error| unreadable(shown, &error))?;
    String::from_utf8(bytes).map_err(|_| {
        Defect::new(
            DefectKind::HeadStale,
            format!("`{shown}` is not UTF-8 text"),
            vec![shown.to_owned()],
            "write the id of the newest revision in it, on one line",
        )
    })
}

fn unreadable(shown: &str, error: &io::Error) -> Defect {
    Defect::new(
        DefectKind::Unreadable,
        format!("`{shown}` cannot be read: {error}"),
        vec![shown.to_owned()],
        "check its permissions",
    )
}
