//! Turning a valid chain into a `revchain::Revisions` expression.
//!
//! The chain is written in its packed form (`revchain_internals::packed`):
//! one string literal holding every `up.sql` and `down.sql`, and one byte
//! string indexing it. Both come from the bytes the rules were checked on, so
//! what is embedded is exactly what was validated. A few literals instead of
//! a struct per revision keep the expansion cheap to type-check and the
//! binary close to the size of its SQL.
//!
//! Every file that was read is also named in an `include_str!`, so that
//! cargo re-expands the macro when one changes or disappears; those go into
//! one unused constant (a `concat!`, which costs the compiler far less than
//! an array of thousands of references), not into the binary. Every path in the output is
//! absolute (`::revchain::__private::…`).

use std::path::Path;

use proc_macro2::{Literal, Span, TokenStream};
use quote::quote;
use revchain_internals::packed;

use crate::validate::Located;

pub(crate) fn expand(located: &Located, span: Span) -> syn::Result<TokenStream> {
    let packed = packed::pack(&located.chain).map_err(|error| {
        syn::Error::new(
            span,
            format!("revchain could not embed this chain: {error}\n  = help: this is a bug in revchain; please report it with the migrations directory"),
        )
    })?;
    let text = Literal::string(&packed.text);
    let index = Literal::byte_string(&packed.index);
    let tracked = tracked_files(located);
    let tracked = tracked.iter().map(|path| path_literal(path));

    Ok(quote! {
        {
            const _: &str = ::core::concat!(#(::core::include_str!(#tracked)),*);
            fn chain() -> &'static ::revchain::__private::EmbeddedChain {
                static CHAIN: ::revchain::__private::EmbeddedChain =
                    ::revchain::__private::EmbeddedChain::new(#text, #index);
                &CHAIN
            }
            ::revchain::__private::Revisions {
                __source: ::revchain::__private::Source::Embedded(chain),
            }
        }
    })
}

/// Every file the chain was read from: `HEAD`, and each revision's
/// `metadata.toml`, `up.sql` and `down.sql` that exist.
fn tracked_files(located: &Located) -> Vec<std::path::PathBuf> {
    let mut files = Vec::with_capacity(1 + 3 * located.chain.len());
    let head = located.dir.join("HEAD");
    if head.exists() {
        files.push(head);
    }
    for revision in located.chain.revisions() {
        let dir = located.dir.join(&revision.dir_name);
        // Every revision but the root names its parent in `metadata.toml`:
        // only the root's may be missing.
        let metadata = dir.join("metadata.toml");
        if revision.parent.is_some() || metadata.exists() {
            files.push(metadata);
        }
        files.push(dir.join("up.sql"));
        if revision.down_sql.is_some() {
            files.push(dir.join("down.sql"));
        }
    }
    files
}

fn path_literal(path: &Path) -> Literal {
    Literal::string(&path.to_string_lossy())
}
