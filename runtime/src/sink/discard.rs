//! A sink that counts what reaches it and drops it: the end of an in-memory run.

use std::sync::Arc;

use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use crate::dataflow::item::Item;
use crate::dataflow::stream::Stream;
use crate::delivery::complete_before;
use crate::run::report::Metrics;

/// Counts the records of `stream` as written (and those windows made as window rows).
pub(crate) fn discard_sink<T: 'static>(stream: Stream<'_, T>) {
    let (inner, shared, lineage) = stream.into_sink_input(0, true);
    let control = Arc::clone(&shared.control);
    let index = shared.index;
    let mut done = 0;
    let mut window_marks = lineage.window_marks(index, shared.peers);
    let mut reported = i64::MIN;
    inner.sink(Pipeline, "Discard", move |(input, frontier)| {
        let (mut records, mut from_windows) = (0, 0);
        input.for_each(|_, batch| {
            for item in batch.drain(..) {
                match item {
                    Item::Record(origin, _) => {
                        records += 1;
                        from_windows += u64::from(origin.is_derived());
                    }
                    Item::Watermark(mark) => window_marks.update(mark),
                }
            }
        });
        // Dropped is done with: what every window fired so far is "written".
        if window_marks.merged() > reported {
            reported = window_marks.merged();
            control.window_commits.written(index, 0, reported);
        }
        Metrics::add(&control.metrics.written, records);
        Metrics::add(&control.metrics.window_rows, from_windows);
        // What came before the frontier is done with: the windows' bookkeeping of it, kept for
        // a MySQL sink's commits, can go, or an endless run would grow it forever.
        let complete = complete_before(frontier.frontier());
        if complete > done {
            done = complete;
            control.window_commits.committed(index, complete);
        }
    });
}
