//! What flows between a pipeline's operators: records with where they came from, and the
//! sources' event-time watermarks, in-band so that they cross exchanges with the data.

use serde::{Deserialize, Serialize};

use crate::contract::message::Change;

/// Where a record came from: its source message, that message's event time, and what the
/// message said happened to the record. Records derived from one message (`map`, `flat_map`)
/// keep it, so that a row the sink rejects is reported against that message, a window knows
/// each record's event time, and a delete stays a delete up to the sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Origin {
    pub partition: i32,
    pub offset: i64,
    /// Milliseconds since the Unix epoch; [`NO_EVENT_TIME`] when the message has none.
    pub event_time: i64,
    /// A delete (a change event's) or, as for every other record, an upsert.
    pub change: Change,
}

/// The event time of a message whose struct has no `#[message(event_time)]` field.
pub(crate) const NO_EVENT_TIME: i64 = i64::MIN;

impl Origin {
    /// The origin of a record an aggregate produced from many messages.
    pub fn derived(event_time: i64) -> Self {
        Origin {
            partition: -1,
            offset: -1,
            event_time,
            change: Change::Upsert,
        }
    }

    /// The origin of an upsert read at `offset` of `partition`.
    pub fn read(partition: i32, offset: i64, event_time: i64) -> Self {
        Origin {
            partition,
            offset,
            event_time,
            change: Change::Upsert,
        }
    }

    /// Whether the record says its row was deleted.
    pub fn is_delete(&self) -> bool {
        self.change == Change::Delete
    }

    /// Whether an aggregate produced the record, rather than one source message.
    pub fn is_derived(&self) -> bool {
        self.offset < 0
    }
}

/// A source's promise, sent at the end of an epoch: it will send no more records with an
/// event time below `millis` (records that break it are late).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Watermark {
    /// The worker whose source sent it.
    pub source: u32,
    /// The worker it is addressed to, when an exchange copies it to every worker.
    pub to: u32,
    pub millis: i64,
}

/// One element of a stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum Item<T> {
    Record(Origin, T),
    Watermark(Watermark),
}

/// The latest watermark of every source, merged as their minimum.
#[derive(Debug, Clone)]
pub(crate) struct Watermarks {
    latest: Vec<i64>,
}

impl Watermarks {
    pub fn new(sources: usize) -> Self {
        Watermarks {
            latest: vec![i64::MIN; sources],
        }
    }

    /// Only the watermarks of source `index` count (the others read as no bound at all).
    pub fn only(index: usize, sources: usize) -> Self {
        let mut latest = vec![i64::MAX; sources];
        if let Some(mine) = latest.get_mut(index) {
            *mine = i64::MIN;
        }
        Watermarks { latest }
    }

    pub fn update(&mut self, watermark: Watermark) {
        if let Some(slot) = self.latest.get_mut(watermark.source as usize) {
            *slot = (*slot).max(watermark.millis);
        }
    }

    /// No source will send a record with an event time below this.
    pub fn merged(&self) -> i64 {
        self.latest.iter().copied().min().unwrap_or(i64::MIN)
    }
}
