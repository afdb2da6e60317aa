//! What every message source does with a payload: decode it (an Avro payload of another
//! schema through the Schema Registry), and refuse an event time too far ahead, as a dead
//! letter with its reason.

use std::sync::Arc;

use crate::codec::DecodeErrorKind;
use crate::contract::message::Message;
use crate::dataflow::item::NO_EVENT_TIME;
use crate::dataflow::operators::MAX_EVENT_TIME_MILLIS;
use crate::dead_letter::DeadLetterKind;
use crate::error::Result;
use crate::run::config::{Config, millis_or};
use crate::run::control::RunControl;
use crate::schema_registry::SchemaRegistry;

/// A payload, decoded: the record and its event time, or why it is a dead letter.
pub(crate) type Decoded<M> = std::result::Result<(M, i64), (DeadLetterKind, String)>;

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
            return Err((
                DeadLetterKind::Decode,
                "message has no payload (tombstone)".to_owned(),
            ));
        };
        let record = match M::decode(payload) {
            Ok(record) => record,
            Err(error) => match (&self.registry, M::AVRO_SCHEMA, &error.kind) {
                (Some(registry), Some(reader), DecodeErrorKind::SchemaId { .. }) => {
                    let resolved = registry
                        .resolve(payload, reader)
                        .map_err(|why| (DeadLetterKind::Decode, why))?;
                    M::decode(&resolved).map_err(|e| (DeadLetterKind::Decode, e.to_string()))?
                }
                _ => return Err((DeadLetterKind::Decode, error.to_string())),
            },
        };
        checked_event_time(record, future_limit, self.max_future)
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
fn checked_event_time<M: Message>(record: M, future_limit: i64, max_future: i64) -> Decoded<M> {
    let event_time = record.event_time_millis().unwrap_or(NO_EVENT_TIME);
    if event_time > future_limit {
        let reason = format!(
            "event time {event_time} ms is past {future_limit} ms: more than max_future \
             ({max_future} ms) ahead of the wall clock, or past the last millisecond a window \
             holds; not windowed, the watermark does not move"
        );
        return Err((DeadLetterKind::Future, reason));
    }
    Ok((record, event_time))
}

/// The wall clock in milliseconds since the Unix epoch.
fn wall_clock_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
