//! Replacing files atomically, one or a set. A file's new contents are
//! written to a temporary file beside it (`.<name>.revchain-new`, in the
//! same directory and so on the same file system), which takes the old
//! file's permissions and is flushed to disk before it is renamed over the
//! file: a reader, or the file after a crash, holds the old contents or
//! the new ones, never a part. A set is staged whole before the first
//! rename, so that most failures (a full disk, a directory that cannot be
//! written) change nothing; a rename that fails part-way puts back the
//! files already replaced, from the contents they had.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::error::CliError;

/// What the temporary file of a file named `name` is called.
fn temporary_name(name: &str) -> String {
    format!(".{name}.revchain-new")
}

/// The temporary file beside `target`.
fn temporary_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |name| name.to_string_lossy().into_owned());
    target.with_file_name(temporary_name(&name))
}

/// The temporary file beside a file shown as `shown`, as shown.
fn temporary_shown(shown: &str) -> String {
    match shown.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/{}", temporary_name(name)),
        None => temporary_name(shown),
    }
}

/// Creates the temporary file `path`. One left by a run that stopped
/// half-way is removed first; anything else in the way (a directory) is
/// an error.
fn create(path: &Path) -> io::Result<File> {
    let open = || OpenOptions::new().write(true).create_new(true).open(path);
    match open() {
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            if fs::symlink_metadata(path)?.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "a directory is in the way",
                ));
            }
            fs::remove_file(path)?;
            open()
        }
        other => other,
    }
}

/// New contents of a file, written to its temporary file and flushed, not
/// yet in place. Dropped before [`Staged::place`], it removes its
/// temporary file.
struct Staged {
    temporary: PathBuf,
    target: PathBuf,
    placed: bool,
}

impl Staged {
    /// Writes `bytes` to the temporary file beside `target`, with
    /// `target`'s permissions when it exists, and flushes it to disk.
    fn new(target: &Path, bytes: &[u8]) -> io::Result<Self> {
        let temporary = temporary_path(target);
        let mut file = create(&temporary)?;
        let staged = Staged {
            temporary,
            target: target.to_path_buf(),
            placed: false,
        };
        file.write_all(bytes)?;
        match fs::metadata(target) {
            Ok(metadata) => file.set_permissions(metadata.permissions())?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
        file.sync_all()?;
        Ok(staged)
    }

    /// Renames the temporary file over the target, and flushes the
    /// directory so that the rename survives a crash.
    fn place(mut self) -> io::Result<()> {
        fs::rename(&self.temporary, &self.target)?;
        self.placed = true;
        if let Some(dir) = self.target.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            // Not every file system flushes a directory; the rename is
            // done either way.
            let _ = File::open(dir).and_then(|dir| dir.sync_all());
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.placed {
            let _ = fs::remove_file(&self.temporary);
        }
    }
}

/// Replaces `target` with `bytes` atomically (creating it if need be).
pub(crate) fn replace(target: &Path, bytes: &[u8]) -> io::Result<()> {
    Staged::new(target, bytes)?.place()
}

/// One file of a set to replace.
pub(crate) struct Replacement {
    /// Where it is.
    pub(crate) path: PathBuf,
    /// The file as shown in messages, such as `migrations/HEAD`.
    pub(crate) shown: String,
    /// Its new contents.
    pub(crate) bytes: Vec<u8>,
    /// Its contents now, put back if the set fails part-way; `None`: it
    /// does not exist, and is removed.
    pub(crate) before: Option<Vec<u8>>,
}

/// Why a set was not replaced, and in what state it left the files.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A file could not be staged: no file changed, and the temporary
    /// files are gone.
    Staging {
        /// The file, as shown.
        shown: String,
        /// Its temporary file, as shown.
        temporary: String,
        /// Why.
        error: io::Error,
    },
    /// A rename failed, after others had replaced their files.
    Placing {
        /// The file whose rename failed, as shown: it holds its old contents.
        shown: String,
        /// Why.
        error: io::Error,
        /// The files replaced before it and put back.
        restored: Vec<String>,
        /// The files replaced before it that could not be put back, and
        /// why: they hold their new contents.
        stuck: Vec<(String, io::Error)>,
    },
}

/// Replaces every file of `files` with its new contents, all or nothing as
/// far as the file system allows: each is staged first, then renamed into
/// place in order; when a rename fails, those renamed before it are put
/// back from [`Replacement::before`].
pub(crate) fn replace_all(files: &[Replacement]) -> Result<(), Failure> {
    let mut staged = Vec::with_capacity(files.len());
    for file in files {
        match Staged::new(&file.path, &file.bytes) {
            Ok(one) => staged.push(one),
            Err(error) => {
                return Err(Failure::Staging {
                    shown: file.shown.clone(),
                    temporary: temporary_shown(&file.shown),
                    error,
                });
            }
        }
    }
    // The staged files not placed yet remove their temporaries when this
    // iterator is dropped.
    for (index, one) in staged.into_iter().enumerate() {
        if let Err(error) = one.place() {
            let (restored, stuck) = restore(&files[..index]);
            return Err(Failure::Placing {
                shown: files[index].shown.clone(),
                error,
                restored,
                stuck,
            });
        }
    }
    Ok(())
}

/// Puts back the contents `files` had, newest first: the files restored,
/// and those that could not be, with why.
fn restore(files: &[Replacement]) -> (Vec<String>, Vec<(String, io::Error)>) {
    let mut restored = Vec::new();
    let mut stuck = Vec::new();
    for file in files.iter().rev() {
        let result = match &file.before {
            Some(bytes) => replace(&file.path, bytes),
            None => fs::remove_file(&file.path),
        };
        match result {
            Ok(()) => restored.push(file.shown.clone()),
            Err(error) => stuck.push((file.shown.clone(), error)),
        }
    }
    restored.reverse();
    stuck.reverse();
    (restored, stuck)
}

/// Backticked, comma-separated names.
fn quoted<'a>(names: impl IntoIterator<Item = &'a String>) -> String {
    names
        .into_iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Failure {
    /// The error of a command whose set of files failed; `again` is the
    /// command to run once the cause is fixed, such as `revchain rebase`.
    pub(crate) fn into_error(self, again: &str) -> CliError {
        match self {
            Failure::Staging {
                shown,
                temporary,
                error,
            } => CliError::context(
                format!("cannot write `{shown}` through `{temporary}`; nothing was written"),
                Some(format!(
                    "make room for `{temporary}` (free space, write permission, nothing in its place), then run `{again}` again"
                )),
                error,
            ),
            Failure::Placing {
                shown,
                error,
                restored,
                stuck,
            } if stuck.is_empty() => {
                let state = if restored.is_empty() {
                    "nothing was written".to_owned()
                } else {
                    format!(
                        "{} had been rewritten and {} put back, so nothing changed",
                        quoted(&restored),
                        if restored.len() == 1 { "was" } else { "were" }
                    )
                };
                CliError::context(
                    format!("cannot replace `{shown}`; {state}"),
                    Some(format!("fix the cause, then run `{again}` again")),
                    error,
                )
            }
            Failure::Placing {
                shown,
                error,
                restored,
                stuck,
            } => {
                let reasons = stuck
                    .iter()
                    .map(|(name, error)| format!("`{name}` ({error})"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let put_back = if restored.is_empty() {
                    String::new()
                } else {
                    format!("; {} put back", quoted(&restored))
                };
                let names: Vec<&String> = stuck.iter().map(|(name, _)| name).collect();
                CliError::context(
                    format!(
                        "cannot replace `{shown}`, and cannot put back {reasons}, which {}{put_back}: the directory is half rewritten",
                        if stuck.len() == 1 {
                            "holds its new contents"
                        } else {
                            "hold their new contents"
                        }
                    ),
                    Some(format!(
                        "restore {} from version control (`git checkout -- FILE`), fix the cause, then run `{again}` again",
                        quoted(names)
                    )),
                    error,
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The files of `dir`, with their contents, sorted.
    fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, fs::read(&path).unwrap_or_default())
            })
            .collect();
        files.sort();
        files
    }

    fn replacement(dir: &Path, name: &str, bytes: &str) -> Replacement {
        let path = dir.join(name);
        Replacement {
            before: fs::read(&path).ok(),
            path,
            shown: name.to_owned(),
            bytes: bytes.as_bytes().to_vec(),
        }
    }

    #[test]
    fn replace_keeps_the_permissions_and_leaves_no_temporary_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metadata.toml");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        replace(&path, b"new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        assert_eq!(
            contents(dir.path()),
            [("metadata.toml".into(), b"new".to_vec())]
        );
    }

    #[test]
    fn a_set_that_cannot_be_staged_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a"), "a").unwrap();
        fs::write(dir.path().join("b"), "b").unwrap();
        fs::create_dir(dir.path().join(".b.revchain-new")).unwrap();
        let files = [
            replacement(dir.path(), "a", "new a"),
            replacement(dir.path(), "b", "new b"),
        ];
        let before = contents(dir.path());
        let failure = replace_all(&files).unwrap_err();
        assert!(matches!(&failure, Failure::Staging { shown, .. } if shown == "b"));
        assert_eq!(contents(dir.path()), before);
    }

    #[test]
    fn a_rename_that_fails_part_way_puts_back_the_files_replaced() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a"), "a").unwrap();
        // A directory with a file in it cannot be renamed over: the second
        // rename fails after the first and third files were staged.
        fs::create_dir(dir.path().join("b")).unwrap();
        fs::write(dir.path().join("b/inside"), "").unwrap();
        let files = [
            replacement(dir.path(), "a", "new a"),
            replacement(dir.path(), "new", "a file that was not there"),
            replacement(dir.path(), "b", "new b"),
        ];
        let before = contents(dir.path());
        let failure = replace_all(&files).unwrap_err();
        let Failure::Placing {
            shown,
            restored,
            stuck,
            ..
        } = &failure
        else {
            panic!("not a failure to place: {failure:?}");
        };
        assert_eq!(shown, "b");
        assert_eq!(restored, &["a", "new"]);
        assert!(stuck.is_empty());
        assert_eq!(contents(dir.path()), before);
        assert!(
            failure
                .into_error("revchain rebase")
                .to_string()
                .starts_with(
                    "cannot replace `b`; `a`, `new` had been rewritten and were put back, so nothing changed"
                )
        );
    }
}
