//! Reading one revision directory: its `up.sql`, `down.sql` and
//! `metadata.toml`, with every other entry a defect.

use std::path::Path;

use super::file::{self, Kind, TextFile, Unknown, unreadable};
use super::{FoundRevision, entries, join};
use crate::chain::{Node, Parent};
use crate::defect::{Defect, DefectKind, Defects};
use crate::metadata::{self, Metadata};

/// A revision directory with something wrong in it: the revision as the chain
/// rules can still see it, and what is wrong, in the order it was found.
#[derive(Clone, Debug)]
pub(crate) struct Incomplete {
    pub(crate) node: Node,
    pub(crate) defects: Defects,
}

/// What the files of a revision directory hold, while nothing is wrong.
#[derive(Default)]
struct Files {
    /// `None` until an `up.sql` is read.
    up_sql: Option<String>,
    down_sql: Option<String>,
    /// The defaults of every key until a `metadata.toml` is read.
    metadata: Metadata,
}

/// A revision directory being read.
struct Reading {
    /// What its files hold, or every defect found so far.
    files: Result<Files, Defects>,
    /// Its parent, as far as the chain rules can know it: a root until a
    /// `metadata.toml` says otherwise, unknown when that file is broken.
    parent: Parent,
    /// Whether it holds an `up.sql` file, readable or not.
    has_up_sql: bool,
}

impl Reading {
    /// Adds defects after those already found.
    fn fail(&mut self, defects: Defects) {
        match &mut self.files {
            Ok(_) => self.files = Err(defects),
            Err(found) => found.extend(defects),
        }
    }

    /// Keeps what a file holds, or its defects.
    fn record<T>(&mut self, read: Result<T, Defects>, keep: impl FnOnce(&mut Files, T)) {
        match (read, &mut self.files) {
            (Ok(value), Ok(files)) => keep(files, value),
            (Ok(_), Err(_)) => {}
            (Err(defects), _) => self.fail(defects),
        }
    }
}

/// Reads the revision directory `dir`, named `dir_name` (`<id>_<slug>`) and
/// shown in messages as `shown`.
pub(crate) fn read(
    dir: &Path,
    id: &str,
    slug: &str,
    dir_name: &str,
    shown: &str,
) -> Result<FoundRevision, Box<Incomplete>> {
    let listed = entries(dir).map_err(|error| {
        Box::new(Incomplete {
            node: Node {
                id: id.to_owned(),
                parent: Parent::Unknown,
                dir: shown.to_owned(),
            },
            defects: Defects::one(unreadable(shown, &error)),
        })
    })?;
    let mut reading = Reading {
        files: Ok(Files::default()),
        parent: Parent::Root,
        has_up_sql: false,
    };
    for entry in listed {
        let file_name = entry.file_name();
        let name = file_name.to_string_lossy();
        let path = entry.path();
        let file = join(shown, &name);
        // A file revchain reads that is there, even if it cannot be read, is
        // not missing: only its own defect is reported.
        match &*name {
            "up.sql" => reading.has_up_sql = true,
            "metadata.toml" => reading.parent = Parent::Unknown,
            _ => {}
        }
        let kind = match file::kind(&path, entry.file_type().ok(), &file) {
            Ok(kind) => kind,
            Err(Unknown::Link(defect)) => {
                reading.fail(Defects::one(defect));
                continue;
            }
            Err(Unknown::Io(error)) => {
                reading.fail(Defects::one(unreadable(&file, &error)));
                continue;
            }
        };
        let must_be_a_file =
            matches!(&*name, "up.sql" | "down.sql" | "metadata.toml") || name.starts_with("README");
        if must_be_a_file && kind != Kind::File {
            reading.fail(Defects::one(file::not_a_file(&file, kind)));
            continue;
        }
        match &*name {
            "up.sql" => {
                let read = file::read_text(&path, &file, TextFile::Sql).map_err(Defects::one);
                reading.record(read, |files, text| files.up_sql = Some(text));
            }
            "down.sql" => {
                let read = file::read_text(&path, &file, TextFile::Sql).map_err(Defects::one);
                reading.record(read, |files, text| files.down_sql = Some(text));
            }
            "metadata.toml" => {
                let read = read_metadata(&path, &file);
                reading.parent = match &read {
                    Ok(metadata) => metadata.parent.clone().map_or(Parent::Root, Parent::Named),
                    Err(_) => Parent::Unknown,
                };
                reading.record(read, |files, metadata| files.metadata = metadata);
            }
            other if other.starts_with("README") => {}
            other => reading.fail(Defects::one(Defect::new(
                DefectKind::UnexpectedFile,
                format!("unexpected {} `{other}` in revision `{id}`", if kind == Kind::File { "file" } else { "entry" }),
                vec![file],
                "a revision directory holds only `up.sql`, `down.sql`, `metadata.toml` and a `README*`: rename or remove it",
            ))),
        }
    }
    let missing_up_sql = || {
        Defect::new(
            DefectKind::MissingUpSql,
            format!("revision `{id}` has no `up.sql`"),
            vec![join(shown, "up.sql")],
            "create `up.sql`; a revision that changes nothing can hold just a comment",
        )
    };
    let defects = match reading.files {
        Ok(Files {
            up_sql: Some(up_sql),
            down_sql,
            metadata,
        }) => {
            return Ok(FoundRevision {
                id: id.to_owned(),
                slug: slug.to_owned(),
                dir_name: dir_name.to_owned(),
                dir: shown.to_owned(),
                metadata,
                up_sql,
                down_sql,
            });
        }
        // Nothing else is wrong, and no `up.sql` was read: there is none.
        Ok(Files { up_sql: None, .. }) => Defects::one(missing_up_sql()),
        Err(mut defects) => {
            if !reading.has_up_sql {
                defects.push(missing_up_sql());
            }
            defects
        }
    };
    Err(Box::new(Incomplete {
        node: Node {
            id: id.to_owned(),
            parent: reading.parent,
            dir: shown.to_owned(),
        },
        defects,
    }))
}

/// Reads and parses `metadata.toml`, shown as `shown`.
fn read_metadata(path: &Path, shown: &str) -> Result<Metadata, Defects> {
    let text = file::read_text(path, shown, TextFile::Metadata).map_err(Defects::one)?;
    metadata::parse(&text, shown)
}
