//! The generated `impl Message`: the names, key and event time every format shares, around
//! the decoder and encoder of the struct's format (`json.rs`, `csv.rs`, `avro.rs`, `protobuf.rs`,
//! `debezium.rs`).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::format::Format;
use super::model::{Field, Message};
use super::{avro, csv, debezium, json, protobuf};

pub(crate) fn generate(message: &Message<'_>) -> TokenStream {
    let ident = message.ident;
    // A message named by its queue only is read from the topic of that name too.
    let topic = match &message.queue {
        Some(queue) if message.topic.value().is_empty() => queue,
        _ => &message.topic,
    };
    let queue = message
        .queue
        .as_ref()
        .map(|queue| quote!(const QUEUE: &'static str = #queue;));
    let exchange = message
        .exchange
        .as_ref()
        .map(|exchange| quote!(const EXCHANGE: &'static str = #exchange;));
    let p = quote!(::sluice::__private);
    let out = out();
    let avro_schema = match &message.format {
        Format::Avro(schema) => {
            let path = schema.path.to_string_lossy().into_owned();
            let id = schema.schema_id;
            Some(quote! {
                const AVRO_SCHEMA: ::core::option::Option<#p::AvroSchema> =
                    ::core::option::Option::Some(#p::AvroSchema {
                        text: ::core::include_str!(#path),
                        id: #id,
                    });
            })
        }
        _ => None,
    };
    let mut changes = None;
    let (format, decode, encode) = match &message.format {
        Format::Json => (quote!(Json), json::decoder(message), json::encoder(message)),
        Format::Debezium => {
            let generated = debezium::generate(message);
            changes = Some(generated.changes);
            (quote!(Debezium), generated.decode, generated.encode)
        }
        Format::Csv(style) => (
            quote!(Csv),
            csv::decoder(message, style),
            csv::encoder(message, style),
        ),
        Format::Avro(schema) => (
            quote!(Avro),
            avro::decoder(message, schema),
            avro::encoder(message, schema),
        ),
        Format::Protobuf(definition) => {
            let path = definition.path.to_string_lossy().into_owned();
            let decode = protobuf::decoder(message);
            (
                quote!(Protobuf),
                quote! {
                    const _: &str = ::core::include_str!(#path);
                    #decode
                },
                protobuf::encoder(message),
            )
        }
    };
    let key = message.key.map(|key| {
        let ty = message.fields.iter().find(|f| f.ident == key).map(|f| f.ty);
        quote_spanned! {ty.span()=>
            fn encode_key(&self, #out: &mut ::std::vec::Vec<u8>) -> bool {
                #p::KeyBytes::write_key(&self.#key, #out)
            }
        }
    });
    let event_time = message.event_time.map(|field| {
        let ty = message
            .fields
            .iter()
            .find(|f| f.ident == field)
            .map(|f| f.ty);
        let max_delay = message.max_delay_millis;
        let max_future = message
            .max_future_millis
            .map(|millis| quote!(const MAX_FUTURE_MILLIS: i64 = #millis;));
        quote_spanned! {ty.span()=>
            const HAS_EVENT_TIME: bool = true;
            const MAX_DELAY_MILLIS: i64 = #max_delay;
            #max_future

            fn event_time_millis(&self) -> ::core::option::Option<i64> {
                #p::EventTime::event_time_millis(&self.#field)
            }
        }
    });

    quote! {
        #[automatically_derived]
        impl #p::Message for #ident {
            const TOPIC: &'static str = #topic;
            #queue
            #exchange
            const FORMAT: #p::Format = #p::Format::#format;
            #avro_schema

            fn decode(payload: &[u8]) -> ::core::result::Result<Self, #p::DecodeError> {
                #decode
            }

            fn encode(
                &self,
                #out: &mut ::std::vec::Vec<u8>,
            ) -> ::core::result::Result<(), #p::EncodeMessageError> {
                #encode
            }

            #changes

            #key

            #event_time
        }
    }
}

/// The buffer a generated encoder appends to.
pub(super) fn out() -> TokenStream {
    quote_spanned!(Span::mixed_site()=> __out)
}

/// The reader a generated decoder reads from.
pub(super) fn reader() -> TokenStream {
    quote_spanned!(Span::mixed_site()=> __reader)
}

/// One `Option` local per field, for decoders that meet the fields in the payload's order.
pub(super) fn slots(message: &Message<'_>) -> Vec<Ident> {
    (0..message.fields.len())
        .map(|i| format_ident!("__slot{}", i, span = Span::mixed_site()))
        .collect()
}

/// `let mut __slotN: Option<T> = None;` for every field.
pub(super) fn declare_slots(message: &Message<'_>, slots: &[Ident]) -> TokenStream {
    let declare = message.fields.iter().zip(slots).map(|(field, slot)| {
        let ty = field.ty;
        quote!(let mut #slot: ::core::option::Option<#ty> = ::core::option::Option::None;)
    });
    quote!(#(#declare)*)
}

/// `Ok(Struct { .. })` from the slots: a field that was not met takes `absent(field)` (the
/// `None` of an `Option`), or is a missing-field error at the reader's offset.
pub(super) fn build_from_slots(
    message: &Message<'_>,
    slots: &[Ident],
    absent: impl Fn(&Field<'_>) -> TokenStream,
) -> TokenStream {
    let p = quote!(::sluice::__private);
    let reader = reader();
    let ident = message.ident;
    let build = message.fields.iter().zip(slots).map(|(field, slot)| {
        let name = field.ident;
        let key = &field.name;
        let absent = absent(field);
        quote! {
            #name: match #slot {
                ::core::option::Option::Some(value) => value,
                ::core::option::Option::None => match #absent {
                    ::core::option::Option::Some(value) => value,
                    ::core::option::Option::None => {
                        return ::core::result::Result::Err(#p::DecodeError::missing(#key, #reader.offset()));
                    }
                },
            },
        }
    });
    quote!(::core::result::Result::Ok(#ident { #(#build)* }))
}

/// The `impl Message` of a struct with mistakes: it lets the pipeline that reads the struct
/// compile, so that the user sees only the mistakes themselves. It never runs, since the
/// errors beside it stop the build.
pub(crate) fn stub(input: &syn::DeriveInput) -> TokenStream {
    let p = quote!(::sluice::__private);
    let header = crate::stub::impl_header(
        input,
        quote!(#p::Message),
        quote!(::core::marker::Send + 'static),
    );
    quote! {
        #header {
            const TOPIC: &'static str = "";
            const FORMAT: #p::Format = #p::Format::Json;

            fn decode(_: &[u8]) -> ::core::result::Result<Self, #p::DecodeError> {
                ::core::unreachable!("a message with compile errors is never decoded")
            }

            fn encode(
                &self,
                _: &mut ::std::vec::Vec<u8>,
            ) -> ::core::result::Result<(), #p::EncodeMessageError> {
                ::core::unreachable!("a message with compile errors is never encoded")
            }
        }
    }
}
