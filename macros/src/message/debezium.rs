//! A Debezium change event: the envelope is read by the runtime, which has the struct's JSON
//! object reader read the row image under `after` in place (or `before`, for a delete);
//! writing, the JSON object inside an envelope.

use proc_macro2::TokenStream;
use quote::quote;

use super::codegen::{out, reader};
use super::json;
use super::model::Message;

/// The methods of a change-event message.
pub(super) struct Generated {
    /// The body of `decode(payload)`: the row image, whatever happened to it.
    pub decode: TokenStream,
    /// The body of `encode(&self, out)`: an upsert's event.
    pub encode: TokenStream,
    /// `decode_change` and `encode_delete`.
    pub changes: TokenStream,
}

pub(super) fn generate(message: &Message<'_>) -> Generated {
    let p = quote!(::sluice::__private);
    let out = out();
    let reader = reader();
    let json::ObjectReader { statements, build } = json::object_reader(message);
    let write_image = json::encoder(message);
    let changes = quote! {
        fn decode_change(
            payload: &[u8],
        ) -> ::core::result::Result<(#p::Change, Self), #p::DecodeError> {
            #p::debezium::read_change(
                payload,
                |#reader: &mut #p::JsonReader<'_>| -> ::core::result::Result<Self, #p::DecodeError> {
                    #statements
                    #build
                },
            )
        }

        fn encode_delete(
            &self,
            #out: &mut ::std::vec::Vec<u8>,
        ) -> ::core::result::Result<bool, #p::EncodeMessageError> {
            #p::debezium::write_envelope(#p::Change::Delete, #out, |#out| { #write_image })?;
            ::core::result::Result::Ok(true)
        }
    };
    Generated {
        decode: quote! {
            <Self as #p::Message>::decode_change(payload).map(|(_, record)| record)
        },
        encode: quote! {
            #p::debezium::write_envelope(#p::Change::Upsert, #out, |#out| { #write_image })
        },
        changes,
    }
}
