//! `#[derive(Message)]`: parse the struct into a model, check it, generate the decoder and
//! encoder of its format.

mod avro;
mod avro_check;
mod codegen;
mod csv;
mod debezium;
mod format;
mod json;
mod model;
mod proto_check;
mod protobuf;

use proc_macro2::TokenStream;

pub(crate) fn expand(input: &syn::DeriveInput) -> TokenStream {
    match model::Message::parse(input) {
        Ok(model) => codegen::generate(&model),
        // Still implement `Message`, so that a pipeline reading this struct adds no
        // "not a sluice message" errors to the ones that matter.
        Err(error) => {
            let mut tokens = error.into_compile_error();
            tokens.extend(codegen::stub(input));
            tokens
        }
    }
}
