//! Helpers for the `#[message(...)]` and `#[row(...)]` attributes.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr};

use crate::ctxt::Ctxt;
pub(crate) use sluice_schema::closest;

/// Calls `each` for every `key` or `key = value` inside `#[name(...)]` attributes, collecting
/// errors in `cx`.
pub(crate) fn for_each_arg(
    cx: &mut Ctxt,
    attrs: &[Attribute],
    name: &str,
    mut each: impl FnMut(&ParseNestedMeta<'_>, &str) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident(name)) {
        let result = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            each(&meta, &key)
        });
        if let Err(error) = result {
            cx.push(error);
        }
    }
}

/// Reads the `= "..."` of a `key = "..."` argument.
pub(crate) fn string_value(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    meta.value()?.parse::<LitStr>()
}

/// Reads the `= "..."` of a name such as `table` or `topic`, which cannot be blank.
pub(crate) fn name_value(meta: &ParseNestedMeta<'_>, what: &str) -> syn::Result<LitStr> {
    let value = string_value(meta)?;
    if value.value().trim().is_empty() {
        return Err(syn::Error::new(
            value.span(),
            format!("the {what} name cannot be empty"),
        ));
    }
    Ok(value)
}

/// The error for an argument no attribute of this kind has, with the closest known one.
pub(crate) fn unknown(
    meta: &ParseNestedMeta<'_>,
    attr: &str,
    key: &str,
    known: &[&str],
) -> syn::Error {
    let hint = match closest(key, known.iter().copied()) {
        Some(candidate) => format!("; did you mean `{candidate}`?"),
        None => format!("; expected one of: {}", known.join(", ")),
    };
    meta.error(format!("unknown {attr} attribute `{key}`{hint}"))
}

/// The named fields of a plain struct; any other item is reported at its keyword.
pub(crate) fn named_fields<'a>(
    cx: &mut Ctxt,
    input: &'a syn::DeriveInput,
    derive: &str,
) -> Option<&'a syn::FieldsNamed> {
    let advice = format!("#[derive({derive})] needs a struct with named fields");
    match &input.data {
        syn::Data::Struct(data) => match &data.fields {
            syn::Fields::Named(fields) => return Some(fields),
            syn::Fields::Unnamed(fields) => {
                cx.error(fields, format!("{advice}, not a tuple struct"))
            }
            syn::Fields::Unit => cx.error(&input.ident, format!("{advice}, not a unit struct")),
        },
        syn::Data::Enum(data) => cx.error(data.enum_token, format!("{advice}, not an enum")),
        syn::Data::Union(data) => cx.error(data.union_token, format!("{advice}, not a union")),
    }
    None
}

/// Generic structs are not supported yet; say so at the parameters.
pub(crate) fn reject_generics(cx: &mut Ctxt, input: &syn::DeriveInput, derive: &str) {
    if !input.generics.params.is_empty() {
        cx.error(
            &input.generics,
            format!(
                "#[derive({derive})] does not support generic parameters: use a concrete struct"
            ),
        );
    }
}
