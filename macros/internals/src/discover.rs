//! Reading a migrations directory from disk: its `HEAD` file and its revision
//! directories, with every file checked. Nothing is skipped silently: a file
//! that does not belong is a defect.

pub(crate) mod file;
mod revision;

use std::fs;
use std::io;
use std::path::Path;

use crate::chain::Node;
use crate::defect::{Defect, DefectKind, Defects};
use crate::metadata::Metadata;
use crate::naming::split_directory_name;

use file::{Kind, TextFile, Unknown, unreadable};
pub use file::{MAX_HEAD_FILE_BYTES, MAX_METADATA_FILE_BYTES, MAX_SQL_FILE_BYTES};
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

fn entries(dir: &Path) -> io::Result<Vec<fs::DirEntry>> {
    let mut entries = fs::read_dir(dir)?.collect::<io::Result<Vec<_>>>()?;
    entries.sort_by_key(fs::DirEntry::file_name);
    Ok(entries)
}

/// Whether nothing at all is at `path`: no file, no directory, no symbolic
/// link (a dangling one is something), and nothing that cannot be looked at
/// (a directory above it that cannot be entered hides what is there). A
/// missing migrations directory is a new, empty history only in this case;
/// anything else is for [`load`](crate::load) to read and judge, so that a
/// directory that cannot be read is never taken for an empty one.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// assert!(revchain_internals::is_absent(&dir.path().join("migrations")));
/// assert!(!revchain_internals::is_absent(dir.path()));
/// # #[cfg(unix)]
/// # {
/// let link = dir.path().join("link");
/// std::os::unix::fs::symlink("nowhere", &link)?;
/// assert!(!revchain_internals::is_absent(&link));
/// # }
/// # Ok(())
/// # }
/// ```
pub fn is_absent(path: &Path) -> bool {
    matches!(fs::symlink_metadata(path), Err(error) if error.kind() == io::ErrorKind::NotFound)
}

/// Lists `dir`, shown in messages as `display`.
pub(crate) fn list(dir: &Path, display: &str) -> Listing {
    let mut listing = Listing {
        head: HeadFile::Missing,
        revisions: Revisions::Complete(Vec::new()),
    };
    let shown = if display.is_empty() { "." } else { display };
    let top = match file::kind(dir, None, shown) {
        Ok(Kind::Dir) => entries(dir).map_err(|error| directory_defect(shown, &error)),
        Ok(Kind::File) => Err(not_found(shown, "it is a file, not a directory")),
        Ok(Kind::Other(what)) => Err(not_found(shown, &format!("it is {what}, not a directory"))),
        Err(Unknown::Link(defect)) => Err(defect),
        Err(Unknown::Io(error)) => Err(directory_defect(shown, &error)),
    };
    let top = match top {
        Ok(top) => top,
        Err(defect) => {
            listing.revisions = listing.revisions.report(defect);
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
        let kind = match file::kind(&path, entry.file_type().ok(), &shown_path) {
            Ok(kind) => kind,
            Err(unknown) => {
                if name == "HEAD" {
                    listing.head = HeadFile::Unreadable;
                }
                let defect = match unknown {
                    Unknown::Link(defect) => defect,
                    Unknown::Io(error) => unreadable(&shown_path, &error),
                };
                listing.revisions = listing.revisions.report(defect);
                continue;
            }
        };
        if name == "HEAD" {
            let read = match kind {
                Kind::File => file::read_text(&path, &shown_path, TextFile::Head),
                other => Err(file::not_a_file(&shown_path, other)),
            };
            listing.head = match read {
                Ok(text) => HeadFile::Text(text),
                Err(defect) => {
                    listing.revisions = listing.revisions.report(defect);
                    HeadFile::Unreadable
                }
            };
            continue;
        }
        if kind != Kind::Dir {
            if allowed_top_level_file(name) {
                if kind != Kind::File {
                    let defect = file::not_a_file(&shown_path, kind);
                    listing.revisions = listing.revisions.report(defect);
                }
            } else {
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

/// The defect of a migrations directory `shown` that is not a directory, or
/// is not there: `reason` says which.
fn not_found(shown: &str, reason: &str) -> Defect {
    Defect::new(
        DefectKind::DirectoryNotFound,
        format!("migrations directory `{shown}` not found: {reason}"),
        vec![shown.to_owned()],
        "create it with a first revision (`revchain revision -m \"...\"`), or correct the path",
    )
}

/// The defect of a migrations directory `shown` that could not be listed:
/// not found when it does not exist, else unreadable, with the reason.
fn directory_defect(shown: &str, error: &io::Error) -> Defect {
    match error.kind() {
        io::ErrorKind::NotFound => return not_found(shown, "it does not exist"),
        io::ErrorKind::NotADirectory => {
            return not_found(shown, "a part of its path is a file, not a directory");
        }
        _ => {}
    }
    let help = if error.kind() == io::ErrorKind::PermissionDenied {
        format!(
            "give the user running revchain permission to list and enter `{shown}` and the directories above it (`chmod u+rx`), or correct the path"
        )
    } else {
        "check that it is a readable directory, or correct the path".to_owned()
    };
    Defect::new(
        DefectKind::Unreadable,
        format!(
            "migrations directory `{shown}` cannot be read: {}",
            file::reason(error)
        ),
        vec![shown.to_owned()],
        help,
    )
}
