//! The sink seam: what a pipeline's output type does with the stream the body returns.

use std::sync::Arc;

use timely::dataflow::{ProbeHandle, StreamVec};

use crate::contract::startup::Startup;
use crate::dataflow::stream::Stream;
use crate::dataflow::worker::WorkerShared;
use crate::delivery::Epoch;
use crate::error::Result;
use crate::run::check::{CheckContext, Preflight};
use crate::run::config::Config;

/// A pipeline output: [`MySql<R>`](crate::MySql) writes a table, [`Print<T>`](crate::Print)
/// prints JSON lines.
///
/// A sink writes what it receives and holds each epoch until what it wrote of it is durable;
/// the frontier of the stream it returns says so. One output of a pipeline is its *committer*:
/// the first that stores positions ([`MySql`](crate::MySql)), or the first output when none
/// does. The committer stores the input's positions and dead letters from the ledger the
/// source keeps (`delivery/`), with its own writes when it is the only output and records stay
/// on their worker, otherwise once every output of every worker has made an epoch durable.
/// Implementations live in this crate: the methods name its internals.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a sluice sink",
    label = "a pipeline output must be a sink",
    note = "sinks: `MySql<R>` with `R: Row`, `Kafka<M>` and `RabbitMq<M>` with `M: Message`, `Print<T>` with `T: serde::Serialize`"
)]
#[allow(private_interfaces)]
pub trait Sink: 'static {
    /// What the stream the body returns for this output carries.
    type Item: 'static;
    #[doc(hidden)]
    type Plan: Send + Sync + 'static;
    /// Where the sink can store the input's positions in its own transactions.
    #[doc(hidden)]
    const POSITIONS: Positions;

    /// Checks what the sink needs from the configuration, before anything connects.
    #[doc(hidden)]
    fn validate(_config: &Config) -> Result<()> {
        Ok(())
    }

    /// What the sink writes to, as configured (a table): the default pipeline id names the
    /// committer's.
    #[doc(hidden)]
    fn target(config: &Config) -> String;

    /// What the sink writes to, for the pipeline's graph: `MySQL table \`orders\``.
    #[doc(hidden)]
    fn describe(config: &Config) -> String {
        Self::target(config)
    }

    /// `--check`: verifies what the sink writes to and that it may, moving no data.
    #[doc(hidden)]
    fn check(_context: &CheckContext<'_>, _report: &mut Preflight) {}

    /// Connects and checks what it writes to.
    #[doc(hidden)]
    fn prepare(startup: &Startup<'_>) -> Result<Self::Plan>;

    /// The sink operator of one worker; the frontier of its output is its durability frontier.
    #[doc(hidden)]
    fn build<'scope>(
        plan: &Arc<Self::Plan>,
        stream: Stream<'scope, Self::Item>,
        role: &SinkRole,
    ) -> StreamVec<'scope, Epoch, ()>;

    /// On each worker once its dataflow has finished: the committer stores what the ledger
    /// still holds.
    #[doc(hidden)]
    fn finish(_plan: &Self::Plan, _shared: &WorkerShared, _role: &SinkRole) -> Result<()> {
        Ok(())
    }

    /// Once every worker has returned: waits for writes still under way.
    #[doc(hidden)]
    fn close(_plan: &Self::Plan) {}
}

/// Where a run keeps the input's positions, in the order a committer is preferred.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Positions {
    /// Nowhere: every run starts where `--from` says (a run that only prints).
    Nowhere,
    /// In the Kafka consumer group of the pipeline, inside the transactions of a Kafka output.
    KafkaGroup,
    /// In `sluice_offsets`, inside the transactions of a MySQL output.
    Database,
}

/// Where one sink stands among a pipeline's outputs.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct SinkRole {
    /// Its position among the outputs.
    pub(crate) output: usize,
    /// How many outputs the pipeline has.
    pub(crate) outputs: usize,
    /// It stores the positions and dead letters of the ledger.
    pub(crate) commits: bool,
    /// The frontier of every output of every worker: an epoch before it is durable everywhere.
    pub(crate) durable_everywhere: ProbeHandle<Epoch>,
}

impl SinkRole {
    /// Whether the committer must wait for other sinks before storing an epoch's positions:
    /// records moved between workers, or other outputs write them too.
    pub(crate) fn waits_for_others(&self, exchanged: bool) -> bool {
        exchanged || self.outputs > 1
    }
}
