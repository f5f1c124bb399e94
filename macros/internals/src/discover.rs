//! Reading a migrations directory from disk: its `HEAD` file and its revision
//! directories, with every file checked. Nothing is skipped silently: a file
//! that does not belong is a defect.

use std::fs;
use std::io;
use std::path::Path;

use crate::defect::{Defect, DefectKind};
use crate::metadata::{self, Metadata, line_and_column};
use crate::naming::split_directory_name;

/// What the top level of a migrations directory may hold besides revision
/// directories. `.keep` and `.gitkeep` are the placeholders `diesel setup`
/// and git users leave in an empty directory.
pub(crate) fn allowed_top_level_file(name: &str) -> bool {
    name == "HEAD" || name.starts_with("README") || name == ".keep" || name == ".gitkeep"
}

/// The `HEAD` file as found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum HeadFile {
    Missing,
    Text(String),
    Unreadable,
}

/// `metadata.toml` as found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum MetadataFile {
    Absent,
    Parsed(Metadata),
    Broken,
}

/// One revision directory as found on disk.
#[derive(Clone, Debug)]
pub(crate) struct FoundRevision {
    pub(crate) id: String,
    pub(crate) slug: String,
    pub(crate) dir_name: String,
    pub(crate) dir: String,
    pub(crate) metadata: MetadataFile,
    pub(crate) up_sql: Option<String>,
    pub(crate) down_sql: Option<String>,
}

/// Everything found in a migrations directory, and what is wrong with it.
#[derive(Debug)]
pub(crate) struct Listing {
    pub(crate) head: HeadFile,
    pub(crate) revisions: Vec<FoundRevision>,
    pub(crate) defects: Vec<Defect>,
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
        revisions: Vec::new(),
        defects: Vec::new(),
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
            listing.defects.push(Defect::new(
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
            listing.defects.push(Defect::new(
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
                listing.head = read_head(&path, &shown_path, &mut listing.defects);
            } else if !allowed_top_level_file(name) {
                listing.defects.push(Defect::new(
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
                let revision = read_revision(&path, id, slug, name, &shown_path, &mut listing.defects);
                listing.revisions.push(revision);
            }
            Err(reason) => listing.defects.push(Defect::new(
                DefectKind::InvalidName,
                format!("invalid revision directory name: {reason}"),
                vec![shown_path],
                "rename it to `<id>_<slug>`, where the id uses only letters, digits and `-` (for example `2026-11-24-093000_create_users`)",
            )),
        }
    }
    listing
}

fn read_head(path: &Path, shown: &str, defects: &mut Vec<Defect>) -> HeadFile {
    match fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => HeadFile::Text(text),
            Err(_) => {
                defects.push(Defect::new(
                    DefectKind::HeadStale,
                    format!("`{shown}` is not UTF-8 text"),
                    vec![shown.to_owned()],
                    "write the id of the newest revision in it, on one line",
                ));
                HeadFile::Unreadable
            }
        },
        Err(error) => {
            defects.push(unreadable(shown, &error));
            HeadFile::Unreadable
        }
    }
}

fn unreadable(shown: &str, error: &io::Error) -> Defect {
    Defect::new(
        DefectKind::Unreadable,
        format!("`{shown}` cannot be read: {error}"),
        vec![shown.to_owned()],
        "check its permissions",
    )
}

fn read_revision(
    dir: &Path,
    id: &str,
    slug: &str,
    dir_name: &str,
    shown: &str,
    defects: &mut Vec<Defect>,
) -> FoundRevision {
    let mut revision = FoundRevision {
        id: id.to_owned(),
        slug: slug.to_owned(),
        dir_name: dir_name.to_owned(),
        dir: shown.to_owned(),
        metadata: MetadataFile::Absent,
        up_sql: None,
        down_sql: None,
    };
    let listed = match entries(dir) {
        Ok(listed) => listed,
        Err(error) => {
            defects.push(unreadable(shown, &error));
            revision.metadata = MetadataFile::Broken;
            return revision;
        }
    };
    let mut has_up = false;
    for entry in listed {
        let file_name = entry.file_name();
        let name = file_name.to_string_lossy();
        let path = entry.path();
        let file = join(shown, &name);
        let is_file = file_type(&entry).is_some_and(|kind| kind.is_file());
        match &*name {
            "up.sql" if is_file => {
                has_up = true;
                revision.up_sql = read_text(&path, &file, defects);
            }
            "down.sql" if is_file => revision.down_sql = read_text(&path, &file, defects),
            "metadata.toml" if is_file => {
                revision.metadata = match read_text(&path, &file, defects) {
                    Some(text) => match metadata::parse(&text, &file) {
                        Ok(parsed) => MetadataFile::Parsed(parsed),
                        Err(found) => {
                            defects.extend(found);
                            MetadataFile::Broken
                        }
                    },
                    None => MetadataFile::Broken,
                }
            }
            other if is_file && other.starts_with("README") => {}
            other => defects.push(Defect::new(
                DefectKind::UnexpectedFile,
                format!("unexpected {} `{other}` in revision `{id}`", if is_file { "file" } else { "entry" }),
                vec![file],
                "a revision directory holds only `up.sql`, `down.sql`, `metadata.toml` and a `README*`: rename or remove it",
            )),
        }
    }
    if !has_up {
        defects.push(Defect::new(
            DefectKind::MissingUpSql,
            format!("revision `{id}` has no `up.sql`"),
            vec![join(shown, "up.sql")],
            "create `up.sql`; a revision that changes nothing can hold just a comment",
        ));
    }
    revision
}

fn read_text(path: &Path, shown: &str, defects: &mut Vec<Defect>) -> Option<String> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            defects.push(unreadable(shown, &error));
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..valid]);
            let (line, column) = line_and_column(&prefix, prefix.len());
            defects.push(Defect::new(
                DefectKind::NotUtf8,
                format!(
                    "`{shown}` is not UTF-8: byte 0x{:02x} at line {line}, column {column} is invalid",
                    bytes[valid]
                ),
                vec![format!("{shown}:{line}:{column}")],
                "save the file as UTF-8",
            ));
            None
        }
    }
}
