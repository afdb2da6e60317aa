//! `#[derive(Row)]`: parse the struct into a model, check it against its table's DDL,
//! generate statements, binds and value checks.

mod codegen;
mod model;
mod rust_type;
mod schema_check;

use proc_macro2::TokenStream;

pub(crate) fn expand(input: &syn::DeriveInput) -> syn::Result<TokenStream> {
    let model = model::Row::parse(input)?;
    match schema_check::check(&model) {
        Ok(checked) => Ok(codegen::generate(&model, checked.as_ref())),
        // The struct itself is sound: implement `Row` anyway, so that the pipeline using it
        // adds no "not a sluice row" errors to the ones that matter.
        Err(error) => {
            let mut tokens = codegen::generate(&model, None);
            tokens.extend(error.into_compile_error());
            Ok(tokens)
        }
    }
}
