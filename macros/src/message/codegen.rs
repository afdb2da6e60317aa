//! The generated `impl Message`: a single pass over the JSON object, matching keys to fields.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use super::model::{Field, Message};

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
    let reader = quote_spanned!(Span::mixed_site()=> __reader);
    let slots: Vec<_> = (0..message.fields.len())
        .map(|i| format_ident!("__slot{}", i, span = Span::mixed_site()))
        .collect();

    let declare = message.fields.iter().zip(&slots).map(|(field, slot)| {
        let ty = field.ty;
        quote!(let mut #slot: ::core::option::Option<#ty> = ::core::option::Option::None;)
    });
    let arms = message.fields.iter().zip(&slots).map(|(field, slot)| {
        let key = &field.name;
        let key_bytes = syn::LitByteStr::new(key.as_bytes(), Span::call_site());
        let read = read_value(field, &reader);
        quote! {
            #key_bytes => {
                if #slot.is_some() {
                    return ::core::result::Result::Err(#p::DecodeError::duplicate(#key, #reader.offset()));
                }
                #slot = ::core::option::Option::Some(#read.map_err(|e| e.in_field(#key))?);
            }
        }
    });
    let build = message.fields.iter().zip(&slots).map(|(field, slot)| {
        let name = field.ident;
        let key = &field.name;
        let absent = absent_value(field);
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

    let encode = encoder(message);

    quote! {
        #[automatically_derived]
        impl #p::Message for #ident {
            const TOPIC: &'static str = #topic;
            #queue
            #exchange
            const FORMAT: #p::Format = #p::Format::Json;

            fn decode(payload: &[u8]) -> ::core::result::Result<Self, #p::DecodeError> {
                let mut #reader = #p::JsonReader::new(payload);
                #reader.begin_object("a JSON object")?;
                #(#declare)*
                let mut first = true;
                while let ::core::option::Option::Some(key) = #reader.next_key(&mut first)? {
                    match &*key {
                        #(#arms)*
                        _ => #reader.skip_value()?,
                    }
                }
                #reader.end()?;
                ::core::result::Result::Ok(#ident { #(#build)* })
            }

            #encode

            #event_time
        }
    }
}

/// `encode` (a JSON object with every field under its key) and, with a `#[message(key)]`
/// field, `encode_key`.
fn encoder(message: &Message<'_>) -> TokenStream {
    let p = quote!(::sluice::__private);
    let out = quote_spanned!(Span::mixed_site()=> __out);
    let fields = message.fields.iter().enumerate().map(|(i, field)| {
        let name = field.ident;
        let ty = field.ty;
        let mut prefix = if i == 0 {
            String::from("{")
        } else {
            String::from(",")
        };
        prefix.push_str(&json_string(&field.name));
        prefix.push(':');
        let prefix = syn::LitByteStr::new(prefix.as_bytes(), Span::call_site());
        let key = &field.name;
        let write = match field.epoch {
            Some((micros, _)) => quote_spanned! {ty.span()=>
                <#ty as #p::EpochField>::write_epoch_value(&self.#name, #micros, #out)
            },
            None => quote_spanned! {ty.span()=>
                <#ty as #p::FromJson<'_>>::write_json_value(&self.#name, #out)
                    .map_err(|e| e.in_field(#key))?
            },
        };
        quote! {
            #out.extend_from_slice(#prefix);
            #write;
        }
    });
    let open_if_empty = message.fields.is_empty().then(|| quote!(#out.push(b'{');));
    let key = message.key.map(|key| {
        let ty = message.fields.iter().find(|f| f.ident == key).map(|f| f.ty);
        quote_spanned! {ty.span()=>
            fn encode_key(&self, #out: &mut ::std::vec::Vec<u8>) -> bool {
                #p::KeyBytes::write_key(&self.#key, #out)
            }
        }
    });
    quote! {
        fn encode(
            &self,
            #out: &mut ::std::vec::Vec<u8>,
        ) -> ::core::result::Result<(), #p::EncodeJsonError> {
            #open_if_empty
            #(#fields)*
            #out.push(b'}');
            ::core::result::Result::Ok(())
        }

        #key
    }
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if (c as u32) < 0x20 => quoted.push_str(&format!("\\u{:04x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// The expression reading one field's value, spanned at its type so that an unsupported
/// type is reported there.
fn read_value(field: &Field<'_>, reader: &TokenStream) -> TokenStream {
    let ty = field.ty;
    let p = quote!(::sluice::__private);
    match field.epoch {
        Some((micros, expected)) => quote_spanned! {ty.span()=>
            <#ty as #p::EpochField>::read_epoch(&mut #reader, #micros, #expected)
        },
        None => quote_spanned! {ty.span()=>
            <#ty as #p::FromJson>::read_json(&mut #reader)
        },
    }
}

fn absent_value(field: &Field<'_>) -> TokenStream {
    let ty = field.ty;
    let p = quote!(::sluice::__private);
    match field.epoch {
        Some(_) => quote_spanned!(ty.span()=> <#ty as #p::EpochField>::absent()),
        None => quote_spanned!(ty.span()=> <#ty as #p::FromJson>::absent()),
    }
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
            ) -> ::core::result::Result<(), #p::EncodeJsonError> {
                ::core::unreachable!("a message with compile errors is never encoded")
            }
        }
    }
}
