//! Resolving the directory against the calling crate and applying the chain
//! rules of `revchain-internals`, turning every defect into a spanned error.

use std::path::{Path, PathBuf};

use revchain_internals::Chain;

use crate::parse::Input;

/// A valid chain and the absolute directory it was read from.
pub(crate) struct Located {
    pub(crate) dir: PathBuf,
    pub(crate) chain: Chain,
}

/// Loads the directory named by `input`, or returns every defect at once,
/// combined into one `syn::Error`.
pub(crate) fn load(input: &Input) -> syn::Result<Located> {
    let relative = Path::new(&input.path);
    if relative.is_absolute() || input.path.starts_with(['/', '\\']) {
        return Err(syn::Error::new(
            input.span,
            format!(
                "`embed_revisions!` takes a path relative to the crate's `Cargo.toml`, but `{}` is absolute\n  = help: write the path from the directory that holds `Cargo.toml`, such as `\"migrations\"`",
                input.path
            ),
        ));
    }
    let Some(manifest_dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return Err(syn::Error::new(
            input.span,
            "`CARGO_MANIFEST_DIR` is not set, so the migrations directory cannot be found\n  = help: build the crate with cargo",
        ));
    };
    let dir = PathBuf::from(manifest_dir).join(relative);
    let display = input.path.trim_end_matches(['/', '\\']);
    match revchain_internals::load(&dir, display) {
        Ok(chain) => Ok(Located { dir, chain }),
        Err(defects) => {
            // At most `MAX_SHOWN_DEFECTS` errors, then how many more.
            let (first, _) = defects.split_first();
            let mut combined = syn::Error::new(input.span, first.to_string());
            let (shown, _) = defects.shown();
            for defect in shown.into_iter().skip(1) {
                combined.combine(syn::Error::new(input.span, defect.to_string()));
            }
            if let Some(more) = defects.more_line() {
                combined.combine(syn::Error::new(input.span, more));
            }
            Err(combined)
        }
    }
}
