//! `#[derive(Message)]`: parse the struct into a model, check it, generate the decoder.

mod codegen;
mod model;

use proc_macro2::TokenStream;

pub(crate) fn expand(input: &syn::DeriveInput) -> syn::Result<TokenStream> {
    let model = model::Message::parse(input)?;
    Ok(codegen::generate(&model))
}
