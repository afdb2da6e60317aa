//! A source of events generated in memory: the engine without Kafka, for benchmarks (workload
//! W3) and for trying a pipeline body without a broker.

use std::rc::Rc;

use timely::container::CapacityContainerBuilder;
use timely::dataflow::operators::generic::operator::source;
use timely::dataflow::{Scope, StreamVec};

use crate::dataflow::item::{Item, Origin, Watermark};
use crate::dataflow::worker::WorkerShared;
use crate::delivery::Epoch;
use crate::run::report::Metrics;

/// Events given to the dataflow per activation, so that a worker also runs its other
/// operators while its source has more to give.
const BATCH: usize = 8_192;

/// Builds one worker's source from its share of the events, `(event time in ms, record)`.
///
/// An epoch closes after `epoch_events` events, with a watermark at the largest event time
/// given so far: events are expected in event-time order per worker, and one behind the
/// watermark is late. The end of the events ends event time.
pub(crate) fn memory_source<'scope, T, I>(
    scope: Scope<'scope, Epoch>,
    events: I,
    epoch_events: usize,
    shared: Rc<WorkerShared>,
) -> StreamVec<'scope, Epoch, Item<T>>
where
    T: 'static,
    I: Iterator<Item = (i64, T)> + 'static,
{
    let index = scope.index();
    let partition = i32::try_from(index).unwrap_or(i32::MAX);
    let this_worker = u32::try_from(index).unwrap_or(u32::MAX);
    let epoch_events = epoch_events.max(1);
    source::<_, CapacityContainerBuilder<Vec<Item<T>>>, _, _>(
        scope,
        "MemorySource",
        move |capability, info| {
            let activator = scope.activator_for(info.address);
            let mut capability = Some(capability);
            let mut events = events.peekable();
            let (mut offset, mut in_epoch, mut watermark) = (0i64, 0usize, i64::MIN);
            move |output| {
                let Some(cap) = capability.as_mut() else {
                    return;
                };
                let control = &shared.control;
                let room = BATCH.min(epoch_events - in_epoch);
                let mut batch = Vec::with_capacity(room);
                for (event_time, record) in events.by_ref().take(room) {
                    watermark = watermark.max(event_time);
                    batch.push(Item::Record(
                        Origin::read(partition, offset, event_time),
                        record,
                    ));
                    offset += 1;
                }
                let given = batch.len();
                output.session(cap).give_container(&mut batch);
                in_epoch += given;
                Metrics::add(&control.metrics.consumed, given as u64);
                let finished = control.failed() || events.peek().is_none();
                if in_epoch == epoch_events || finished {
                    let millis = if finished { i64::MAX } else { watermark };
                    output.session(cap).give(Item::Watermark(Watermark {
                        source: this_worker,
                        to: this_worker,
                        millis,
                    }));
                    if finished {
                        capability = None;
                        return;
                    }
                    let next = *cap.time() + 1;
                    cap.downgrade(&next);
                    in_epoch = 0;
                }
                activator.activate();
            }
        },
    )
}
