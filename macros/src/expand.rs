//! Turning a valid chain into a `revchain::Revisions` expression.
//!
//! The SQL is embedded with `include_str!` of each file, so that cargo
//! re-expands the macro when a file changes or disappears; `HEAD` and each
//! `metadata.toml` are included for the same reason. Every path in the output
//! is absolute (`::revchain::__private::…`).

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use revchain_internals::{Checksum, LoadedRevision};

use crate::validate::Located;

pub(crate) fn expand(located: &Located) -> TokenStream {
    let revisions = located.chain.revisions();
    let count = revisions.len();
    let head = path_literal(&located.dir.join("HEAD"));
    let head_tracking = located
        .dir
        .join("HEAD")
        .exists()
        .then(|| quote! { const _: &[u8] = ::core::include_bytes!(#head); });
    let metadata_tracking = revisions.iter().filter_map(|revision| {
        let path = located.dir.join(&revision.dir_name).join("metadata.toml");
        path.exists().then(|| {
            let path = path_literal(&path);
            quote! { const _: &[u8] = ::core::include_bytes!(#path); }
        })
    });
    let entries = revisions
        .iter()
        .map(|revision| revision_tokens(located, revision));

    let mut by_id: Vec<usize> = (0..count).collect();
    by_id.sort_by(|a, b| revisions[*a].id.cmp(&revisions[*b].id));
    let by_id = by_id.into_iter().map(|index| index as u32);

    quote! {
        {
            #head_tracking
            #(#metadata_tracking)*
            static REVISIONS: [::revchain::__private::Revision; #count] = [#(#entries),*];
            static BY_ID: [u32; #count] = [#(#by_id),*];
            ::revchain::__private::Revisions::__new(&REVISIONS, &BY_ID)
        }
    }
}

fn revision_tokens(located: &Located, revision: &LoadedRevision) -> TokenStream {
    let dir = located.dir.join(&revision.dir_name);
    let id = &revision.id;
    let parent = option_str(revision.parent.as_deref());
    let message = &revision.message;
    let shown_dir = &revision.dir;
    let up_path = path_literal(&dir.join("up.sql"));
    let down_sql = match &revision.down_sql {
        Some(_) => {
            let down_path = path_literal(&dir.join("down.sql"));
            quote! { ::core::option::Option::Some(::core::include_str!(#down_path)) }
        }
        None => quote! { ::core::option::Option::None },
    };
    let run_in_transaction = revision.run_in_transaction;
    let checksum = checksum_tokens(&revision.checksum);
    let chain_digest = checksum_tokens(&revision.chain_digest);
    quote! {
        ::revchain::__private::Revision::__new(::revchain::__private::RevisionParts {
            id: #id,
            parent: #parent,
            message: #message,
            dir: #shown_dir,
            up_sql: ::core::include_str!(#up_path),
            down_sql: #down_sql,
            run_in_transaction: #run_in_transaction,
            checksum: #checksum,
            chain_digest: #chain_digest,
        })
    }
}

fn option_str(value: Option<&str>) -> TokenStream {
    match value {
        Some(value) => quote! { ::core::option::Option::Some(#value) },
        None => quote! { ::core::option::Option::None },
    }
}

fn checksum_tokens(checksum: &Checksum) -> TokenStream {
    let bytes = checksum
        .as_bytes()
        .iter()
        .map(|byte| Literal::u8_unsuffixed(*byte));
    quote! { ::revchain::__private::Checksum::from_bytes([#(#bytes),*]) }
}

fn path_literal(path: &std::path::Path) -> Literal {
    Literal::string(&path.to_string_lossy())
}
