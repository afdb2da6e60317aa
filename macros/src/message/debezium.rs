//! A Debezium change event: the envelope is read by the runtime, the row image under `after`
//! (or `before`, for a delete) by the struct's JSON decoder; writing, the JSON object inside
//! an envelope.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};

use super::codegen::out;
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
    let read_image = json::decoder(message);
    let write_image = json::encoder(message);
    let (event, image, record) = (
        quote_spanned!(Span::mixed_site()=> __event),
        quote_spanned!(Span::mixed_site()=> __image),
        quote_spanned!(Span::mixed_site()=> __record),
    );
    let changes = quote! {
        fn decode_change(
            payload: &[u8],
        ) -> ::core::result::Result<(#p::Change, Self), #p::DecodeError> {
            let #event = #p::debezium::read_envelope(payload)?;
            let #image = |payload: &[u8]| -> ::core::result::Result<Self, #p::DecodeError> {
                #read_image
            };
            let #record = #image(payload.get(#event.image.clone()).unwrap_or_default())
                .map_err(|error| #p::debezium::in_image(error, &#event))?;
            ::core::result::Result::Ok((#event.change, #record))
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
