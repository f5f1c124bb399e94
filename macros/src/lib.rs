//! The procedural macros behind `revchain::embed_revisions!` and
//! `#[revchain::test]`. Use them through the `revchain` crate, which
//! documents them.
//!
//! Like `thiserror` and `serde_derive`, this file only parses the input and
//! calls the named stages: [`parse`] the arguments, [`validate`] the
//! directory with the shared `revchain-internals` rules, and [`expand`] the
//! valid chain into its packed form: two literals. `#[revchain::test]`
//! likewise: [`test_attr::Args`] parsed, [`test_attr::TestFn::check`]ed,
//! [`test_attr::expand`]ed.

use proc_macro::TokenStream;
use syn::parse_macro_input;

mod expand;
mod parse;
mod test_attr;
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

/// Makes a function a test that gets a fresh, migrated database: see
/// `revchain::test` for the documentation.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    // The arguments and the function are checked independently, so that a
    // bad argument and a bad signature are reported in the same build.
    let args = syn::parse::<test_attr::Args>(args);
    let test = test_attr::function(item.into()).and_then(test_attr::TestFn::check);
    test_attr::both(args, test)
        .map(|(args, test)| test_attr::expand(&args, &test))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
