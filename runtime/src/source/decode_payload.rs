//! What every message source does with a payload: decode it, and refuse an event time too far
//! ahead, as a dead letter with its reason.

use crate::contract::message::Message;
use crate::dataflow::item::NO_EVENT_TIME;
use crate::dataflow::operators::MAX_EVENT_TIME_MILLIS;
use crate::dead_letter::DeadLetterKind;
use crate::run::control::RunControl;

/// A payload, decoded: the record and its event time, or why it is a dead letter.
pub(crate) type Decoded<M> = Result<(M, i64), (DeadLetterKind, String)>;

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

/// Decodes `payload` (`None`: a message without one, a Kafka tombstone).
pub(crate) fn decode_payload<M: Message>(
    payload: Option<&[u8]>,
    future_limit: i64,
    max_future: i64,
) -> Decoded<M> {
    let Some(payload) = payload else {
        return Err((
            DeadLetterKind::Decode,
            "message has no payload (tombstone)".to_owned(),
        ));
    };
    let record = M::decode(payload).map_err(|e| (DeadLetterKind::Decode, e.to_string()))?;
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
