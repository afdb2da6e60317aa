//! What `#[derive(Message)]` implements: how a message payload becomes a struct and back.

use chrono::{DateTime, NaiveDateTime, Utc};

pub use crate::codec::Change;
use crate::codec::DecodeError;

/// The wire format of a message, as declared by `#[message(format = "...")]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// One JSON object per message.
    Json,
    /// One CSV record per message (RFC 4180 quoting), with or without a header row.
    Csv,
    /// One Avro record in Confluent's wire format, checked against a `.avsc` schema.
    Avro,
    /// One Protocol Buffers message, checked against a `.proto` file.
    Protobuf,
    /// One Debezium change event in JSON (with or without the schema envelope): the struct is
    /// the row image, and a delete event deletes its row.
    Debezium,
}

impl Format {
    /// The MIME type of a payload in this format, for the outputs that label what they send.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv",
            Format::Avro => "avro/binary",
            Format::Protobuf => "application/x-protobuf",
            Format::Debezium => "application/json",
        }
    }

    /// Whether a message in this format can say that its record was deleted.
    pub const fn has_deletes(self) -> bool {
        matches!(self, Format::Debezium)
    }
}

/// The `.avsc` schema a `format = "avro"` struct was checked against, and its id in the
/// Schema Registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvroSchema {
    /// The schema's JSON text.
    pub text: &'static str,
    /// Its registry id, which the Confluent header of every payload it wrote carries.
    pub id: u32,
}

/// How far ahead of the wall clock an event time may lie unless `max_future` says otherwise.
pub const DEFAULT_MAX_FUTURE_MILLIS: i64 = 3_600_000;

/// A struct that a Kafka message decodes into. Implement it with `#[derive(Message)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a sluice message",
    label = "a pipeline source needs a type with `#[derive(Message)]`",
    note = "add `#[derive(Message)]` and `#[message(topic = \"...\", format = \"json\")]` to `{Self}`"
)]
pub trait Message: Sized + Send + 'static {
    /// The topic named in `#[message(topic = "...")]`; `--topic` overrides it at run time.
    const TOPIC: &'static str;
    /// The RabbitMQ queue named in `#[message(queue = "...")]` (a `RabbitMq` or
    /// `RabbitMqStream` input reads it; `--queue` overrides it); the topic when none is named.
    const QUEUE: &'static str = Self::TOPIC;
    /// The RabbitMQ exchange named in `#[message(exchange = "...")]`, which a `RabbitMq`
    /// output publishes to; `""` (the default exchange, which routes to the queue of the
    /// routing key's name) when none is named.
    const EXCHANGE: &'static str = "";
    /// The payload format.
    const FORMAT: Format;
    /// With `format = "avro"`: the schema the struct was checked against.
    const AVRO_SCHEMA: Option<AvroSchema> = None;

    /// Whether a field is marked `#[message(event_time)]`: event-time windows need one.
    const HAS_EVENT_TIME: bool = false;
    /// `#[message(event_time, max_delay = "5s")]`: how far behind the largest event time
    /// seen in a partition a record may still arrive without being late.
    const MAX_DELAY_MILLIS: i64 = 0;
    /// `#[message(event_time, max_future = "1h")]`: how far ahead of the wall clock an event
    /// time may lie; a record further ahead is a dead letter of kind `future` and does not move
    /// the watermark. One hour unless the attribute says otherwise.
    const MAX_FUTURE_MILLIS: i64 = DEFAULT_MAX_FUTURE_MILLIS;

    /// Decodes one payload.
    fn decode(payload: &[u8]) -> Result<Self, DecodeError>;

    /// Decodes one payload with what it says happened to the record: an upsert for every
    /// format but Debezium, whose delete events give the row as it was before.
    fn decode_change(payload: &[u8]) -> Result<(Change, Self), DecodeError> {
        Self::decode(payload).map(|record| (Change::Upsert, record))
    }

    /// Encodes the message as a payload that [`decode`](Message::decode) reads back (a
    /// message written to Kafka), appended to `out`; an error names the field whose value has
    /// no such form (a NaN, a date past year 9999).
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), crate::codec::EncodeMessageError>;

    /// Encodes the message as a payload that says the record was deleted, appended to `out`;
    /// `Ok(false)` when the format has no such payload (an output then writes a tombstone
    /// where it can: the key without a payload).
    fn encode_delete(&self, _out: &mut Vec<u8>) -> Result<bool, crate::codec::EncodeMessageError> {
        Ok(false)
    }

    /// Appends the record key, from the field marked `#[message(key)]`; `false` when the
    /// message has none (the record is sent without a key).
    fn encode_key(&self, _out: &mut Vec<u8>) -> bool {
        false
    }

    /// The event time of this message in milliseconds since the epoch, from the field marked
    /// `#[message(event_time)]`; `None` when the struct has no such field or its value is null.
    fn event_time_millis(&self) -> Option<i64> {
        None
    }
}

/// A field type that can carry a message's event time.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an event time",
    label = "`#[message(event_time)]` needs a date-time or an integer of epoch milliseconds",
    note = "use chrono::DateTime<Utc>, chrono::NaiveDateTime (read as UTC), i64 or u64 milliseconds, or an Option of one of them"
)]
pub trait EventTime {
    /// Milliseconds since the Unix epoch.
    fn event_time_millis(&self) -> Option<i64>;
}

impl EventTime for DateTime<Utc> {
    fn event_time_millis(&self) -> Option<i64> {
        Some(self.timestamp_millis())
    }
}

impl EventTime for NaiveDateTime {
    fn event_time_millis(&self) -> Option<i64> {
        Some(self.and_utc().timestamp_millis())
    }
}

impl EventTime for i64 {
    fn event_time_millis(&self) -> Option<i64> {
        Some(*self)
    }
}

impl EventTime for u64 {
    fn event_time_millis(&self) -> Option<i64> {
        i64::try_from(*self).ok()
    }
}

impl<T: EventTime> EventTime for Option<T> {
    fn event_time_millis(&self) -> Option<i64> {
        self.as_ref().and_then(EventTime::event_time_millis)
    }
}
