//! Quoting names: the shared rule of `revchain-internals`, the same one
//! `revchain::quote_identifier` re-exports.

pub use revchain_internals::sql::quote_identifier;
