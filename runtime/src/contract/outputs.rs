//! A pipeline's outputs as one type: a tuple of sinks, each fed by one stream the body returns.
//! `-> MySql<R>` is the tuple `(MySql<R>,)`.

use std::sync::Arc;

use timely::dataflow::ProbeHandle;
use timely::dataflow::operators::Probe;

use crate::contract::sink::{Positions, Sink, SinkRole};
use crate::contract::startup::Startup;
use crate::dataflow::graph::Graph;
use crate::dataflow::stream::Stream;
use crate::dataflow::worker::WorkerShared;
use crate::delivery::Epoch;
use crate::error::Result;
use crate::run::check::{CheckContext, Preflight};
use crate::run::config::Config;

/// One to four sinks, as a tuple. Implemented for tuples of [`Sink`]s; the `#[pipeline]` macro
/// names it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tuple of sluice sinks",
    label = "a pipeline returns one sink or a tuple of up to four"
)]
#[allow(private_interfaces)]
pub trait Outputs: 'static {
    /// The streams the pipeline body returns, one per sink.
    type Streams<'scope>;
    #[doc(hidden)]
    type Plans: Clone + Send + Sync + 'static;
    /// How many outputs.
    #[doc(hidden)]
    const COUNT: usize;
    /// Which output stores positions (see [`Sink`]).
    #[doc(hidden)]
    const COMMITTER: usize;
    /// Where the committer stores positions (`Database`: the run needs the bookkeeping
    /// database).
    #[doc(hidden)]
    const POSITIONS: Positions;

    /// What the committer writes to, for the default pipeline id.
    #[doc(hidden)]
    fn target(config: &Config) -> String;

    /// Checks what every sink needs from the configuration.
    #[doc(hidden)]
    fn validate(config: &Config) -> Result<()>;

    #[doc(hidden)]
    fn prepare(startup: &Startup<'_>) -> Result<Self::Plans>;

    /// Builds every sink of one worker, each probed by `durable`.
    #[doc(hidden)]
    fn build<'scope>(
        plans: &Self::Plans,
        streams: Self::Streams<'scope>,
        durable: &ProbeHandle<Epoch>,
    );

    #[doc(hidden)]
    fn finish(
        plans: &Self::Plans,
        shared: &WorkerShared,
        durable: &ProbeHandle<Epoch>,
    ) -> Result<()>;

    #[doc(hidden)]
    fn close(plans: &Self::Plans);

    /// `--check` of every output.
    #[doc(hidden)]
    fn check(context: &CheckContext<'_>, report: &mut Preflight);

    /// Adds every output, fed by its stream, to the graph of a describing run.
    #[doc(hidden)]
    fn describe(streams: Self::Streams<'_>, config: &Config, graph: &mut Graph);
}

/// The best place any output stores positions in.
const fn best(positions: &[Positions]) -> Positions {
    let mut best = Positions::Nowhere;
    let mut index = 0;
    while index < positions.len() {
        if positions[index] as u8 > best as u8 {
            best = positions[index];
        }
        index += 1;
    }
    best
}

/// The first output that stores positions in the best place, or the first output when none
/// stores any.
const fn committer(positions: &[Positions]) -> usize {
    let best = best(positions);
    let mut index = 0;
    while index < positions.len() {
        if positions[index] as u8 == best as u8 {
            return index;
        }
        index += 1;
    }
    0
}

macro_rules! outputs {
    ($count:literal; $($sink:ident $index:tt),+) => {
        #[allow(private_interfaces)]
        impl<$($sink: Sink),+> Outputs for ($($sink,)+) {
            type Streams<'scope> = ($(Stream<'scope, <$sink as Sink>::Item>,)+);
            type Plans = ($(Arc<<$sink as Sink>::Plan>,)+);
            const COUNT: usize = $count;
            const COMMITTER: usize = committer(&[$(<$sink as Sink>::POSITIONS),+]);
            const POSITIONS: Positions = best(&[$(<$sink as Sink>::POSITIONS),+]);

            fn target(config: &Config) -> String {
                let targets: [fn(&Config) -> String; $count] = [$(<$sink as Sink>::target),+];
                targets[Self::COMMITTER](config)
            }

            fn validate(config: &Config) -> Result<()> {
                $(<$sink as Sink>::validate(config)?;)+
                Ok(())
            }

            fn prepare(startup: &Startup<'_>) -> Result<Self::Plans> {
                Ok(($(Arc::new(<$sink as Sink>::prepare(startup)?),)+))
            }

            fn build<'scope>(
                plans: &Self::Plans,
                streams: Self::Streams<'scope>,
                durable: &ProbeHandle<Epoch>,
            ) {
                $(
                    let role = sink_role::<Self>($index, $count, durable);
                    <$sink as Sink>::build(&plans.$index, streams.$index, &role)
                        .probe_with(durable);
                )+
            }

            fn finish(
                plans: &Self::Plans,
                shared: &WorkerShared,
                durable: &ProbeHandle<Epoch>,
            ) -> Result<()> {
                $(
                    let role = sink_role::<Self>($index, $count, durable);
                    <$sink as Sink>::finish(&plans.$index, shared, &role)?;
                )+
                Ok(())
            }

            fn close(plans: &Self::Plans) {
                $(<$sink as Sink>::close(&plans.$index);)+
            }

            fn check(context: &CheckContext<'_>, report: &mut Preflight) {
                $(<$sink as Sink>::check(context, report);)+
            }

            fn describe(streams: Self::Streams<'_>, config: &Config, graph: &mut Graph) {
                $(graph.sink(streams.$index.lineage.node, <$sink as Sink>::describe(config));)+
            }
        }
    };
}

fn sink_role<O: Outputs>(output: usize, outputs: usize, durable: &ProbeHandle<Epoch>) -> SinkRole {
    SinkRole {
        output,
        outputs,
        commits: output == O::COMMITTER,
        durable_everywhere: durable.clone(),
    }
}

outputs!(1; A 0);
outputs!(2; A 0, B 1);
outputs!(3; A 0, B 1, C 2);
outputs!(4; A 0, B 1, C 2, D 3);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_output_that_stores_positions_in_the_best_place_commits() {
        use Positions::*;
        assert_eq!(committer(&[Nowhere, Database, Database]), 1);
        assert_eq!(committer(&[KafkaGroup, Database]), 1);
        assert_eq!(committer(&[Nowhere, KafkaGroup]), 1);
        assert_eq!(committer(&[Database]), 0);
        assert_eq!(committer(&[Nowhere, Nowhere]), 0);
        assert_eq!(best(&[Nowhere, KafkaGroup]), KafkaGroup);
    }
}
