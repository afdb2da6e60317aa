//! `#[derive(Row)]`: parse the struct into a model, check it against its table's DDL,
//! generate statements, binds and value checks.

mod codegen;
mod model;
mod schema_check;

use proc_macro2::TokenStream;

pub(crate) fn expand(input: &syn::DeriveInput) -> TokenStream {
    let model = match model::Row::parse(input) {
        Ok(model) => model,
        // Still implement `Row`, so that a pipeline writing this struct adds no
        // "not a sluice row" errors to the ones that matter.
        Err(error) => {
            let mut tokens = error.into_compile_error();
            tokens.extend(codegen::stub(input));
            return tokens;
        }
    };
    match schema_check::check(&model) {
        Ok(checked) => codegen::generate(&model, checked.as_ref()),
        // The struct itself is sound: implement `Row` from it, unchecked.
        Err(error) => {
            let mut tokens = codegen::generate(&model, None);
            tokens.extend(error.into_compile_error());
            tokens
        }
    }
}
