//! Helpers for the `#[message(...)]` and `#[row(...)]` attributes.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr};

use crate::ctxt::Ctxt;
pub(crate) use sluice_schema::closest;

/// Calls `each` for every `key` or `key = value` inside `#[name(...)]` attributes. An error
/// `each` returns ends that attribute (its remaining tokens cannot be trusted); an error it
/// pushes to the `Ctxt` it is given does not.
pub(crate) fn for_each_arg(
    cx: &mut Ctxt,
    attrs: &[Attribute],
    name: &str,
    mut each: impl FnMut(&mut Ctxt, &ParseNestedMeta<'_>, &str) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident(name)) {
        let result = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            each(cx, &meta, &key)
        });
        if let Err(error) = result {
            cx.push(error);
        }
    }
}

/// An argument that may be given once, such as `topic` or `#[row(key)]`. The first value
/// stays; a repeat is an error at the repeated key that says where the first one is, so
/// that no attribute silently overrides another.
pub(crate) struct Once<T> {
    first: Option<(T, Span, String)>,
    /// What the value is, for keys that are alternatives to each other.
    meaning: &'static str,
}

impl<T> Default for Once<T> {
    fn default() -> Self {
        Once::alternatives("the same setting")
    }
}

impl<T> Once<T> {
    /// For several keys that each give `meaning`, such as `migrations` and `schema`.
    pub fn alternatives(meaning: &'static str) -> Self {
        Once {
            first: None,
            meaning,
        }
    }

    /// Records `value` for the argument `meta`, whose key is `key`.
    pub fn set(&mut self, cx: &mut Ctxt, meta: &ParseNestedMeta<'_>, key: &str, value: T) {
        let at = meta.path.span();
        match &self.first {
            None => self.first = Some((value, at, key.to_owned())),
            Some((_, first_at, first_key)) => {
                let place = place_of(*first_at, at);
                let message = if first_key == key {
                    format!("`{key}` is given twice (the first is {place}): remove one of them")
                } else {
                    let meaning = self.meaning;
                    format!(
                        "{meaning} is already given by `{first_key}` ({place}): give either `{first_key}` or `{key}`, not both"
                    )
                };
                cx.error_at(at, message);
            }
        }
    }

    pub fn is_set(&self) -> bool {
        self.first.is_some()
    }

    pub fn get(&self) -> Option<&T> {
        self.first.as_ref().map(|(value, _, _)| value)
    }

    /// Where the argument was given: its key.
    pub fn span(&self) -> Option<Span> {
        self.first.as_ref().map(|(_, span, _)| *span)
    }

    pub fn into_value(self) -> Option<T> {
        self.first.map(|(value, _, _)| value)
    }
}

/// `first` described from where `then` is: "on line 4", or "earlier on this line".
fn place_of(first: Span, then: Span) -> String {
    match (line_of(first), line_of(then)) {
        (Some(first), Some(then)) if first == then => "earlier on this line".to_owned(),
        (Some(first), _) => format!("on line {first}"),
        _ => "above".to_owned(),
    }
}

/// The line a span starts on; unknown outside a macro expansion (in unit tests).
fn line_of(span: Span) -> Option<usize> {
    proc_macro::is_available().then(|| span.unwrap().line())
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
