//! A pipeline's outputs as one type: a tuple of sinks, each fed by one stream the body returns.
//! `-> MySql<R>` is the tuple `(MySql<R>,)`.

use std::sync::Arc;

use timely::dataflow::ProbeHandle;
use timely::dataflow::operators::Probe;

use crate::contract::sink::{Sink, SinkRole};
use crate::contract::startup::Startup;
use crate::dataflow::stream::Stream;
use crate::dataflow::worker::WorkerShared;
use crate::delivery::Epoch;
use crate::error::Result;
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
    /// Whether the committer stores positions, so the run needs the bookkeeping database.
    #[doc(hidden)]
    const STORES_POSITIONS: bool;

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
}

/// The first output that stores positions, or the first output when none does.
const fn committer(stores_positions: &[bool]) -> usize {
    let mut index = 0;
    while index < stores_positions.len() {
        if stores_positions[index] {
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
            const COMMITTER: usize = committer(&[$(<$sink as Sink>::STORES_POSITIONS),+]);
            const STORES_POSITIONS: bool = false $(|| <$sink as Sink>::STORES_POSITIONS)+;

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
    use super::committer;

    #[test]
    fn the_first_output_that_stores_positions_commits() {
        assert_eq!(committer(&[false, true, true]), 1);
        assert_eq!(committer(&[true]), 0);
        assert_eq!(committer(&[false, false]), 0);
    }
}
