//! `#[derive(Row)]`: parse the struct into a model, check it, generate statements and binds.

mod codegen;
mod model;

use proc_macro2::TokenStream;

pub(crate) fn expand(input: &syn::DeriveInput) -> syn::Result<TokenStream> {
    let model = model::Row::parse(input)?;
    Ok(codegen::generate(&model))
}
