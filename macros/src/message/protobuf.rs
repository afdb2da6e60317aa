//! The protobuf decoder and encoder of a `#[derive(Message)]` struct with
//! `format = "protobuf"`: fields matched by their number (checked against the `.proto` file at
//! compile time), the message's other fields skipped; an absent field is its type's default,
//! or `None` when it is `optional`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use sluice_schema::protobuf::ProtoScalar;
use syn::Type;

use super::codegen::{out, reader, slots};
use super::model::Message;
use super::proto_check::ProtoFieldRead;
use crate::field_type::generic_argument;

/// The body of `decode(payload)`.
pub(super) fn decoder(message: &Message<'_>) -> TokenStream {
    let p = quote!(::sluice::__private);
    let reader = reader();
    let slots = slots(message);
    let wire = quote_spanned!(Span::mixed_site()=> __wire);
    let declare = message.fields.iter().zip(&slots).map(|(field, slot)| {
        let ty = field.ty;
        quote!(let mut #slot: ::core::option::Option<#ty> = ::core::option::Option::None;)
    });
    let arms = message
        .fields
        .iter()
        .zip(&slots)
        .zip(&message.proto_fields)
        .map(|((field, slot), proto)| {
            let key = &field.name;
            let number = proto.number;
            let expected_wire = proto.read.scalar.wire_type();
            let inner = generic_argument(field.ty, "Option").unwrap_or(field.ty);
            let value = read_scalar(proto.read.scalar, inner);
            let value = if proto.read.optional {
                quote!(::core::option::Option::Some(#value))
            } else {
                value
            };
            quote! {
                #number => {
                    #slot = ::core::option::Option::Some(
                        (|| -> ::core::result::Result<_, #p::DecodeError> {
                            #reader.expect(#wire, #expected_wire)?;
                            ::core::result::Result::Ok(#value)
                        })()
                        .map_err(|e| e.in_field(#key))?,
                    );
                }
            }
        });
    let ident = message.ident;
    let names = message.fields.iter().map(|f| f.ident);
    quote! {
        let mut #reader = #p::protobuf::ProtoReader::new(payload);
        #(#declare)*
        while let ::core::option::Option::Some((number, #wire)) = #reader.next_key()? {
            match number {
                #(#arms)*
                _ => #reader.skip(#wire)?,
            }
        }
        ::core::result::Result::Ok(#ident {
            #(#names: ::core::option::Option::unwrap_or_default(#slots),)*
        })
    }
}

fn read_scalar(scalar: ProtoScalar, ty: &Type) -> TokenStream {
    let p = quote!(::sluice::__private);
    let reader = reader();
    let at = quote_spanned!(Span::mixed_site()=> __at);
    let expected = format!("an integer ({})", quote!(#ty));
    let integer = |raw: TokenStream| {
        quote! {{
            let #at = #reader.offset();
            #p::protobuf::integer::<#ty>(#raw, #at, #expected)?
        }}
    };
    match scalar {
        ProtoScalar::Bool => quote!(#reader.read_varint()? != 0),
        ProtoScalar::Double => quote!(f64::from_bits(#reader.read_fixed64()?)),
        ProtoScalar::Float => quote!(<#ty>::from(f32::from_bits(#reader.read_fixed32()?))),
        ProtoScalar::String => quote!(::std::borrow::ToOwned::to_owned(#reader.read_string()?)),
        ProtoScalar::Bytes => quote!(#reader.read_bytes()?.to_vec()),
        ProtoScalar::Fixed32 | ProtoScalar::Sfixed32 => {
            let signed = scalar == ProtoScalar::Sfixed32;
            integer(
                quote!(#p::protobuf::fixed_value(u64::from(#reader.read_fixed32()?), 32, #signed)),
            )
        }
        ProtoScalar::Fixed64 | ProtoScalar::Sfixed64 => {
            let signed = scalar == ProtoScalar::Sfixed64;
            integer(quote!(#p::protobuf::fixed_value(#reader.read_fixed64()?, 64, #signed)))
        }
        varint => {
            let kind = varint_kind(varint);
            integer(
                quote!(#p::protobuf::varint_value(#reader.read_varint()?, #p::protobuf::Varint::#kind)),
            )
        }
    }
}

fn varint_kind(scalar: ProtoScalar) -> TokenStream {
    match scalar {
        ProtoScalar::Int32 => quote!(Int32),
        ProtoScalar::Uint32 => quote!(Uint32),
        ProtoScalar::Uint64 => quote!(Uint64),
        ProtoScalar::Sint32 => quote!(Sint32),
        ProtoScalar::Sint64 => quote!(Sint64),
        _ => quote!(Int64),
    }
}

/// The body of `encode(&self, out)`, ending in its `Ok`: each field with its number, unless
/// it holds its type's default (proto3's rule for fields without presence) or is `None`.
pub(super) fn encoder(message: &Message<'_>) -> TokenStream {
    let writes = message
        .fields
        .iter()
        .zip(&message.proto_fields)
        .map(|(field, proto)| {
            let name = field.ident;
            let key = &field.name;
            let value = quote_spanned!(Span::mixed_site()=> __value);
            let write = write_scalar(proto, &value, key);
            if proto.read.optional {
                quote! {
                    if let ::core::option::Option::Some(#value) = &self.#name {
                        #write
                    }
                }
            } else if proto.read.presence {
                quote! {
                    let #value = &self.#name;
                    #write
                }
            } else {
                let ty = field.ty;
                quote! {
                    let #value = &self.#name;
                    if *#value != <#ty as ::core::default::Default>::default() {
                        #write
                    }
                }
            }
        });
    quote! {
        #(#writes)*
        ::core::result::Result::Ok(())
    }
}

fn write_scalar(proto: &ProtoFieldRead, v: &TokenStream, key: &str) -> TokenStream {
    let p = quote!(::sluice::__private);
    let out = out();
    let number = proto.number;
    let scalar = proto.read.scalar;
    let wire = scalar.wire_type();
    let value = match scalar {
        ProtoScalar::Bool => quote!(#p::protobuf::write_varint(u64::from(*#v), #out);),
        ProtoScalar::Double => quote!(#out.extend_from_slice(&(*#v).to_le_bytes());),
        ProtoScalar::Float => quote! {
            #out.extend_from_slice(
                &#p::narrow_float(*#v).map_err(|e| e.in_field(#key))?.to_le_bytes(),
            );
        },
        ProtoScalar::String => quote!(#p::protobuf::write_bytes(#v.as_bytes(), #out);),
        ProtoScalar::Bytes => quote!(#p::protobuf::write_bytes(#v, #out);),
        ProtoScalar::Fixed32
        | ProtoScalar::Sfixed32
        | ProtoScalar::Fixed64
        | ProtoScalar::Sfixed64 => {
            let bits: u32 = if matches!(scalar, ProtoScalar::Fixed32 | ProtoScalar::Sfixed32) {
                32
            } else {
                64
            };
            let signed = matches!(scalar, ProtoScalar::Sfixed32 | ProtoScalar::Sfixed64);
            quote!(#p::protobuf::write_fixed(*#v, #bits, #signed, #out).map_err(|e| e.in_field(#key))?;)
        }
        varint => {
            let kind = varint_kind(varint);
            quote!(#p::protobuf::write_integer(*#v, #p::protobuf::Varint::#kind, #out).map_err(|e| e.in_field(#key))?;)
        }
    };
    quote! {
        #p::protobuf::write_key(#number, #wire, #out);
        #value
    }
}
