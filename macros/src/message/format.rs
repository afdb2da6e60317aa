//! The wire format of a `#[derive(Message)]` struct: `format = "..."` and the arguments that
//! belong to one format (`delimiter`, `quote`, `header` for CSV; `schema`, `schema_id`,
//! `message_type` for Avro and protobuf).

use std::path::PathBuf;

use sluice_schema::avro::{AvroRecord, parse_record};
use sluice_schema::protobuf::{ProtoMessage, parse_messages};
use syn::meta::ParseNestedMeta;
use syn::{LitBool, LitInt, LitStr};

use crate::attr::{Once, closest, string_value};
use crate::ctxt::Ctxt;

/// The struct-level arguments this module reads.
pub(crate) const FORMAT_ARGS: &[&str] = &[
    "format",
    "delimiter",
    "quote",
    "header",
    "schema",
    "schema_id",
    "message_type",
];
const FORMATS: &[&str] = &["json", "csv", "avro", "protobuf", "debezium"];

pub(crate) enum Format {
    Json,
    /// A Debezium change event in JSON, whose row image is the struct.
    Debezium,
    Csv(Csv),
    Avro(Avro),
    Protobuf(Protobuf),
}

pub(crate) struct Protobuf {
    /// The `.proto` file, absolute, for `include_bytes!` (a change rebuilds the crate).
    pub path: PathBuf,
    pub message: ProtoMessage,
}

pub(crate) struct Avro {
    /// The `.avsc` file, absolute, for `include_bytes!` (a change rebuilds the crate).
    pub path: PathBuf,
    pub record: AvroRecord,
    /// The schema's id in the Schema Registry, which every payload's header must carry.
    pub schema_id: u32,
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
            Format::Json | Format::Debezium => "JSON key",
            Format::Csv(_) => "header column",
            Format::Avro(_) => "Avro field",
            Format::Protobuf(_) => "protobuf field",
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
    schema: Once<LitStr>,
    schema_id: Once<Option<u32>>,
    message_type: Once<LitStr>,
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
                            "unsupported format `{}`: {hint}sluice reads `json`, `csv`, `avro`, `protobuf` and `debezium`",
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
            "schema" => self.schema.set(cx, meta, key, string_value(meta)?),
            "message_type" => self.message_type.set(cx, meta, key, string_value(meta)?),
            "schema_id" => {
                let value = meta.value()?.parse::<LitInt>()?;
                let id = value.base10_parse::<u32>().ok();
                if id.is_none() {
                    cx.error(
                        &value,
                        "a Schema Registry id is a number from 0 to 4294967295",
                    );
                }
                self.schema_id.set(cx, meta, key, id);
            }
            _ => unreachable!("only the keys of FORMAT_ARGS are passed"),
        }
        Ok(())
    }

    /// The format, with an error at every argument that does not belong to it.
    pub fn finish(self, cx: &mut Ctxt, ident: &syn::Ident) -> Format {
        let format = self.format.get().map(LitStr::value);
        // Each argument, where it was given, and the formats it belongs to.
        let specific = [
            ("delimiter", self.delimiter.span(), &["csv"][..]),
            ("quote", self.quote.span(), &["csv"][..]),
            ("header", self.header.span(), &["csv"][..]),
            ("schema", self.schema.span(), &["avro", "protobuf"][..]),
            ("schema_id", self.schema_id.span(), &["avro"][..]),
            ("message_type", self.message_type.span(), &["protobuf"][..]),
        ];
        for (key, span, formats) in specific {
            let Some(span) = span else { continue };
            if format.as_deref().is_some_and(|f| formats.contains(&f)) {
                continue;
            }
            let wanted: Vec<String> = formats
                .iter()
                .map(|f| format!("`format = \"{f}\"`"))
                .collect();
            cx.error_at(
                span,
                format!(
                    "`{key}` belongs to {} messages: add {} or remove `{key}`",
                    formats.join(" and "),
                    wanted.join(" or ")
                ),
            );
        }
        match format.as_deref() {
            Some("csv") => self.csv(cx),
            Some("avro") => self.avro(cx, ident),
            Some("protobuf") => self.protobuf(cx, ident),
            Some("debezium") => Format::Debezium,
            _ => Format::Json,
        }
    }

    fn protobuf(self, cx: &mut Ctxt, ident: &syn::Ident) -> Format {
        let Some(schema) = self.schema.into_value() else {
            cx.error(
                ident,
                "a protobuf message needs its definition: add `schema = \"path/to/order.proto\"` \
                 (relative to Cargo.toml), and `message_type = \"Order\"` when the file defines \
                 several messages",
            );
            return Format::Json;
        };
        let Some(path) = schema_path(cx, &schema) else {
            return Format::Json;
        };
        let messages = match std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))
            .and_then(|text| parse_messages(&text))
        {
            Ok(messages) => messages,
            Err(error) => {
                cx.error(&schema, error);
                return Format::Json;
            }
        };
        let names: Vec<&str> = messages.iter().map(|m| m.name.as_str()).collect();
        let wanted = self.message_type.into_value();
        let chosen = match &wanted {
            Some(name) => messages.iter().find(|m| m.name == name.value()),
            None if messages.len() == 1 => messages.first(),
            None => None,
        };
        match (chosen, wanted) {
            (Some(message), _) => Format::Protobuf(Protobuf {
                path,
                message: message.clone(),
            }),
            (None, Some(name)) => {
                let hint = closest(&name.value(), names.iter().copied())
                    .map(|c| format!("did you mean `{c}`? "))
                    .unwrap_or_default();
                cx.error(
                    &name,
                    format!(
                        "{} defines no message `{}`: {hint}it defines {}",
                        schema.value(),
                        name.value(),
                        names.join(", ")
                    ),
                );
                Format::Json
            }
            (None, None) => {
                cx.error(
                    &schema,
                    format!(
                        "{} defines several messages ({}): name one with `message_type = \"...\"`",
                        schema.value(),
                        names.join(", ")
                    ),
                );
                Format::Json
            }
        }
    }

    fn avro(self, cx: &mut Ctxt, ident: &syn::Ident) -> Format {
        let Some(schema) = self.schema.into_value() else {
            cx.error(
                ident,
                "an Avro message needs its schema: add `schema = \"path/to/record.avsc\"` \
                 (relative to Cargo.toml) and `schema_id = N` (its Schema Registry id)",
            );
            return Format::Json;
        };
        let schema_id = match self.schema_id.into_value() {
            Some(id) => id,
            None => {
                cx.error(
                    &schema,
                    "add `schema_id = N`: the Schema Registry id of this schema, which every \
                     payload's Confluent header must carry",
                );
                None
            }
        };
        let Some(root) = std::env::var_os("CARGO_MANIFEST_DIR") else {
            cx.error(
                &schema,
                "CARGO_MANIFEST_DIR is not set: build with cargo to read the schema",
            );
            return Format::Json;
        };
        let path = PathBuf::from(root).join(schema.value());
        let record = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))
            .and_then(|text| parse_record(&text));
        match (record, schema_id) {
            (Ok(record), Some(schema_id)) => Format::Avro(Avro {
                path,
                record,
                schema_id,
            }),
            (Err(error), _) => {
                cx.error(&schema, error);
                Format::Json
            }
            (Ok(_), None) => Format::Json,
        }
    }

    fn csv(self, cx: &mut Ctxt) -> Format {
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

/// The absolute path of a schema file named relative to the crate's `Cargo.toml`.
fn schema_path(cx: &mut Ctxt, schema: &LitStr) -> Option<PathBuf> {
    match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(root) => Some(PathBuf::from(root).join(schema.value())),
        None => {
            cx.error(
                schema,
                "CARGO_MANIFEST_DIR is not set: build with cargo to read the schema",
            );
            None
        }
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
        [byte] if byte.is_ascii_alphanumeric() || b"+-.".contains(byte) => cx.error(
            value,
            format!(
                "the `{key}` cannot be a letter, a digit, `+`, `-` or `.`: numbers and booleans \
                 are written without quotes, and would be split or misread"
            ),
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
