//! `#[revchain::test]`: three named stages, [`Args::parse`] the attribute's
//! arguments, [`TestFn::check`] the function, [`expand`] it into a `#[test]`
//! that calls the runtime's `__private::run_test`. The runtime does the
//! work: creating, migrating and dropping the database.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, ItemFn, LitStr, Meta, ReturnType, Token, Type};

/// The attribute's arguments: `revisions = PATH` (default `REVISIONS`) and
/// `to = "TARGET"` (default `"head"`).
pub(crate) struct Args {
    revisions: Expr,
    to: LitStr,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut revisions = None;
        let mut to = None;
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated(input)?;
        for meta in metas {
            let Meta::NameValue(pair) = &meta else {
                return Err(syn::Error::new(meta.span(), usage()));
            };
            let key = pair.path.get_ident().map(ToString::to_string);
            match key.as_deref() {
                Some("revisions") if revisions.is_none() => revisions = Some(pair.value.clone()),
                Some("to") if to.is_none() => match &pair.value {
                    Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(target),
                        ..
                    }) => to = Some(target.clone()),
                    other => {
                        return Err(syn::Error::new(
                            other.span(),
                            "`to` takes a string literal: the target to migrate to, such as `\"head\"`, `\"base\"` or a revision id",
                        ));
                    }
                },
                Some(name @ ("revisions" | "to")) => {
                    return Err(syn::Error::new(
                        pair.path.span(),
                        format!("`{name}` is given twice"),
                    ));
                }
                _ => {
                    let path = &pair.path;
                    return Err(syn::Error::new(
                        path.span(),
                        format!(
                            "unknown argument `{}`: {}",
                            quote!(#path).to_string().replace(' ', ""),
                            usage()
                        ),
                    ));
                }
            }
        }
        Ok(Args {
            revisions: revisions.unwrap_or_else(|| syn::parse_quote!(REVISIONS)),
            to: to.unwrap_or_else(|| LitStr::new("head", proc_macro2::Span::call_site())),
        })
    }
}

fn usage() -> &'static str {
    "`#[revchain::test]` takes `revisions = PATH` (the `Revisions` static, default `REVISIONS`) and `to = \"TARGET\"` (default `\"head\"`)"
}

/// The test function, checked: one argument `&mut Connection`, not async,
/// no generics, no `#[test]` of its own.
pub(crate) struct TestFn {
    function: ItemFn,
    connection: Type,
}

impl TestFn {
    pub(crate) fn check(function: ItemFn) -> syn::Result<Self> {
        let signature = &function.sig;
        if let Some(asyncness) = signature.asyncness {
            return Err(syn::Error::new(
                asyncness.span(),
                "`#[revchain::test]` functions are not `async`: diesel's connections are synchronous",
            ));
        }
        if !signature.generics.params.is_empty() {
            return Err(syn::Error::new(
                signature.generics.span(),
                "a `#[revchain::test]` function has no generic parameters: name the connection type, such as `&mut diesel::PgConnection`",
            ));
        }
        if let Some(attr) = function.attrs.iter().find(|a| a.path().is_ident("test")) {
            return Err(syn::Error::new(
                attr.span(),
                "remove `#[test]`: `#[revchain::test]` makes the function a test",
            ));
        }
        let one_connection = || {
            syn::Error::new(
                signature.inputs.span(),
                "a `#[revchain::test]` function takes one argument, the connection: `conn: &mut diesel::SqliteConnection` (or `PgConnection`, `MysqlConnection`)",
            )
        };
        let mut inputs = signature.inputs.iter();
        let (Some(FnArg::Typed(argument)), None) = (inputs.next(), inputs.next()) else {
            return Err(one_connection());
        };
        let Type::Reference(reference) = &*argument.ty else {
            return Err(one_connection());
        };
        if reference.mutability.is_none() {
            return Err(syn::Error::new(
                reference.span(),
                "the connection is a mutable borrow: write `&mut` before its type",
            ));
        }
        Ok(TestFn {
            connection: (*reference.elem).clone(),
            function,
        })
    }
}

/// The `#[test]` function: the database is made and migrated by the
/// runtime, the body runs as an inner function with the connection, and the
/// database is dropped afterwards, even on panic. A test skipped for want of
/// a server returns `()`, or `Ok(())` when the function returns a `Result`.
pub(crate) fn expand(args: &Args, test: &TestFn) -> TokenStream {
    let TestFn {
        function,
        connection,
    } = test;
    let ItemFn {
        attrs, vis, sig, ..
    } = function;
    let name = &sig.ident;
    let output = &sig.output;
    let mut inner = function.clone();
    inner.attrs.clear();
    inner.vis = syn::Visibility::Inherited;
    inner.sig.ident = syn::Ident::new("__revchain_test_body", name.span());
    let Args { revisions, to } = args;
    let skipped = match output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => {
            quote_spanned!(ty.span()=> ::core::result::Result::Ok(()))
        }
    };
    quote! {
        #[test]
        #(#attrs)*
        #vis fn #name() #output {
            #inner
            match ::revchain::__private::run_test::<#connection, _>(
                &#revisions,
                #to,
                __revchain_test_body,
            ) {
                ::core::option::Option::Some(result) => result,
                ::core::option::Option::None => #skipped,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn check(function: &str) -> Result<TestFn, String> {
        TestFn::check(syn::parse_str(function).unwrap()).map_err(|e| e.to_string())
    }

    #[test]
    fn arguments_default_to_revisions_and_head() {
        let Args { revisions, to } = syn::parse_str("").unwrap();
        assert_eq!(quote!(#revisions).to_string(), "REVISIONS");
        assert_eq!(to.value(), "head");
        let Args { revisions, to } =
            syn::parse_str("revisions = crate::MIGRATIONS, to = \"base\"").unwrap();
        assert_eq!(quote!(#revisions).to_string(), "crate :: MIGRATIONS");
        assert_eq!(to.value(), "base");
    }

    #[test]
    fn bad_arguments_say_what_the_attribute_takes() {
        let error = |text: &str| syn::parse_str::<Args>(text).err().unwrap().to_string();
        assert!(
            error("database = \"x\"")
                .starts_with("unknown argument `database`: `#[revchain::test]` takes")
        );
        assert_eq!(
            error("to = head"),
            "`to` takes a string literal: the target to migrate to, such as `\"head\"`, `\"base\"` or a revision id"
        );
        assert_eq!(error("to = \"a\", to = \"b\""), "`to` is given twice");
    }

    #[test]
    fn the_function_takes_one_mutable_connection() {
        assert!(check("fn t(conn: &mut diesel::SqliteConnection) {}").is_ok());
        assert!(
            check("fn t() {}")
                .err()
                .unwrap()
                .starts_with("a `#[revchain::test]` function takes one argument")
        );
        assert!(
            check("fn t(a: &mut A, b: &mut B) {}")
                .err()
                .unwrap()
                .starts_with("a `#[revchain::test]` function takes one argument")
        );
        assert_eq!(
            check("fn t(conn: &A) {}").err().unwrap(),
            "the connection is a mutable borrow: write `&mut` before its type"
        );
        assert!(
            check("async fn t(conn: &mut A) {}")
                .err()
                .unwrap()
                .contains("not `async`")
        );
        assert!(
            check("fn t<C>(conn: &mut C) {}")
                .err()
                .unwrap()
                .contains("no generic parameters")
        );
        assert!(
            check("#[test] fn t(conn: &mut A) {}")
                .err()
                .unwrap()
                .starts_with("remove `#[test]`")
        );
    }

    #[test]
    fn the_expansion_calls_the_runtime_by_absolute_path() {
        let args: Args = syn::parse_str("").unwrap();
        let test =
            check("fn t(conn: &mut diesel::PgConnection) -> Result<(), E> { Ok(()) }").unwrap();
        let expanded = expand(&args, &test).to_string();
        assert!(expanded.starts_with("# [test]"), "{expanded}");
        assert!(
            expanded
                .contains(":: revchain :: __private :: run_test :: < diesel :: PgConnection , _ >"),
            "{expanded}"
        );
        assert!(
            expanded.contains(":: core :: result :: Result :: Ok (())"),
            "{expanded}"
        );
    }
}
