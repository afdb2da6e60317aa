//! The JSON decoder and encoder of a `#[derive(Message)]` struct: one pass over the object,
//! matching keys to fields; writing, every field under its key.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::codegen::{build_from_slots, declare_slots, out, reader, slots};
use super::model::{Field, Message};

/// The body of `decode(payload)`.
pub(super) fn decoder(message: &Message<'_>) -> TokenStream {
    let p = quote!(::sluice::__private);
    let reader = reader();
    let whole = quote_spanned!(Span::mixed_site()=> __whole);
    let ObjectReader { statements, build } = object_reader(message);
    quote! {
        let mut #whole = #p::JsonReader::new(payload);
        let #reader = &mut #whole;
        #statements
        #reader.end()?;
        #build
    }
}

/// Reading one JSON object into the struct from `__reader`, a `&mut JsonReader` in scope: the
/// statements that read it, and the expression that builds the `Ok(Struct { .. })`.
pub(super) struct ObjectReader {
    pub statements: TokenStream,
    pub build: TokenStream,
}

pub(super) fn object_reader(message: &Message<'_>) -> ObjectReader {
    let p = quote!(::sluice::__private);
    let reader = reader();
    let (first, key) = (
        quote_spanned!(Span::mixed_site()=> __first),
        quote_spanned!(Span::mixed_site()=> __key),
    );
    let slots = slots(message);
    let declare = declare_slots(message, &slots);
    let arms = message.fields.iter().zip(&slots).map(|(field, slot)| {
        let name = &field.name;
        let key_bytes = syn::LitByteStr::new(name.as_bytes(), Span::call_site());
        let read = read_value(field, &reader);
        quote! {
            #key_bytes => {
                if #slot.is_some() {
                    return ::core::result::Result::Err(#p::DecodeError::duplicate(#name, #reader.offset()));
                }
                #slot = ::core::option::Option::Some(#read.map_err(|e| e.in_field(#name))?);
            }
        }
    });
    let statements = quote! {
        #reader.begin_object("a JSON object")?;
        #declare
        let mut #first = true;
        while let ::core::option::Option::Some(#key) = #reader.next_key(&mut #first)? {
            match &*#key {
                #(#arms)*
                _ => #reader.skip_value()?,
            }
        }
    };
    ObjectReader {
        statements,
        build: build_from_slots(message, &slots, absent_value),
    }
}

/// The body of `encode(&self, out)`, ending in its `Ok`: a JSON object with every field under its key.
pub(super) fn encoder(message: &Message<'_>) -> TokenStream {
    let p = quote!(::sluice::__private);
    let out = out();
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
    quote! {
        #open_if_empty
        #(#fields)*
        #out.push(b'}');
        ::core::result::Result::Ok(())
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
            <#ty as #p::EpochField>::read_epoch(#reader, #micros, #expected)
        },
        None => quote_spanned! {ty.span()=>
            <#ty as #p::FromJson>::read_json(#reader)
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
