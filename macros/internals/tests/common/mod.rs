//! The fixtures of the tests of `load` on real directories: a temporary
//! `migrations/`, and checks that every defect names paths relative to it.

// Each test crate uses some of these helpers.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use revchain_internals::{Chain, Defect, DefectKind, Defects, load};
use tempfile::TempDir;

pub const DISPLAY: &str = "migrations";

/// A temporary directory holding `migrations/`.
pub struct Fixture {
    temp: TempDir,
}

impl Fixture {
    pub fn new() -> Self {
        let fixture = Fixture::without_directory();
        fs::create_dir(fixture.root()).unwrap();
        fixture
    }

    pub fn without_directory() -> Self {
        Fixture {
            temp: tempfile::tempdir().unwrap(),
        }
    }

    /// The temporary directory that holds `migrations/`.
    pub fn temp(&self) -> &Path {
        self.temp.path()
    }

    pub fn root(&self) -> PathBuf {
        self.temp.path().join(DISPLAY)
    }

    /// Writes `contents` at `path`, relative to `migrations/`.
    pub fn write(&self, path: &str, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.root().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
        self
    }

    pub fn mkdir(&self, path: &str) -> &Self {
        fs::create_dir_all(self.root().join(path)).unwrap();
        self
    }

    /// Writes a revision directory: `up.sql`, and `metadata.toml` naming
    /// `parent` unless it is the root.
    pub fn revision(&self, dir: &str, parent: Option<&str>) -> &Self {
        self.write(&format!("{dir}/up.sql"), format!("-- {dir}\nSELECT 1;\n"));
        if let Some(parent) = parent {
            self.write(
                &format!("{dir}/metadata.toml"),
                format!("parent = \"{parent}\"\n"),
            );
        }
        self
    }

    pub fn head(&self, text: &str) -> &Self {
        self.write("HEAD", text)
    }

    pub fn load(&self) -> Result<Chain, Defects> {
        load(&self.root(), DISPLAY)
    }

    /// Loads, expecting success.
    pub fn chain(&self) -> Chain {
        match self.load() {
            Ok(chain) => chain,
            Err(defects) => panic!("expected a valid chain, got:\n{defects}"),
        }
    }

    /// Loads, expecting defects, and checks that every one names paths
    /// relative to `migrations`, not the temporary directory.
    pub fn defects(&self) -> Defects {
        let defects = match self.load() {
            Ok(chain) => panic!("expected defects, got a chain of {}", chain.len()),
            Err(defects) => defects,
        };
        assert_relative(&defects, self.temp.path());
        defects
    }

    /// Loads, expecting exactly one defect, of `kind`.
    pub fn sole(&self, kind: DefectKind) -> Defect {
        let defects = self.defects();
        assert_eq!(defects.len(), 1, "expected one defect, got:\n{defects}");
        let defect = defects.into_iter().next().unwrap();
        assert_eq!(defect.kind(), kind, "{defect}");
        defect
    }
}

pub fn assert_relative(defects: &Defects, absolute: &Path) {
    let absolute = absolute.to_string_lossy();
    for defect in defects {
        assert!(!defect.locations().is_empty(), "no location: {defect}");
        for location in defect.locations() {
            assert!(
                location == DISPLAY || location.starts_with(&format!("{DISPLAY}/")),
                "location not under `{DISPLAY}`: {defect}"
            );
        }
        let shown = defect.to_string();
        assert!(
            !shown.contains(&*absolute),
            "absolute path in message: {shown}"
        );
        assert!(!defect.summary().is_empty() && !defect.help().is_empty());
        assert!(
            !defect.summary().ends_with('.') && !defect.help().ends_with('.'),
            "trailing period: {defect}"
        );
    }
}

pub fn kinds(defects: &Defects) -> Vec<DefectKind> {
    defects.iter().map(Defect::kind).collect()
}

pub fn find(defects: &Defects, kind: DefectKind) -> &Defect {
    defects
        .iter()
        .find(|defect| defect.kind() == kind)
        .unwrap_or_else(|| panic!("no {kind:?} in:\n{defects}"))
}

#[track_caller]
pub fn assert_contains(text: &str, part: &str) {
    assert!(
        text.contains(part),
        "{text:?}\n  does not contain\n{part:?}"
    );
}

/// `1_init` ← `2_users` ← `3_posts`, with `HEAD` naming `3`.
pub fn three() -> Fixture {
    let fixture = Fixture::new();
    fixture
        .revision("1_init", None)
        .revision("2_users", Some("1"))
        .revision("3_posts", Some("2"))
        .head("3\n");
    fixture
}
