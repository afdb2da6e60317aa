//! Helpers for the `#[message(...)]` and `#[row(...)]` attributes.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr};

use crate::ctxt::Ctxt;

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

/// The candidate nearest to `name` by edit distance, if any is near enough to be a typo.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edits (insertions, deletions, substitutions, swaps of neighbours) that turn `a` into `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_attribute() {
        assert_eq!(closest("topik", ["topic", "format"]), Some("topic"));
        assert_eq!(closest("tabel", ["table", "key"]), Some("table"));
        assert_eq!(closest("xyz", ["topic", "format"]), None);
    }
}
