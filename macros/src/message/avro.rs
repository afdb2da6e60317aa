//! The Avro decoder and encoder of a `#[derive(Message)]` struct with `format = "avro"`: the
//! record's fields read and written in the schema's order (checked at compile time), after
//! Confluent's header with the schema's registry id; the record's fields the struct does not
//! have are skipped, and written as null when they are nullable.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use sluice_schema::avro::{AvroRead, AvroValue};
use syn::Type;

use super::avro_check::SchemaField;
use super::codegen::{out, reader, slots};
use super::format::Avro;
use super::model::Message;
use crate::field_type::generic_argument;

/// The body of `decode(payload)`.
pub(super) fn decoder(message: &Message<'_>, avro: &Avro) -> TokenStream {
    let p = quote!(::sluice::__private);
    let reader = reader();
    let id = avro.schema_id;
    let slots = slots(message);
    let reads = message.avro_fields.iter().map(|schema_field| {
        let key = &schema_field.name;
        match schema_field.field {
            Some(index) => {
                let slot = &slots[index];
                let ty = message.fields[index].ty;
                let read = read_value(schema_field.read, ty);
                quote! {
                    let #slot: #ty = (|| -> ::core::result::Result<#ty, #p::DecodeError> {
                        ::core::result::Result::Ok(#read)
                    })()
                    .map_err(|e| e.in_field(#key))?;
                }
            }
            None => {
                let skip = skip_value(schema_field.read);
                quote! {
                    (|| -> ::core::result::Result<(), #p::DecodeError> {
                        #skip;
                        ::core::result::Result::Ok(())
                    })()
                    .map_err(|e| e.in_field(#key))?;
                }
            }
        }
    });
    let ident = message.ident;
    let names = message.fields.iter().map(|f| f.ident);
    quote! {
        let mut #reader = #p::avro::AvroReader::confluent(payload, #id)?;
        #(#reads)*
        #reader.end()?;
        ::core::result::Result::Ok(#ident { #(#names: #slots),* })
    }
}

/// The expression reading a field of type `ty` (an `Option` for a nullable union).
fn read_value(read: AvroRead, ty: &Type) -> TokenStream {
    let reader = reader();
    match read.union {
        None => read_plain(read.value, ty),
        Some((null, _, branches)) => {
            let inner = generic_argument(ty, "Option").unwrap_or(ty);
            let value = read_plain(read.value, inner);
            quote! {
                if #reader.read_branch(#branches)? == #null {
                    ::core::option::Option::None
                } else {
                    ::core::option::Option::Some(#value)
                }
            }
        }
    }
}

fn read_plain(value: AvroValue, ty: &Type) -> TokenStream {
    let p = quote!(::sluice::__private);
    let reader = reader();
    let at = quote_spanned!(Span::mixed_site()=> __at);
    match value {
        AvroValue::Boolean => quote!(#reader.read_boolean()?),
        AvroValue::Int | AvroValue::Long => {
            let expected = format!("an integer ({})", quote!(#ty));
            let read = if value == AvroValue::Int {
                quote!(::core::primitive::i64::from(#reader.read_int()?))
            } else {
                quote!(#reader.read_long()?)
            };
            quote! {{
                let #at = #reader.offset();
                #p::avro::integer::<#ty>(#read, #at, #expected)?
            }}
        }
        AvroValue::Float => quote!(<#ty>::from(#reader.read_float()?)),
        AvroValue::Double => quote!(#reader.read_double()?),
        AvroValue::String => {
            quote!(::std::borrow::ToOwned::to_owned(#reader.read_string()?))
        }
        AvroValue::Bytes => quote!(#reader.read_bytes()?.to_vec()),
        AvroValue::Date => quote! {{
            let #at = #reader.offset();
            #p::avro::date(#reader.read_int()?, #at)?
        }},
        AvroValue::TimestampMillis | AvroValue::TimestampMicros => {
            let unit = timestamp_unit(value);
            quote! {{
                let #at = #reader.offset();
                #p::avro::timestamp::<#ty>(#reader.read_long()?, #unit, #at)?
            }}
        }
        AvroValue::Decimal { scale, .. } => quote! {{
            let #at = #reader.offset();
            #p::avro::decimal(#reader.read_bytes()?, #scale, #at)?
        }},
    }
}

fn timestamp_unit(value: AvroValue) -> i64 {
    if value == AvroValue::TimestampMillis {
        1_000
    } else {
        1
    }
}

/// The statement skipping a field the struct does not have.
fn skip_value(read: AvroRead) -> TokenStream {
    let reader = reader();
    let plain = match read.value {
        AvroValue::Boolean => quote!(#reader.read_boolean()?),
        AvroValue::Int | AvroValue::Date => quote!(#reader.read_int()?),
        AvroValue::Long | AvroValue::TimestampMillis | AvroValue::TimestampMicros => {
            quote!(#reader.read_long()?)
        }
        AvroValue::Float => quote!(#reader.read_float()?),
        AvroValue::Double => quote!(#reader.read_double()?),
        AvroValue::String | AvroValue::Bytes | AvroValue::Decimal { .. } => {
            quote!(#reader.read_bytes()?)
        }
    };
    match read.union {
        None => quote!(#plain;),
        Some((_, value, branches)) => quote! {
            if #reader.read_branch(#branches)? == #value {
                #plain;
            }
        },
    }
}

/// The body of `encode(&self, out)`, ending in its `Ok`: Confluent's header, then each field
/// of the record. A struct without a value for a non-nullable field of the record cannot be
/// written: its encoder is that error.
pub(super) fn encoder(message: &Message<'_>, avro: &Avro) -> TokenStream {
    let p = quote!(::sluice::__private);
    let out = out();
    let id = avro.schema_id;
    let lacking = message
        .avro_fields
        .iter()
        .find(|f| f.field.is_none() && f.read.union.is_none());
    if let Some(lacking) = lacking {
        let key = &lacking.name;
        return quote! {
            let _ = (self, #out);
            ::core::result::Result::Err(#p::EncodeMessageError::without_value(#key))
        };
    }
    let writes = message
        .avro_fields
        .iter()
        .map(|schema_field| write_field(message, schema_field));
    quote! {
        #p::avro::write_confluent_header(#id, #out);
        #(#writes)*
        ::core::result::Result::Ok(())
    }
}

fn write_field(message: &Message<'_>, schema_field: &SchemaField) -> TokenStream {
    let p = quote!(::sluice::__private);
    let out = out();
    let key = &schema_field.name;
    let Some(index) = schema_field.field else {
        // Only nullable fields are left out of a struct that can be written.
        let null = schema_field.read.union.map_or(0, |(null, _, _)| null);
        return quote!(#p::avro::write_long(#null as i64, #out););
    };
    let field = &message.fields[index];
    let name = field.ident;
    let value = quote_spanned!(Span::mixed_site()=> __value);
    match schema_field.read.union {
        None => {
            let write = write_plain(schema_field.read.value, &value, key);
            quote! {
                let #value = &self.#name;
                #write
            }
        }
        Some((null, branch, _)) => {
            let write = write_plain(schema_field.read.value, &value, key);
            quote! {
                match &self.#name {
                    ::core::option::Option::Some(#value) => {
                        #p::avro::write_long(#branch as i64, #out);
                        #write
                    }
                    ::core::option::Option::None => #p::avro::write_long(#null as i64, #out),
                }
            }
        }
    }
}

fn write_plain(value: AvroValue, v: &TokenStream, key: &str) -> TokenStream {
    let p = quote!(::sluice::__private);
    let out = out();
    match value {
        AvroValue::Boolean => quote!(#p::avro::write_boolean(*#v, #out);),
        AvroValue::Int | AvroValue::Long => {
            let bits: u32 = if value == AvroValue::Int { 32 } else { 64 };
            quote!(#p::avro::write_integer(*#v, #bits, #out).map_err(|e| e.in_field(#key))?;)
        }
        AvroValue::Float => quote! {
            #p::avro::write_float(#p::narrow_float(*#v).map_err(|e| e.in_field(#key))?, #out);
        },
        AvroValue::Double => quote!(#p::avro::write_double(*#v, #out);),
        AvroValue::String => quote!(#p::avro::write_bytes(#v.as_bytes(), #out);),
        AvroValue::Bytes => quote!(#p::avro::write_bytes(#v, #out);),
        AvroValue::Date => quote!(#p::avro::write_date(#v, #out);),
        AvroValue::TimestampMillis | AvroValue::TimestampMicros => {
            let unit = timestamp_unit(value);
            quote!(#p::avro::write_timestamp(#v, #unit, #out);)
        }
        AvroValue::Decimal { precision, scale } => quote! {
            #p::avro::write_decimal(#v, #precision, #scale, #out).map_err(|e| e.in_field(#key))?;
        },
    }
}
