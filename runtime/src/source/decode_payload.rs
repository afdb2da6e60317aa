//! What every message source does with a payload: decode it (an Avro payload of another
//! schema through the Schema Registry), skip a change stream's tombstone, and refuse an event
//! time too far ahead, as a dead letter with its reason.

use std::sync::Arc;

use crate::codec::DecodeErrorKind;
use crate::contract::message::{Change, Message};
use crate::dataflow::item::NO_EVENT_TIME;
use crate::dataflow::operators::MAX_EVENT_TIME_MILLIS;
use crate::dead_letter::DeadLetterKind;
use crate::error::{Error, Result};
use crate::run::config::{Config, millis_or};
use crate::run::control::RunControl;
use crate::schema_registry::{SchemaRegistry, Unresolved};

/// A payload, decoded.
#[derive(Debug)]
pub(crate) enum Decoded<M> {
    /// The record, its event time and what the message says happened to it.
    Record(M, i64, Change),
    /// Nothing to do: a tombstone after a change stream's delete event.
    Skipped,
    /// Why the message is a dead letter.
    Dead(DeadLetterKind, String),
    /// Why no message can be decoded now (the Schema Registry does not answer): the run stops,
    /// and this message is read again by the next one.
    Failed(Error),
}

/// How a source decodes the payloads of its message type.
#[derive(Debug, Clone)]
pub(crate) struct Decoding {
    /// How far ahead of the wall clock an event time may lie, in milliseconds, when the
    /// pipeline has windows (otherwise event time decides nothing and is not checked).
    pub max_future: i64,
    /// For an Avro message with `--schema-registry-url`: where the schemas of payloads
    /// written with another schema id come from.
    registry: Option<Arc<SchemaRegistry>>,
}

impl Decoding {
    pub fn new<M: Message>(config: &Config) -> Result<Self> {
        let registry = match (&config.schema_registry_url, M::AVRO_SCHEMA) {
            (Some(url), Some(_)) => Some(Arc::new(SchemaRegistry::new(url)?)),
            _ => None,
        };
        Ok(Decoding {
            max_future: millis_or(config.max_future, M::MAX_FUTURE_MILLIS),
            registry,
        })
    }

    /// Decodes `payload` (`None`: a message without one, a Kafka tombstone).
    pub fn decode<M: Message>(&self, payload: Option<&[u8]>, future_limit: i64) -> Decoded<M> {
        let Some(payload) = payload else {
            // Debezium follows each delete event with a tombstone, for log compaction.
            if M::FORMAT.has_deletes() {
                return Decoded::Skipped;
            }
            return Decoded::Dead(
                DeadLetterKind::Decode,
                "message has no payload (tombstone)".to_owned(),
            );
        };
        let (change, record) = match M::decode_change(payload) {
            Ok(decoded) => decoded,
            Err(error) => match (&self.registry, M::AVRO_SCHEMA, &error.kind) {
                (Some(registry), Some(reader), DecodeErrorKind::SchemaId { .. }) => {
                    let resolved = match registry.resolve(payload, reader) {
                        Ok(resolved) => resolved,
                        Err(Unresolved::Message(why)) => {
                            return Decoded::Dead(DeadLetterKind::Decode, why);
                        }
                        Err(Unresolved::Registry(error)) => return Decoded::Failed(error),
                    };
                    match M::decode_change(&resolved) {
                        Ok(decoded) => decoded,
                        Err(e) => return Decoded::Dead(DeadLetterKind::Decode, e.to_string()),
                    }
                }
                _ => return Decoded::Dead(DeadLetterKind::Decode, error.to_string()),
            },
        };
        checked_event_time(record, change, future_limit, self.max_future)
    }
}

/// The largest event time a record may carry now. Without windows event time decides
/// nothing, and no record is refused for it.
pub(crate) fn future_limit(control: &RunControl, max_future: i64) -> i64 {
    if control.window_commits.exist() {
        wall_clock_millis()
            .saturating_add(max_future)
            .min(MAX_EVENT_TIME_MILLIS)
    } else {
        i64::MAX
    }
}

/// The record with its event time, unless that lies past `future_limit`.
fn checked_event_time<M: Message>(
    record: M,
    change: Change,
    future_limit: i64,
    max_future: i64,
) -> Decoded<M> {
    let event_time = record.event_time_millis().unwrap_or(NO_EVENT_TIME);
    if event_time > future_limit {
        let reason = format!(
            "event time {event_time} ms is past {future_limit} ms: more than max_future \
             ({max_future} ms) ahead of the wall clock, or past the last millisecond a window \
             holds; not windowed, the watermark does not move"
        );
        return Decoded::Dead(DeadLetterKind::Future, reason);
    }
    Decoded::Record(record, event_time, change)
}

/// The wall clock in milliseconds since the Unix epoch.
fn wall_clock_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
