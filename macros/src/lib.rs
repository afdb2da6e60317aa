//! Procedural macros of sluice. Use them through the `sluice` crate, which documents them.

mod attr;
mod ctxt;
mod field_type;
mod message;
mod pipeline;
mod row;
mod stub;

#[cfg(test)]
mod expansion_tests;

use proc_macro::TokenStream;

/// Derives `sluice::Message`: a generated decoder for the declared format.
#[proc_macro_derive(Message, attributes(message))]
pub fn derive_message(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    message::expand(&input).into()
}

/// Derives `sluice::Row`: batched `INSERT` / upsert statements and bind code for MySQL.
#[proc_macro_derive(Row, attributes(row))]
pub fn derive_row(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    row::expand(&input).into()
}

/// Turns `fn name(input: Kafka<M>) -> MySql<R> { ... }` into a module `name` with `run` and
/// `main`.
#[proc_macro_attribute]
pub fn pipeline(args: TokenStream, item: TokenStream) -> TokenStream {
    pipeline::expand(args.into(), item.into()).into()
}
