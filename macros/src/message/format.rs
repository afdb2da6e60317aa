//! The wire format of a `#[derive(Message)]` struct: `format = "..."` and the arguments that
//! belong to one format (`delimiter`, `quote`, `header` for CSV).

use syn::meta::ParseNestedMeta;
use syn::{LitBool, LitStr};

use crate::attr::{Once, closest, string_value};
use crate::ctxt::Ctxt;

/// The struct-level arguments this module reads.
pub(crate) const FORMAT_ARGS: &[&str] = &["format", "delimiter", "quote", "header"];
const FORMATS: &[&str] = &["json", "csv"];

pub(crate) enum Format {
    Json,
    Csv(Csv),
}

pub(crate) struct Csv {
    pub delimiter: u8,
    pub quote: u8,
    /// Whether each message starts with a header row that names its columns.
    pub header: bool,
}

impl Format {
    /// What a field's name is matched against, for error messages.
    pub fn name_of_a_field(&self) -> &'static str {
        match self {
            Format::Json => "JSON key",
            Format::Csv(_) => "header column",
        }
    }
}

/// The format arguments as given, before they are checked against each other.
#[derive(Default)]
pub(crate) struct FormatArgs {
    format: Once<LitStr>,
    delimiter: Once<Option<u8>>,
    quote: Once<Option<u8>>,
    header: Once<bool>,
}

impl FormatArgs {
    /// Reads `key` when it is one of [`FORMAT_ARGS`].
    pub fn parse(
        &mut self,
        cx: &mut Ctxt,
        meta: &ParseNestedMeta<'_>,
        key: &str,
    ) -> syn::Result<()> {
        match key {
            "format" => {
                let value = string_value(meta)?;
                if !FORMATS.contains(&value.value().as_str()) {
                    let hint = closest(&value.value(), FORMATS.iter().copied())
                        .map(|c| format!("did you mean `{c}`? "))
                        .unwrap_or_default();
                    cx.error(
                        &value,
                        format!(
                            "unsupported format `{}`: {hint}sluice reads `json` and `csv`",
                            value.value()
                        ),
                    );
                }
                self.format.set(cx, meta, key, value);
            }
            "delimiter" | "quote" => {
                let value = string_value(meta)?;
                let byte = one_byte(cx, &value, key);
                let once = if key == "delimiter" {
                    &mut self.delimiter
                } else {
                    &mut self.quote
                };
                once.set(cx, meta, key, byte);
            }
            "header" => {
                let value = if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<LitBool>()?.value
                } else {
                    true
                };
                self.header.set(cx, meta, key, value);
            }
            _ => unreachable!("only the keys of FORMAT_ARGS are passed"),
        }
        Ok(())
    }

    /// The format, with an error at every argument that does not belong to it.
    pub fn finish(self, cx: &mut Ctxt) -> Format {
        let is_csv = self.format.get().is_some_and(|f| f.value() == "csv");
        if !is_csv {
            for (key, span) in [
                ("delimiter", self.delimiter.span()),
                ("quote", self.quote.span()),
                ("header", self.header.span()),
            ] {
                if let Some(span) = span {
                    cx.error_at(
                        span,
                        format!("`{key}` belongs to CSV messages: add `format = \"csv\"` or remove `{key}`"),
                    );
                }
            }
            return Format::Json;
        }
        let clash_at = self.quote.span().or(self.delimiter.span());
        let delimiter = self.delimiter.into_value().flatten().unwrap_or(b',');
        let quote = self.quote.into_value().flatten().unwrap_or(b'"');
        if let Some(at) = clash_at.filter(|_| delimiter == quote) {
            cx.error_at(
                at,
                format!(
                    "the delimiter and the quote are both `{}`: give them different characters",
                    char::from(delimiter)
                ),
            );
        }
        Format::Csv(Csv {
            delimiter,
            quote,
            header: self.header.into_value().unwrap_or(false),
        })
    }
}

/// The single ASCII character of a `delimiter` or `quote`; `None` after reporting anything
/// else.
fn one_byte(cx: &mut Ctxt, value: &LitStr, key: &str) -> Option<u8> {
    let text = value.value();
    match text.as_bytes() {
        [b'\r' | b'\n'] => cx.error(
            value,
            format!("a line break cannot be the `{key}`: it ends a record"),
        ),
        [byte] if byte.is_ascii() => return Some(*byte),
        _ => cx.error(
            value,
            format!(
                "the `{key}` must be one ASCII character, such as \",\", \";\", \"\\t\" or \"|\""
            ),
        ),
    }
    None
}
