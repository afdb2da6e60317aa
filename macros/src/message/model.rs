//! The typed model of a `#[derive(Message)]` struct, with every check that needs no types.

use proc_macro2::Span;
use sluice_schema::parse_duration_millis;
use syn::{Ident, LitStr, Type};

use crate::attr::{
    Once, closest, for_each_arg, name_value, named_fields, reject_generics, string_value, unknown,
};
use crate::ctxt::Ctxt;

use super::avro_check::{self, SchemaField};
use super::format::{FORMAT_ARGS, Format, FormatArgs};
use super::proto_check::{self, ProtoFieldRead};

const STRUCT_ARGS: &[&str] = &[
    "topic",
    "queue",
    "exchange",
    "format",
    "delimiter",
    "quote",
    "header",
    "schema",
    "schema_id",
    "message_type",
];
const FIELD_ARGS: &[&str] = &[
    "rename",
    "with",
    "event_time",
    "max_delay",
    "max_future",
    "key",
];
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
    (
        "epoch_days",
        86_400_000_000,
        "an integer of days since 1970-01-01",
    ),
];

pub(crate) struct Message<'a> {
    pub ident: &'a Ident,
    pub topic: LitStr,
    /// `queue = "..."`: the RabbitMQ queue an input reads.
    pub queue: Option<LitStr>,
    /// `exchange = "..."`: the RabbitMQ exchange an output publishes to.
    pub exchange: Option<LitStr>,
    pub format: Format,
    /// With `format = "avro"`: the record's fields in the schema's order.
    pub avro_fields: Vec<SchemaField>,
    /// With `format = "protobuf"`: how each field (in the struct's order) is read.
    pub proto_fields: Vec<ProtoFieldRead>,
    pub fields: Vec<Field<'a>>,
    pub event_time: Option<&'a Ident>,
    /// The field marked `#[message(key)]`: the Kafka record key when the message is written.
    pub key: Option<&'a Ident>,
    /// `max_delay = "5s"` on the event-time field, in milliseconds.
    pub max_delay_millis: i64,
    /// `max_future = "1h"` on the event-time field, in milliseconds; the trait's default
    /// otherwise.
    pub max_future_millis: Option<i64>,
}

pub(crate) struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    /// The key in the JSON object, the column in a CSV header row.
    pub name: String,
    /// `with = "epoch_*"`: the unit in microseconds and its description.
    pub epoch: Option<(i64, &'static str)>,
}

/// The arguments of the `#[message(...)]` attributes of one field.
#[derive(Default)]
struct FieldAttrs {
    rename: Once<String>,
    /// `None` for an unknown adapter, already reported: it still counts as given.
    epoch: Once<Option<(i64, &'static str)>>,
    event_time: Once<()>,
    key: Once<()>,
    /// The milliseconds (`None` for a duration already reported as malformed) and the literal.
    max_delay: Once<(Option<i64>, LitStr)>,
    max_future: Once<(Option<i64>, LitStr)>,
}

impl<'a> Message<'a> {
    pub fn parse(input: &'a syn::DeriveInput) -> syn::Result<Self> {
        let mut cx = Ctxt::default();
        reject_generics(&mut cx, input, "Message");
        let mut topic = Once::default();
        let mut queue = Once::default();
        let mut exchange = Once::default();
        let mut format = FormatArgs::default();
        for_each_arg(&mut cx, &input.attrs, "message", |cx, meta, key| {
            match key {
                "topic" => topic.set(cx, meta, key, name_value(meta, "topic")?),
                "queue" => queue.set(cx, meta, key, name_value(meta, "queue")?),
                "exchange" => exchange.set(cx, meta, key, string_value(meta)?),
                _ if FORMAT_ARGS.contains(&key) => format.parse(cx, meta, key)?,
                _ => return Err(unknown(meta, "message", key, STRUCT_ARGS)),
            }
            Ok(())
        });
        let format = format.finish(&mut cx, &input.ident);
        if !topic.is_set() && !queue.is_set() {
            cx.error(
                &input.ident,
                "missing topic: add #[message(topic = \"...\", format = \"json\")] to this struct \
                 (or `queue = \"...\"` for a RabbitMQ queue)",
            );
        }

        let mut fields = Vec::new();
        let mut event_time: Option<&Ident> = None;
        let mut key: Option<&Ident> = None;
        let mut max_delay = None;
        let mut max_future = None;
        if let Some(named) = named_fields(&mut cx, input, "Message") {
            for field in &named.named {
                let Some(ident) = field.ident.as_ref() else {
                    continue;
                };
                let attrs = field_attrs(&mut cx, &field.attrs);
                if let (Format::Csv(csv), Some(span)) = (&format, attrs.rename.span())
                    && !csv.header
                {
                    cx.error_at(
                        span,
                        "`rename` names a header column, but this CSV message has no header row \
                         (its fields are read in the struct's order): add `header = true` to \
                         #[message(...)] or remove `rename`",
                    );
                }
                if let Some(span) = attrs.event_time.span() {
                    match event_time {
                        Some(first) => cx.error_at(
                            span,
                            format!("only one field can be the event time; `{first}` already is"),
                        ),
                        None => event_time = Some(ident),
                    }
                }
                if let Some(span) = attrs.key.span() {
                    match key {
                        Some(first) => cx.error_at(
                            span,
                            format!("only one field can be the record key; `{first}` already is"),
                        ),
                        None => key = Some(ident),
                    }
                }
                let is_event_time = attrs.event_time.is_set();
                max_delay = max_delay.or(bound(&mut cx, attrs.max_delay, is_event_time, MAX_DELAY));
                max_future =
                    max_future.or(bound(&mut cx, attrs.max_future, is_event_time, MAX_FUTURE));
                fields.push(Field {
                    ident,
                    ty: &field.ty,
                    name: attrs
                        .rename
                        .into_value()
                        .unwrap_or_else(|| ident.to_string()),
                    epoch: attrs.epoch.into_value().flatten(),
                });
            }
        }
        check_unique_names(&mut cx, &fields, &format);
        let avro_fields = match &format {
            Format::Avro(avro) => avro_check::check(&mut cx, &input.ident, avro, &fields),
            _ => Vec::new(),
        };
        let proto_fields = match &format {
            Format::Protobuf(proto) => proto_check::check(&mut cx, proto, &fields),
            _ => Vec::new(),
        };
        cx.finish()?;
        Ok(Message {
            ident: &input.ident,
            queue: queue.into_value(),
            exchange: exchange.into_value(),
            format,
            avro_fields,
            proto_fields,
            topic: topic
                .into_value()
                .unwrap_or_else(|| LitStr::new("", Span::call_site())),
            fields,
            event_time,
            key,
            max_delay_millis: max_delay.unwrap_or(0),
            max_future_millis: max_future,
        })
    }
}

fn field_attrs(cx: &mut Ctxt, attrs: &[syn::Attribute]) -> FieldAttrs {
    let mut field = FieldAttrs::default();
    for_each_arg(cx, attrs, "message", |cx, meta, key| {
        match key {
            "rename" => field.rename.set(cx, meta, key, string_value(meta)?.value()),
            "with" => {
                let value = string_value(meta)?;
                let unit = EPOCH_UNITS.iter().find(|(n, _, _)| *n == value.value());
                if unit.is_none() {
                    cx.push(unknown_adapter(&value));
                }
                let unit = unit.map(|(_, micros, what)| (*micros, *what));
                field.epoch.set(cx, meta, key, unit);
            }
            "event_time" => field.event_time.set(cx, meta, key, ()),
            "key" => field.key.set(cx, meta, key, ()),
            "max_delay" | "max_future" => {
                let value = string_value(meta)?;
                let millis = parse_duration_millis(&value.value());
                if millis.is_none() {
                    cx.error(
                        &value,
                        "expected a duration such as \"500ms\", \"5s\", \"2m\" or \"1h\"",
                    );
                }
                let once = if key == "max_delay" {
                    &mut field.max_delay
                } else {
                    &mut field.max_future
                };
                once.set(cx, meta, key, (millis, value));
            }
            _ => return Err(unknown(meta, "message field", key, FIELD_ARGS)),
        }
        Ok(())
    });
    field
}

/// What `max_delay` and `max_future` bound, for the error when they are not on the event time.
const MAX_DELAY: (&str, &str) = ("max_delay", "how late an event time may arrive");
const MAX_FUTURE: (&str, &str) = (
    "max_future",
    "how far ahead of the wall clock an event time may lie",
);

/// The milliseconds of a `max_delay` or `max_future` argument, which belongs on the event-time
/// field.
fn bound(
    cx: &mut Ctxt,
    given: Once<(Option<i64>, LitStr)>,
    is_event_time: bool,
    (key, bounds): (&str, &str),
) -> Option<i64> {
    let (millis, value) = given.into_value()?;
    if !is_event_time {
        cx.error(
            &value,
            format!(
                "`{key}` bounds {bounds}: put it next to `event_time`, as #[message(event_time, {key} = \"...\")]"
            ),
        );
    }
    millis
}

fn unknown_adapter(value: &LitStr) -> syn::Error {
    let names: Vec<&str> = EPOCH_UNITS.iter().map(|u| u.0).collect();
    let hint = closest(&value.value(), names.iter().copied())
        .map(|c| format!("did you mean `{c}`? "))
        .unwrap_or_default();
    syn::Error::new(
        value.span(),
        format!(
            "unknown `with` adapter `{}`: {hint}expected one of: {}",
            value.value(),
            names.join(", ")
        ),
    )
}

fn check_unique_names(cx: &mut Ctxt, fields: &[Field<'_>], format: &Format) {
    for (i, field) in fields.iter().enumerate() {
        if let Some(first) = fields[..i].iter().find(|f| f.name == field.name) {
            cx.error(
                field.ident,
                format!(
                    "fields `{}` and `{}` both read the {} \"{}\": rename one with #[message(rename = \"...\")]",
                    first.ident,
                    field.ident,
                    format.name_of_a_field(),
                    field.name
                ),
            );
        }
    }
}
