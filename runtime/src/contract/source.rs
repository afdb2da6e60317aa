//! The source seam: what a pipeline's input type does to become a stream.

use std::rc::Rc;
use std::sync::Arc;

use timely::dataflow::{Scope, StreamVec};

use crate::contract::startup::Startup;
use crate::dataflow::item::Item;
use crate::dataflow::worker::{Restored, WorkerShared};
use crate::delivery::Epoch;
use crate::error::Result;
use crate::run::check::{CheckContext, Preflight};
use crate::run::config::Config;

/// A pipeline input: [`Kafka<M>`](crate::Kafka) reads a topic.
///
/// A source reads an external system on every worker, closes epochs by recording in its
/// worker's ledger how far it read (the positions a restart resumes from) and the dead letters
/// of the epoch, and sends its event-time watermark in the stream. Where positions are stored
/// is the outputs' business (see [`Sink`](crate::Sink)). Implementations live in this crate:
/// the methods name its internals.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a sluice source",
    label = "a pipeline input must be a source",
    note = "sources: `Kafka<M>`, `RabbitMq<M>` and `RabbitMqStream<M>` with `M: Message`, `MySqlTable<R>` with `R: Row`"
)]
#[allow(private_interfaces)]
pub trait Source: 'static {
    /// What the stream inside the pipeline body carries.
    type Record: 'static;
    #[doc(hidden)]
    type Plan: Send + Sync + 'static;
    /// Whether records carry an event time (event-time windows need one).
    #[doc(hidden)]
    const HAS_EVENT_TIME: bool;
    /// Whether records may be deletes (a change stream, `format = "debezium"`): the sinks
    /// must know how to delete, and windows and stored state refuse such a stream.
    #[doc(hidden)]
    const HAS_DELETES: bool = false;
    /// Whether the source's positions can go into a Kafka consumer group (a Kafka input's
    /// offsets), so that a lone Kafka output may commit them in its transactions.
    #[doc(hidden)]
    const POSITIONS_FIT_A_KAFKA_GROUP: bool = false;
    /// Whether a restart reads again, in the same order and at the same positions, what was
    /// read after the stored positions (Kafka, a table, a stream queue): windows and stored
    /// keyed state need it. A queue without positions gives back unacknowledged messages in
    /// any order, to any worker.
    #[doc(hidden)]
    const REPLAYS_IN_ORDER: bool = true;
    /// Whether the source reads the run's database (a table), which is then connected even
    /// when no output stores positions.
    #[doc(hidden)]
    const READS_DATABASE: bool = false;

    /// Checks what the source needs from the configuration, before anything connects.
    #[doc(hidden)]
    fn validate(_config: &Config) -> Result<()> {
        Ok(())
    }

    /// What the source reads, as configured (a topic): positions and dead letters name it.
    #[doc(hidden)]
    fn input_name(config: &Config) -> Arc<str>;

    /// What the source reads, for the pipeline's graph: `Kafka topic \`orders\``.
    #[doc(hidden)]
    fn describe(config: &Config) -> String {
        Self::input_name(config).to_string()
    }

    /// `--check`: verifies what the source reads, moving no data.
    #[doc(hidden)]
    fn check(_context: &CheckContext<'_>, _report: &mut Preflight) {}

    /// Connects, finds what to read and where each worker resumes; what an earlier run left
    /// for the windows.
    #[doc(hidden)]
    fn prepare(startup: &Startup<'_>) -> Result<(Self::Plan, Restored)>;

    /// The source operator of one worker.
    #[doc(hidden)]
    fn build<'scope>(
        plan: &Arc<Self::Plan>,
        scope: Scope<'scope, Epoch>,
        shared: &Rc<WorkerShared>,
    ) -> StreamVec<'scope, Epoch, Item<Self::Record>>;
}
