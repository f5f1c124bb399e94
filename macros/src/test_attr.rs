//! `#[revchain::test]`: three named stages, [`Args::parse`] the attribute's
//! arguments, [`TestFn::check`] the function, [`expand`] it into a `#[test]`
//! that calls the runtime's `__private::run_test`. The runtime does the
//! work: creating, migrating and dropping the database. Every defect of
//! the arguments and of the function is reported in the same build
//! (`ui-tests/ui/test_attr/` pins each message and where it points).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, ItemFn, LitStr, Meta, ReturnType, Signature, Token, Type};

/// The attribute's arguments: `revisions = PATH` (default `REVISIONS`) and
/// `to = "TARGET"` (default `"head"`).
pub(crate) struct Args {
    revisions: Expr,
    to: LitStr,
}

impl Parse for Args {
    /// Reads every argument, and reports every bad one at once.
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut revisions = None;
        let mut to = None;
        let mut seen = Vec::new();
        let mut errors = None;
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated(input)?;
        for meta in metas {
            let Meta::NameValue(pair) = &meta else {
                push(&mut errors, syn::Error::new_spanned(&meta, usage()));
                continue;
            };
            let path = &pair.path;
            let name = quote!(#path).to_string().replace(' ', "");
            if !matches!(name.as_str(), "revisions" | "to") {
                push(
                    &mut errors,
                    syn::Error::new_spanned(
                        path,
                        format!("unknown argument `{name}`: {}", usage()),
                    ),
                );
            } else if seen.contains(&name) {
                push(
                    &mut errors,
                    syn::Error::new_spanned(path, format!("`{name}` is given twice")),
                );
            } else if name == "revisions" {
                revisions = Some(pair.value.clone());
            } else {
                match string_literal(&pair.value) {
                    Ok(target) => to = Some(target),
                    Err(error) => push(&mut errors, error),
                }
            }
            seen.push(name);
        }
        if let Some(errors) = errors {
            return Err(errors);
        }
        Ok(Args {
            revisions: revisions.unwrap_or_else(|| syn::parse_quote!(REVISIONS)),
            to: to.unwrap_or_else(|| LitStr::new("head", proc_macro2::Span::call_site())),
        })
    }
}

/// The target of `to = "TARGET"`, which must be a string literal.
fn string_literal(value: &Expr) -> syn::Result<LitStr> {
    match value {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(target),
            ..
        }) => Ok(target.clone()),
        other => Err(syn::Error::new_spanned(
            other,
            "`to` takes a string literal: the target to migrate to, such as `\"head\"`, `\"base\"` or a revision id",
        )),
    }
}

/// Adds `error` to those found so far: like `thiserror` and `serde_derive`,
/// the attribute reports every defect in one build
/// ([`syn::Error::combine`]), not only the first.
fn push(errors: &mut Option<syn::Error>, error: syn::Error) {
    match errors {
        Some(errors) => errors.combine(error),
        None => *errors = Some(error),
    }
}

/// Both values, or the errors of both: the attribute's arguments and the
/// function are checked independently, and their defects reported together.
pub(crate) fn both<A, B>(a: syn::Result<A>, b: syn::Result<B>) -> syn::Result<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(error), Ok(_)) | (Ok(_), Err(error)) => Err(error),
        (Err(mut first), Err(second)) => {
            first.combine(second);
            Err(first)
        }
    }
}

/// What the attribute takes, for the errors about its arguments.
fn usage() -> &'static str {
    "`#[revchain::test]` takes `revisions = PATH` (the `Revisions` static, default `REVISIONS`) and `to = \"TARGET\"` (default `\"head\"`)"
}

/// The item the attribute is on, which must be a function.
pub(crate) fn function(item: TokenStream) -> syn::Result<ItemFn> {
    match syn::parse2::<syn::Item>(item)? {
        syn::Item::Fn(function) => Ok(function),
        other => Err(syn::Error::new(
            other.span(),
            "`#[revchain::test]` makes a function a test: put it on a `fn` that takes the connection",
        )),
    }
}

/// The test function, checked: one argument `&mut Connection`, not async,
/// no generics, no `#[test]` of its own.
pub(crate) struct TestFn {
    function: ItemFn,
    connection: Type,
}

impl TestFn {
    /// Checks the function's signature and attributes, and reports every
    /// defect at once.
    pub(crate) fn check(function: ItemFn) -> syn::Result<Self> {
        let signature = &function.sig;
        let mut errors = None;
        for attr in function.attrs.iter().filter(|a| a.path().is_ident("test")) {
            push(
                &mut errors,
                syn::Error::new_spanned(
                    attr,
                    "remove `#[test]`: `#[revchain::test]` makes the function a test",
                ),
            );
        }
        if let Some(asyncness) = signature.asyncness {
            push(
                &mut errors,
                syn::Error::new_spanned(
                    asyncness,
                    "`#[revchain::test]` functions are not `async`: diesel's connections are synchronous",
                ),
            );
        }
        if !signature.generics.params.is_empty() {
            push(
                &mut errors,
                syn::Error::new_spanned(
                    &signature.generics,
                    "a `#[revchain::test]` function has no generic parameters: name the connection type, such as `&mut diesel::PgConnection`",
                ),
            );
        }
        let checked = errors.map_or(Ok(()), Err);
        let ((), connection) = both(checked, connection_type(signature))?;
        Ok(TestFn {
            connection,
            function,
        })
    }
}

/// The error of a function that does not take one connection argument.
const ONE_CONNECTION: &str = "a `#[revchain::test]` function takes one argument, the connection: `conn: &mut diesel::SqliteConnection` (or `PgConnection`, `MysqlConnection`)";

/// The connection type `C` of the function's one argument, `&mut C`. The
/// errors underline the whole offending tokens (`new_spanned`), not only
/// their first one.
fn connection_type(signature: &Signature) -> syn::Result<Type> {
    let mut inputs = signature.inputs.iter();
    let argument = match inputs.next() {
        Some(FnArg::Typed(argument)) => argument,
        // `self`, which a test has not.
        Some(receiver @ FnArg::Receiver(_)) => {
            return Err(syn::Error::new_spanned(receiver, ONE_CONNECTION));
        }
        // No argument: the parentheses, where it belongs.
        None => {
            return Err(syn::Error::new(
                signature.paren_token.span.join(),
                ONE_CONNECTION,
            ));
        }
    };
    let extra: Vec<&FnArg> = inputs.collect();
    if !extra.is_empty() {
        // The arguments after the first, the ones to remove.
        return Err(syn::Error::new_spanned(quote!(#(#extra),*), ONE_CONNECTION));
    }
    let Type::Reference(reference) = &*argument.ty else {
        return Err(syn::Error::new_spanned(&argument.ty, ONE_CONNECTION));
    };
    if reference.mutability.is_none() {
        return Err(syn::Error::new_spanned(
            reference,
            "the connection is a mutable borrow: write `&mut` before its type",
        ));
    }
    Ok((*reference.elem).clone())
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
    fn the_attribute_goes_on_a_function() {
        assert!(
            function(quote!(
                fn t(conn: &mut C) {}
            ))
            .is_ok()
        );
        let error = function(quote!(
            struct T;
        ))
        .err()
        .unwrap()
        .to_string();
        assert!(error.starts_with("`#[revchain::test]` makes a function a test"));
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

    /// Every message of a combined error, in order.
    fn messages(error: syn::Error) -> Vec<String> {
        error.into_iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn every_bad_argument_is_reported_at_once() {
        let error = syn::parse_str::<Args>("database = \"x\", to = head, to = \"b\", revisions")
            .err()
            .unwrap();
        let messages = messages(error);
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].starts_with("unknown argument `database`"));
        assert!(messages[1].starts_with("`to` takes a string literal"));
        assert_eq!(messages[2], "`to` is given twice");
        assert!(messages[3].starts_with("`#[revchain::test]` takes"));
    }

    #[test]
    fn every_defect_of_the_function_is_reported_at_once() {
        let function = syn::parse_str("#[test] async fn t<C>(conn: &C) {}").unwrap();
        let messages = messages(TestFn::check(function).err().unwrap());
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages[0].starts_with("remove `#[test]`"));
        assert!(messages[1].contains("not `async`"));
        assert!(messages[2].contains("no generic parameters"));
        assert!(messages[3].starts_with("the connection is a mutable borrow"));
    }

    #[test]
    fn both_keeps_the_errors_of_both() {
        let first = syn::Error::new(proc_macro2::Span::call_site(), "first");
        let second = syn::Error::new(proc_macro2::Span::call_site(), "second");
        let error = both::<(), ()>(Err(first), Err(second)).err().unwrap();
        assert_eq!(messages(error), ["first", "second"]);
        assert!(both::<u8, u8>(Ok(1), Ok(2)).is_ok_and(|pair| pair == (1, 2)));
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
