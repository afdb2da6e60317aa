//! The typed model of a `#[derive(Message)]` struct, with every check that needs no types.

use proc_macro2::Span;
use syn::{Ident, LitStr, Type};

use crate::attr::{for_each_arg, name_value, named_fields, reject_generics, string_value, unknown};
use crate::ctxt::Ctxt;

const STRUCT_ARGS: &[&str] = &["topic", "format"];
const FIELD_ARGS: &[&str] = &["rename", "with", "event_time", "max_delay"];
const FORMATS: &[&str] = &["json"];
/// `with = "..."` adapters: name, length of the unit in microseconds, what the payload holds.
pub(crate) const EPOCH_UNITS: &[(&str, i64, &str)] = &[
    (
        "epoch_seconds",
        1_000_000,
        "an integer of seconds since 1970-01-01",
    ),
    (
        "epoch_millis",
        1_000,
        "an integer of milliseconds since 1970-01-01",
    ),
    (
        "epoch_micros",
        1,
        "an integer of microseconds since 1970-01-01",
    ),
];

pub(crate) struct Message<'a> {
    pub ident: &'a Ident,
    pub topic: LitStr,
    pub fields: Vec<Field<'a>>,
    pub event_time: Option<&'a Ident>,
    /// `max_delay = "5s"` on the event-time field, in milliseconds.
    pub max_delay_millis: i64,
}

pub(crate) struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    /// The key in the JSON object.
    pub name: String,
    /// `with = "epoch_*"`: the unit in microseconds and its description.
    pub epoch: Option<(i64, &'static str)>,
}

impl<'a> Message<'a> {
    pub fn parse(input: &'a syn::DeriveInput) -> syn::Result<Self> {
        let mut cx = Ctxt::default();
        reject_generics(&mut cx, input, "Message");
        let mut topic = None;
        for_each_arg(&mut cx, &input.attrs, "message", |meta, key| match key {
            "topic" => {
                topic = Some(name_value(meta, "topic")?);
                Ok(())
            }
            "format" => {
                let value = string_value(meta)?;
                if !FORMATS.contains(&value.value().as_str()) {
                    return Err(syn::Error::new(
                        value.span(),
                        format!(
                            "unsupported format `{}`: sluice decodes `json` (CSV and Avro are planned)",
                            value.value()
                        ),
                    ));
                }
                Ok(())
            }
            _ => Err(unknown(meta, "message", key, STRUCT_ARGS)),
        });
        if topic.is_none() {
            cx.error(
                &input.ident,
                "missing topic: add #[message(topic = \"...\", format = \"json\")] to this struct",
            );
        }

        let mut fields = Vec::new();
        let mut event_time: Option<&Ident> = None;
        let mut max_delay: Option<(i64, Span)> = None;
        if let Some(named) = named_fields(&mut cx, input, "Message") {
            for field in &named.named {
                let Some(ident) = field.ident.as_ref() else {
                    continue;
                };
                let mut name = ident.to_string();
                let mut epoch = None;
                for_each_arg(&mut cx, &field.attrs, "message", |meta, key| match key {
                    "rename" => {
                        name = string_value(meta)?.value();
                        Ok(())
                    }
                    "with" => {
                        let value = string_value(meta)?;
                        let unit = EPOCH_UNITS.iter().find(|(n, _, _)| *n == value.value());
                        match unit {
                            Some((_, micros, what)) => {
                                epoch = Some((*micros, *what));
                                Ok(())
                            }
                            None => {
                                let names: Vec<&str> = EPOCH_UNITS.iter().map(|u| u.0).collect();
                                let hint =
                                    crate::attr::closest(&value.value(), names.iter().copied())
                                        .map(|c| format!("did you mean `{c}`? "))
                                        .unwrap_or_default();
                                Err(syn::Error::new(
                                    value.span(),
                                    format!(
                                        "unknown `with` adapter `{}`: {hint}expected one of: {}",
                                        value.value(),
                                        names.join(", ")
                                    ),
                                ))
                            }
                        }
                    }
                    "event_time" => {
                        if let Some(first) = event_time {
                            return Err(meta.error(format!(
                                "only one field can be the event time; `{first}` already is"
                            )));
                        }
                        event_time = Some(ident);
                        Ok(())
                    }
                    "max_delay" => {
                        let value = string_value(meta)?;
                        let millis = parse_duration_millis(&value.value()).ok_or_else(|| {
                            syn::Error::new(
                                value.span(),
                                "expected a duration such as \"500ms\", \"5s\", \"2m\" or \"1h\"",
                            )
                        })?;
                        max_delay = Some((millis, value.span()));
                        Ok(())
                    }
                    _ => Err(unknown(meta, "message field", key, FIELD_ARGS)),
                });
                fields.push(Field {
                    ident,
                    ty: &field.ty,
                    name,
                    epoch,
                });
            }
        }
        check_unique_names(&mut cx, &fields);
        if let (Some((_, span)), None) = (max_delay, event_time) {
            cx.error_at(
                span,
                "`max_delay` bounds how late an event time may arrive: put it next to \
                 `event_time`, as #[message(event_time, max_delay = \"...\")]",
            );
        }
        cx.finish()?;
        Ok(Message {
            ident: &input.ident,
            topic: topic.unwrap_or_else(|| LitStr::new("", Span::call_site())),
            fields,
            event_time,
            max_delay_millis: max_delay.map_or(0, |(millis, _)| millis),
        })
    }
}

fn check_unique_names(cx: &mut Ctxt, fields: &[Field<'_>]) {
    for (i, field) in fields.iter().enumerate() {
        if let Some(first) = fields[..i].iter().find(|f| f.name == field.name) {
            cx.error(
                field.ident,
                format!(
                    "fields `{}` and `{}` both read the JSON key \"{}\": rename one with #[message(rename = \"...\")]",
                    first.ident, field.ident, field.name
                ),
            );
        }
    }
}

/// `"500ms"`, `"5s"`, `"2m"`, `"1h"` in milliseconds.
pub(crate) fn parse_duration_millis(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().ok()?;
    let unit = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    number.checked_mul(unit)
}
