//! What the entries of a migrations directory are, and reading the files
//! revchain reads (`HEAD`, `up.sql`, `down.sql`, `metadata.toml`) safely.
//!
//! - **Links are followed**, wherever they lead. One that leads nowhere (its
//!   target does not exist, or it loops) is a defect that calls it a link,
//!   never "not found" or "unexpected entry".
//! - **Only regular files are read.** A FIFO, socket, device or directory
//!   where a file is read is a defect, never a hang. The type is known from
//!   the listing (or one `stat` for a link) before anything is opened, so a
//!   device is not even opened. The file is then opened with `O_NONBLOCK`
//!   (on unix), so that a FIFO swapped in after that check does not block
//!   the open, and the opened handle's own metadata is checked again: what is
//!   read is what was checked, with no window between the two.
//! - **Sizes are capped**: a file over its cap is a defect naming its size
//!   and the cap, and at most the cap and one byte are ever read, so a file
//!   that grows while it is read is never read whole.
//! - **Text only**: a file that is not UTF-8, or holds a NUL byte (which no
//!   database accepts in SQL text, and which a file saved as UTF-16 holds in
//!   every other byte), is a defect naming the line and column.

use std::fs::{self, File, FileType};
use std::io::{self, Read};
use std::path::Path;

use crate::defect::{Defect, DefectKind};
use crate::metadata::line_and_column;

/// The most revchain reads of one `up.sql` or `down.sql`: 16 MiB. A larger
/// SQL file is a defect: bulk data belongs in a file the SQL loads (such as
/// PostgreSQL's `COPY … FROM`), or in several revisions.
pub const MAX_SQL_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The most revchain reads of `HEAD`: 64 KiB, far more than the one id of
/// at most 50 characters it holds, even with git conflict markers.
pub const MAX_HEAD_FILE_BYTES: u64 = 64 * 1024;

/// The most revchain reads of one `metadata.toml`: 64 KiB, room for a long
/// `message` besides `parent` and `run_in_transaction`.
pub const MAX_METADATA_FILE_BYTES: u64 = 64 * 1024;

/// A file revchain reads, and so its cap and how messages name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextFile {
    Head,
    Metadata,
    Sql,
}

impl TextFile {
    /// The most bytes read of it.
    fn cap(self) -> u64 {
        match self {
            TextFile::Head => MAX_HEAD_FILE_BYTES,
            TextFile::Metadata => MAX_METADATA_FILE_BYTES,
            TextFile::Sql => MAX_SQL_FILE_BYTES,
        }
    }

    /// What it is, in a sentence.
    fn noun(self) -> &'static str {
        match self {
            TextFile::Head => "`HEAD`",
            TextFile::Metadata => "a `metadata.toml`",
            TextFile::Sql => "an SQL file",
        }
    }

    /// What to do with one that is too large.
    fn shorten(self) -> &'static str {
        match self {
            TextFile::Head => "`HEAD` holds one line: the id of the newest revision",
            TextFile::Metadata => {
                "`metadata.toml` holds `parent`, `message` and `run_in_transaction`: shorten the message"
            }
            TextFile::Sql => {
                "split it into several revisions, or load bulk data from a file the SQL names (such as PostgreSQL's `COPY … FROM`)"
            }
        }
    }
}

/// What an entry of a directory is, links followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A regular file, or a link to one.
    File,
    /// A directory, or a link to one.
    Dir,
    /// Anything else, said in words: `a FIFO (named pipe)`, `a socket`, …
    Other(&'static str),
}

impl Kind {
    /// What it is, in words: `a regular file`, `a directory`, `a FIFO (named
    /// pipe)`, …
    fn words(self) -> &'static str {
        match self {
            Kind::File => "a regular file",
            Kind::Dir => "a directory",
            Kind::Other(what) => what,
        }
    }
}

/// Why the kind of an entry is not known.
#[derive(Debug)]
pub(crate) enum Unknown {
    /// It is a link that leads nowhere: the defect says so.
    Link(Defect),
    /// It is not a link, and cannot be looked at.
    Io(io::Error),
}

/// What `path` (shown as `shown`) is, following links as reading it would.
/// `listed` is the type the directory listing gave, when there was one: it
/// saves a `stat` per file that is not a link, since a history of thousands
/// of revisions is read on every build.
pub(crate) fn kind(path: &Path, listed: Option<FileType>, shown: &str) -> Result<Kind, Unknown> {
    if let Some(listed) = listed.filter(|listed| !listed.is_symlink()) {
        return Ok(classify(listed));
    }
    match fs::metadata(path) {
        Ok(meta) => Ok(classify(meta.file_type())),
        Err(error) => {
            let is_link = match listed {
                Some(listed) => listed.is_symlink(),
                None => fs::symlink_metadata(path).is_ok_and(|meta| meta.is_symlink()),
            };
            if is_link {
                Err(Unknown::Link(broken_link(path, shown, &error)))
            } else {
                Err(Unknown::Io(error))
            }
        }
    }
}

fn classify(kind: FileType) -> Kind {
    if kind.is_file() {
        Kind::File
    } else if kind.is_dir() {
        Kind::Dir
    } else {
        Kind::Other(special(kind))
    }
}

/// A file type that is neither a regular file nor a directory, in words.
#[cfg(unix)]
fn special(kind: FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else {
        "a special file"
    }
}

/// A file type that is neither a regular file nor a directory, in words.
#[cfg(not(unix))]
fn special(_kind: FileType) -> &'static str {
    "a special file"
}

/// The defect of a link at `path` whose target could not be looked at.
fn broken_link(path: &Path, shown: &str, error: &io::Error) -> Defect {
    let target = fs::read_link(path)
        .map(|target| target.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (summary, help) = if error.kind() == io::ErrorKind::NotFound {
        (
            format!(
                "`{shown}` is a dangling symbolic link: nothing exists at `{target}`, where it points"
            ),
            "point the link at an existing file or directory, or replace it with the file itself"
                .to_owned(),
        )
    } else if is_loop(error) {
        (
            format!(
                "`{shown}` is a symbolic link that never reaches a file: following it (to `{target}`) loops, or passes through too many links"
            ),
            "point the link at a file or directory that is not a link to itself, or replace it with the file itself"
                .to_owned(),
        )
    } else {
        (
            format!(
                "`{shown}` is a symbolic link to `{target}` that cannot be followed: {}",
                reason(error)
            ),
            format!("check the permissions of the directories on the way to `{target}`"),
        )
    };
    Defect::new(
        DefectKind::BrokenLink,
        summary,
        vec![shown.to_owned()],
        help,
    )
}

/// Whether following links failed because they loop (`ELOOP`).
#[cfg(unix)]
fn is_loop(error: &io::Error) -> bool {
    error.raw_os_error() == Some(libc::ELOOP)
}

/// Whether following links failed because they loop.
#[cfg(not(unix))]
fn is_loop(error: &io::Error) -> bool {
    // ERROR_CANT_RESOLVE_FILENAME: Windows' error for a loop of links.
    error.raw_os_error() == Some(1921)
}

/// An I/O error in words, lowercase: `permission denied`,
/// `it does not exist`, …
pub(crate) fn reason(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::NotFound => "it does not exist".to_owned(),
        _ => {
            let text = error.to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => text,
            }
        }
    }
}

/// The defect of a file or directory that exists but cannot be read.
pub(crate) fn unreadable(shown: &str, error: &io::Error) -> Defect {
    let help = if error.kind() == io::ErrorKind::PermissionDenied {
        format!(
            "give the user running revchain permission to read `{shown}` (for a directory, to list and enter it: `chmod u+rx`)"
        )
    } else {
        "check that it is a readable file or directory".to_owned()
    };
    Defect::new(
        DefectKind::Unreadable,
        format!("`{shown}` cannot be read: {}", reason(error)),
        vec![shown.to_owned()],
        help,
    )
}

/// The defect of something read as a file whose [`kind`] is not
/// [`Kind::File`] (callers look first): a directory, a FIFO, a socket, …
pub(crate) fn not_a_file(shown: &str, kind: Kind) -> Defect {
    Defect::new(
        DefectKind::NotRegularFile,
        format!("`{shown}` is {}, not a regular file", kind.words()),
        vec![shown.to_owned()],
        "replace it with a regular file: revchain reads only regular files (and follows a symbolic link to one)",
    )
}

/// Opens `path` for reading. On unix with `O_NONBLOCK`, so that opening a
/// FIFO does not wait for a writer (reading a regular file ignores the flag),
/// and `O_NOCTTY`, so that a terminal never becomes the controlling one.
#[cfg(unix)]
fn open(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

/// Opens `path` for reading.
#[cfg(not(unix))]
fn open(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// Reads the regular file `path` (shown as `shown`) as text: at most its
/// cap, UTF-8 and without NUL bytes.
pub(crate) fn read_text(path: &Path, shown: &str, file: TextFile) -> Result<String, Defect> {
    let mut handle = open(path).map_err(|error| unreadable(shown, &error))?;
    let meta = handle
        .metadata()
        .map_err(|error| unreadable(shown, &error))?;
    if !meta.is_file() {
        return Err(not_a_file(shown, classify(meta.file_type())));
    }
    let cap = file.cap();
    if meta.len() > cap {
        return Err(too_large(shown, file, Some(meta.len())));
    }
    // At most the cap, so the size fits; a file that grows reallocates.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or_default());
    (&mut handle)
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| unreadable(shown, &error))?;
    if bytes.len() as u64 > cap {
        // It grew since its size was looked at.
        return Err(too_large(shown, file, None));
    }
    let text = utf8(bytes, shown)?;
    match text.find('\0') {
        None => Ok(text),
        Some(offset) => Err(nul_byte(&text, offset, shown, file)),
    }
}

/// Renders a cap: `16 MiB`, `64 KiB`.
fn render_cap(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    if bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The defect of a file over its cap; `size` when it is known.
fn too_large(shown: &str, file: TextFile, size: Option<u64>) -> Defect {
    let cap = file.cap();
    let size = match size {
        Some(size) => format!("{size} bytes"),
        None => format!("more than {cap} bytes"),
    };
    Defect::new(
        DefectKind::FileTooLarge,
        format!(
            "`{shown}` is too large: {size}, over the {} ({cap} bytes) that revchain reads of {}",
            render_cap(cap),
            file.noun()
        ),
        vec![shown.to_owned()],
        file.shorten(),
    )
}

/// The bytes as text, or the defect naming the first byte that is not UTF-8.
fn utf8(bytes: Vec<u8>, shown: &str) -> Result<String, Defect> {
    String::from_utf8(bytes).map_err(|error| {
        let valid = error.utf8_error().valid_up_to();
        let bytes = error.into_bytes();
        let prefix = String::from_utf8_lossy(&bytes[..valid]);
        let (line, column) = line_and_column(&prefix, prefix.len());
        let byte = bytes.get(valid).copied().unwrap_or_default();
        Defect::new(
            DefectKind::NotUtf8,
            format!(
                "`{shown}` is not UTF-8: byte 0x{byte:02x} at line {line}, column {column} is invalid"
            ),
            vec![format!("{shown}:{line}:{column}")],
            "save the file as UTF-8",
        )
    })
}

/// The defect of a NUL byte at `offset` of `text`.
fn nul_byte(text: &str, offset: usize, shown: &str, file: TextFile) -> Defect {
    let (line, column) = line_and_column(text, offset);
    let why = match file {
        TextFile::Sql => ", which no database accepts in SQL text",
        TextFile::Head | TextFile::Metadata => "",
    };
    Defect::new(
        DefectKind::NulByte,
        format!(
            "`{shown}` holds a NUL byte at line {line}, column {column} (byte offset {offset}){why}"
        ),
        vec![format!("{shown}:{line}:{column}")],
        "remove it; a file with a NUL byte after every character was saved as UTF-16: save it as UTF-8",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_render_in_their_unit() {
        assert_eq!(render_cap(MAX_SQL_FILE_BYTES), "16 MiB");
        assert_eq!(render_cap(MAX_HEAD_FILE_BYTES), "64 KiB");
        assert_eq!(render_cap(1000), "1000 bytes");
    }

    #[test]
    fn io_reasons_are_lowercase() {
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        assert_eq!(reason(&denied), "permission denied");
        let other = io::Error::other("Something Odd");
        assert_eq!(reason(&other), "something Odd");
    }

    #[test]
    fn a_nul_byte_is_placed_by_line_column_and_offset() {
        let defect = nul_byte("SELECT 1;\nSELECT \0;", 17, "m/1_a/up.sql", TextFile::Sql);
        assert_eq!(defect.kind(), DefectKind::NulByte);
        assert_eq!(
            defect.summary(),
            "`m/1_a/up.sql` holds a NUL byte at line 2, column 8 (byte offset 17), which no database accepts in SQL text"
        );
        assert_eq!(defect.locations(), ["m/1_a/up.sql:2:8"]);
    }

    #[test]
    fn a_file_that_grew_is_too_large_without_a_size() {
        let defect = too_large("m/HEAD", TextFile::Head, None);
        assert_eq!(
            defect.summary(),
            "`m/HEAD` is too large: more than 65536 bytes, over the 64 KiB (65536 bytes) that revchain reads of `HEAD`"
        );
    }
}
