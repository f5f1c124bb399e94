//! Reads the fuzz input as a small directory tree, writes it into a temporary
//! directory and loads it: `load` must never panic, and whatever it reports
//! must name paths relative to the display path.
//!
//! Input format: entries separated by NUL bytes. Each entry is a path
//! (components separated by `/`), then optionally a newline and the file's
//! contents. An entry without a newline is an empty directory. Path
//! components may be any bytes except `/` and NUL (so names that are not
//! UTF-8 are exercised too); empty, `.` and `..` components are dropped.
#![no_main]

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;

const DISPLAY: &str = "migrations";
const MAX_ENTRIES: usize = 48;
const MAX_DEPTH: usize = 3;
const MAX_NAME: usize = 80;

fn relative_path(raw: &[u8]) -> Option<PathBuf> {
    let mut path = PathBuf::new();
    let mut depth = 0;
    for component in raw.split(|&b| b == b'/') {
        if component.is_empty() || component == b"." || component == b".." {
            continue;
        }
        depth += 1;
        if depth > MAX_DEPTH {
            return None;
        }
        path.push(OsStr::from_bytes(
            &component[..component.len().min(MAX_NAME)],
        ));
    }
    (depth > 0).then_some(path)
}

fn materialize(root: &Path, data: &[u8]) {
    for entry in data.split(|&b| b == 0).take(MAX_ENTRIES) {
        let (raw_path, contents) = match entry.iter().position(|&b| b == b'\n') {
            Some(newline) => (&entry[..newline], Some(&entry[newline + 1..])),
            None => (entry, None),
        };
        let Some(relative) = relative_path(raw_path) else {
            continue;
        };
        let path = root.join(relative);
        // A path may clash with an earlier one (a file where a directory is
        // wanted): skip what cannot be created, the tree stays well formed.
        match contents {
            None => {
                let _ = fs::create_dir_all(&path);
            }
            Some(contents) => {
                if let Some(parent) = path.parent() {
                    let _ = fs::create_dir_all(parent);
                }
                let _ = fs::write(&path, contents);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(temp) = tempfile::tempdir() else {
        return;
    };
    // Half the inputs load a directory whose top level is the fuzzed tree;
    // the other half leave `migrations` missing or as a file, when the input
    // says so.
    let root = temp.path().join(DISPLAY);
    if data.first() == Some(&b'F') {
        let _ = fs::write(&root, &data[1..]);
    } else if data.first() != Some(&b'M') {
        if fs::create_dir(&root).is_err() {
            return;
        }
        materialize(&root, data);
    }

    let absolute = temp.path().to_string_lossy().into_owned();
    match revchain_internals::load(&root, DISPLAY) {
        Ok(chain) => {
            let mut previous = None;
            for revision in chain.revisions() {
                assert_eq!(
                    revision.parent.as_deref(),
                    previous.map(|r: &revchain_internals::LoadedRevision| r.id.as_str())
                );
                assert_eq!(
                    revision.checksum,
                    revchain_internals::revision_checksum(&revision.up_sql)
                );
                assert_eq!(
                    revision.chain_digest,
                    revchain_internals::chain_digest(
                        previous.map(|r| &r.chain_digest),
                        &revision.id,
                        &revision.checksum
                    )
                );
                previous = Some(revision);
            }
        }
        Err(defects) => {
            assert!(!defects.is_empty());
            for defect in &defects {
                assert!(!defect.summary().is_empty() && !defect.help().is_empty());
                assert!(!defect.locations().is_empty(), "{defect}");
                for location in defect.locations() {
                    assert!(location.starts_with(DISPLAY), "{defect}");
                }
                assert!(!defect.to_string().contains(&absolute), "{defect}");
            }
        }
    }
});
