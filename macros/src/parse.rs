//! Parsing the macro's arguments: nothing, or one string literal.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token};

/// The directory used when the macro is called without an argument.
pub(crate) const DEFAULT_DIR: &str = "migrations";

/// The arguments of `embed_revisions!`.
pub(crate) struct Input {
    /// The path as written, or [`DEFAULT_DIR`].
    pub(crate) path: String,
    /// Where errors about the directory point.
    pub(crate) span: Span,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Ok(Input {
                path: DEFAULT_DIR.to_owned(),
                span: Span::call_site(),
            });
        }
        let literal: LitStr = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected a string literal: the migrations directory, relative to the crate's `Cargo.toml`, such as `\"migrations\"`",
            )
        })?;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        if !input.is_empty() {
            return Err(input.error(
                "unexpected tokens: `embed_revisions!` takes one string literal, the migrations directory",
            ));
        }
        Ok(Input {
            path: literal.value(),
            span: literal.span(),
        })
    }
}
