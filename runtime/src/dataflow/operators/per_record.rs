//! The per-record loop every record-at-a-time operator shares (`map`, `filter`, `flat_map`,
//! `inspect`, `map_with_state`): each record goes through the operator's closure,
//! watermarks pass on, a panic makes its record a dead letter, and records from messages that
//! became none or several are counted so the run's summary reconciles.
//!
//! ```ignore
//! // `filter` is a closure that keeps a record or not:
//! per_record(stream, Pipeline, "filter", move |origin, record, out| {
//!     if predicate(&record) {
//!         out.push(Item::Record(origin, record));
//!     }
//! })
//! ```

use std::rc::Rc;

use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::ParallelizationContract;
use timely::dataflow::operators::generic::Operator;

use super::guard;
use crate::dataflow::item::{Item, Origin, Watermark};
use crate::dataflow::worker::WorkerShared;
use crate::delivery::Epoch;
use crate::run::report::Metrics;

/// Watermarks go on unchanged.
pub(crate) fn pass_on<U>(watermark: Watermark, out: &mut Vec<Item<U>>) {
    out.push(Item::Watermark(watermark));
}

/// Builds the operator `name` that runs `record` on each record of `input` (routed by `pact`),
/// which pushes what the record becomes (none, one or many items), and `watermark` on each
/// watermark. Records a panic interrupted are dead letters of kind `panic` attributed to
/// `name`.
pub(crate) fn per_record<'scope, T, U, P>(
    input: StreamVec<'scope, Epoch, Item<T>>,
    pact: P,
    name: &'static str,
    worker: &Rc<WorkerShared>,
    mut record: impl FnMut(Origin, T, &mut Vec<Item<U>>) + 'static,
    mut watermark: impl FnMut(Watermark, &mut Vec<Item<U>>) + 'static,
) -> StreamVec<'scope, Epoch, Item<U>>
where
    T: 'static,
    U: 'static,
    P: ParallelizationContract<Epoch, Vec<Item<T>>>,
{
    let worker = Rc::clone(worker);
    input.unary::<CapacityContainerBuilder<Vec<Item<U>>>, _, _, _>(pact, name, |_, _| {
        let mut out: Vec<Item<U>> = Vec::new();
        move |input, output| {
            let (mut dropped, mut added) = (0u64, 0u64);
            input.for_each_stamp(|time, batches| {
                let mut session = output.session(&time);
                for batch in batches {
                    let panics = guard::each_item(batch.drain(..), |item| match item {
                        Item::Record(origin, value) => {
                            let before = out.len();
                            record(origin, value, &mut out);
                            // A window's row came from no one message: the summary counts it
                            // among the window rows, not here.
                            if !origin.is_derived() {
                                match out.len() - before {
                                    0 => dropped += 1,
                                    made => added += made as u64 - 1,
                                }
                            }
                        }
                        Item::Watermark(mark) => watermark(mark, &mut out),
                    });
                    guard::dead_letter_panics(&worker, name, panics);
                    session.give_container(&mut out);
                    out.clear();
                }
            });
            Metrics::add(&worker.control.metrics.filtered, dropped);
            Metrics::add(&worker.control.metrics.expanded, added);
        }
    })
}

#[cfg(test)]
mod tests {
    use crate::{InMemory, Tumbling, run_in_memory};

    #[test]
    fn window_rows_a_later_operator_drops_are_not_counted_as_filtered_messages() {
        let report = run_in_memory(
            InMemory::workers(2),
            |worker, workers| (worker as i64..1_000).step_by(workers).map(|i| (i, i % 4)),
            |records| {
                records
                    .key_by(|key| *key)
                    .window(Tumbling::seconds(1))
                    .aggregate(|_, key, records| (*key, records.count()))
                    .filter(|(key, _)| *key != 0)
                    .flat_map(|row| [row, row])
            },
        )
        .expect("an in-memory run");
        assert_eq!((report.written, report.window_rows), (6, 6));
        assert_eq!((report.filtered, report.expanded), (0, 0));
        assert!(report.reconciles(), "{}", report.summary());
    }
}
