//! The stream a `#[pipeline]` body transforms: records of one type, on timely epochs.

use std::rc::Rc;
use timely::dataflow::StreamVec;

use crate::dataflow::item::Item;
use crate::dataflow::lineage::Lineage;
use crate::dataflow::worker::WorkerShared;
use crate::delivery::Epoch;

/// A stream of records inside a pipeline. Records stay on the worker that read them unless an
/// operator says otherwise, so the sink can commit rows and source offsets together.
#[derive(Debug)]
pub struct Stream<'scope, T: 'static> {
    pub(crate) inner: StreamVec<'scope, Epoch, Item<T>>,
    pub(crate) shared: Rc<WorkerShared>,
    pub(crate) lineage: Lineage,
}

impl<'scope, T: 'static> Stream<'scope, T> {
    pub(crate) fn new(
        inner: StreamVec<'scope, Epoch, Item<T>>,
        shared: Rc<WorkerShared>,
        lineage: Lineage,
    ) -> Self {
        Stream {
            inner,
            shared,
            lineage,
        }
    }

    /// The parts a sink works with, once it is output `output` of its worker, the one that
    /// stores positions when `commits`. An output with no window upstream writes no window
    /// rows: the window commit points do not wait for it. Records a stored keyed state led to
    /// may only reach the committing output, on their worker: otherwise the run stops.
    pub(crate) fn into_sink_input(
        self,
        output: usize,
        commits: bool,
    ) -> (StreamVec<'scope, Epoch, Item<T>>, Rc<WorkerShared>, Lineage) {
        let refusal = if self.lineage.state_moved {
            Some(
                "`map_with_state` stores each key's state with the rows it leads to, on the \
                 worker that holds the key, and a `key_by` after it moves its records to other \
                 workers: key the stream before `map_with_state` by what the later `key_by` \
                 keys it by, or write its records without another `key_by`"
                    .to_owned(),
            )
        } else if self.lineage.deletes && !self.shared.input_replays_in_order {
            Some(
                "the input is a change stream (format = \"debezium\") read from a RabbitMQ \
                 classic or quorum queue, whose messages reach any worker, and come back in any \
                 order after a failure: a key's update could be applied after its delete. Read \
                 the changes from a Kafka topic or a stream queue (RabbitMqStream<M>)"
                    .to_owned(),
            )
        } else if self.lineage.stateful && !commits {
            Some(format!(
                "output {} receives `map_with_state`'s records, but only the first MySQL output \
                 stores its state with its rows: a restart skips the records the state holds, \
                 and this output would never get them again; send them to the first MySQL \
                 output only",
                output + 1
            ))
        } else {
            None
        };
        if let Some(refusal) = refusal {
            self.shared
                .control
                .fail(crate::error::Error::Config(refusal));
        }
        if !self.lineage.windowed {
            let commits = &self.shared.control.window_commits;
            commits.without_windows(self.shared.index, output);
        }
        (self.inner, self.shared, self.lineage)
    }
}
