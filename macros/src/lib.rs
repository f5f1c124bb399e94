//! The procedural macro behind `revchain::embed_revisions!`. Use it through
//! the `revchain` crate, which documents it.
//!
//! Like `thiserror` and `serde_derive`, this file only parses the input and
//! calls the named stages: [`parse`] the arguments, [`validate`] the
//! directory with the shared `revchain-internals` rules, and [`expand`] the
//! valid chain into its packed form: two literals.

use proc_macro::TokenStream;
use syn::parse_macro_input;

mod expand;
mod parse;
mod validate;

/// Reads a migrations directory at compile time, refuses it unless it is one
/// linear chain, and expands to a `revchain::Revisions` holding it.
///
/// See `revchain::embed_revisions!` for the documentation.
#[proc_macro]
pub fn embed_revisions(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as parse::Input);
    validate::load(&input)
        .and_then(|located| expand::expand(&located, input.span))
        .unwrap_or_else(|error| {
            // Several errors become several `compile_error!` invocations in a
            // row, which is not an expression: a block holds them, so that
            // every defect is reported and nothing else.
            let errors = error.into_compile_error();
            quote::quote! { { #errors } }
        })
        .into()
}
