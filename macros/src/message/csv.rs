//! The CSV decoder and encoder of a `#[derive(Message)]` struct with `format = "csv"`: one
//! record per message, its fields in the struct's order, or, with `header = true`, after a
//! header row that names them (in any order, unknown columns skipped).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::codegen::{build_from_slots, declare_slots, out, reader, slots};
use super::format::Csv;
use super::model::{Field, Message};

/// The body of `decode(payload)`.
pub(super) fn decoder(message: &Message<'_>, csv: &Csv) -> TokenStream {
    let p = quote!(::sluice::__private);
    let reader = reader();
    let style = style(csv);
    let body = if csv.header {
        by_header(message)
    } else {
        in_struct_order(message)
    };
    quote! {
        let mut #reader = #p::CsvReader::new(payload, #style)?;
        #body
    }
}

/// Each field from the column of its position in the struct.
fn in_struct_order(message: &Message<'_>) -> TokenStream {
    let reader = reader();
    let count = message.fields.len();
    let slots = slots(message);
    let reads = message
        .fields
        .iter()
        .zip(&slots)
        .enumerate()
        .map(|(i, (field, slot))| {
            let key = &field.name;
            let read = read_value(field, quote!(&#reader.field(#i, #count)?));
            quote!(let #slot = #read.map_err(|e| e.in_field(#key))?;)
        });
    let ident = message.ident;
    let names = message.fields.iter().map(|f| f.ident);
    quote! {
        #(#reads)*
        #reader.end(#count)?;
        ::core::result::Result::Ok(#ident { #(#names: #slots),* })
    }
}

/// Each field from the column its header names.
fn by_header(message: &Message<'_>) -> TokenStream {
    let reader = reader();
    let slots = slots(message);
    let declare = declare_slots(message, &slots);
    let names = message.fields.iter().map(|f| &f.name);
    let columns = quote_spanned!(Span::mixed_site()=> __columns);
    let column = quote_spanned!(Span::mixed_site()=> __column);
    let field_value = quote_spanned!(Span::mixed_site()=> __field);
    let arms = message
        .fields
        .iter()
        .zip(&slots)
        .enumerate()
        .map(|(i, (field, slot))| {
            let key = &field.name;
            let read = read_value(field, quote!(&#field_value));
            quote! {
                ::core::option::Option::Some(::core::option::Option::Some(#i)) => {
                    #slot = ::core::option::Option::Some(#read.map_err(|e| e.in_field(#key))?);
                }
            }
        });
    let build = build_from_slots(message, &slots, absent_value);
    quote! {
        let #columns = #reader.header(&[#(#names),*])?;
        #declare
        let mut #column = 0usize;
        while let ::core::option::Option::Some(#field_value) = #reader.next_field()? {
            match #columns.get(#column) {
                #(#arms)*
                _ => {}
            }
            #column += 1;
        }
        #reader.end_after_header(#columns.len(), #column)?;
        #build
    }
}

/// The body of `encode(&self, out)`, ending in its `Ok`: the header row when the struct reads one, then the
/// record.
pub(super) fn encoder(message: &Message<'_>, csv: &Csv) -> TokenStream {
    let p = quote!(::sluice::__private);
    let out = out();
    let style = style(csv);
    let delimiter = csv.delimiter;
    let header = csv.header.then(|| {
        let mut line = Vec::new();
        for (i, field) in message.fields.iter().enumerate() {
            if i > 0 {
                line.push(delimiter);
            }
            write_field(&field.name, csv, &mut line);
        }
        line.push(b'\n');
        let line = syn::LitByteStr::new(&line, Span::call_site());
        quote!(#out.extend_from_slice(#line);)
    });
    let fields = message.fields.iter().enumerate().map(|(i, field)| {
        let name = field.ident;
        let ty = field.ty;
        let key = &field.name;
        let separate = (i > 0).then(|| quote!(#out.push(#delimiter);));
        let write = match field.epoch {
            Some((micros, _)) => quote_spanned! {ty.span()=>
                <#ty as #p::CsvEpochField>::write_epoch_csv(&self.#name, #micros, #out)
            },
            None => quote_spanned! {ty.span()=>
                <#ty as #p::FromCsv>::write_csv(&self.#name, #style, #out)
                    .map_err(|e| e.in_field(#key))?
            },
        };
        quote! {
            #separate
            #write;
        }
    });
    quote! {
        #header
        #(#fields)*
        ::core::result::Result::Ok(())
    }
}

fn style(csv: &Csv) -> TokenStream {
    let p = quote!(::sluice::__private);
    let (delimiter, quote) = (csv.delimiter, csv.quote);
    quote!(#p::CsvStyle { delimiter: #delimiter, quote: #quote })
}

/// A header name as one CSV field, quoted as the runtime's writer would quote it.
fn write_field(text: &str, csv: &Csv, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    let special = |b: &u8| *b == csv.delimiter || *b == csv.quote || *b == b'\r' || *b == b'\n';
    if !bytes.is_empty() && !bytes.iter().any(special) {
        out.extend_from_slice(bytes);
        return;
    }
    out.push(csv.quote);
    for &byte in bytes {
        if byte == csv.quote {
            out.push(byte);
        }
        out.push(byte);
    }
    out.push(csv.quote);
}

/// The expression reading one field's value from `field` (a `&CsvField`), spanned at its
/// type so that an unsupported type is reported there.
fn read_value(field: &Field<'_>, from: TokenStream) -> TokenStream {
    let ty = field.ty;
    let p = quote!(::sluice::__private);
    match field.epoch {
        Some((micros, expected)) => quote_spanned! {ty.span()=>
            <#ty as #p::CsvEpochField>::read_epoch_csv(#from, #micros, #expected)
        },
        None => quote_spanned! {ty.span()=>
            <#ty as #p::FromCsv>::read_csv(#from)
        },
    }
}

fn absent_value(field: &Field<'_>) -> TokenStream {
    let ty = field.ty;
    let p = quote!(::sluice::__private);
    match field.epoch {
        Some(_) => quote_spanned!(ty.span()=> <#ty as #p::CsvEpochField>::absent()),
        None => quote_spanned!(ty.span()=> <#ty as #p::FromCsv>::absent()),
    }
}
