//! `#[derive(Row)]`: parse the struct into a model, check it against its table's DDL,
//! generate statements, binds and value checks.

mod codegen;
mod model;
mod rust_type;
mod schema_check;

use proc_macro2::TokenStream;

pub(crate) fn expand(input: &syn::DeriveInput) -> syn::Result<TokenStream> {
    let model = model::Row::parse(input)?;
    let checked = schema_check::check(&model)?;
    Ok(codegen::generate(&model, checked.as_ref()))
}
