//! The operators: the per-record loop every record-at-a-time operator shares
//! (`per_record.rs`), panic isolation (`guard.rs`), and the keyed, event-time ones: `key_by`,
//! windows and their aggregates, keyed state.
//!
//! Records are routed to workers by key. Each window operator applies the sources' watermarks
//! (in-band, one per source and epoch) only once every record of that epoch has arrived, so the
//! windows a record lands in do not depend on thread timing. Open windows keep a capability
//! for the epoch of their earliest record: the sink's frontier, and with it the committed
//! source offsets, never pass input a window still needs.

mod copy;
mod epoch_stash;
mod filter;
pub(crate) mod guard;
mod key_by;
mod keyed;
mod lookup;
mod map;
mod map_with_state;
pub(crate) mod per_record;
mod records;
pub mod summary;
mod window_book;
mod window_operator;
mod window_spec;

#[cfg(test)]
mod window_tests;

pub use keyed::{Exchanged, Key, KeyedStream, WindowedStream};
pub use lookup::{Lookup, OnMissing};
pub use records::{Records, Summable};
pub use summary::{Summaries, Summary};
/// The last millisecond a window can hold: later event times are never windowed.
pub(crate) use window_spec::MAX_MILLIS as MAX_EVENT_TIME_MILLIS;
pub use window_spec::{Session, Sliding, Tumbling, Window, WindowSpec};

/// Why windows and stored keyed state refuse an input that cannot replay in order.
const REPLAY_NEEDED: &str = "windows and `map_with_state` rebuild what a restart lost by      reading the input again from the stored positions, in order, and a RabbitMQ classic or      quorum queue gives unacknowledged messages back in any order, to any worker: read a stream      queue (RabbitMqStream<M>) or a Kafka topic for them";

/// Why windows and `map_with_state` refuse a change stream.
const DELETES_REFUSED: &str = "the input is a change stream (format = \"debezium\"), and windows and \
     `map_with_state` take each record as an event: a delete would be counted as one, and \
     cannot be taken out of an aggregate or a state. Write the change stream to a keyed table, \
     and aggregate that table";
