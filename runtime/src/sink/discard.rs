//! A sink that counts what reaches it and drops it: the end of an in-memory run.

use std::sync::Arc;

use crate::item::Item;
use crate::report::Metrics;
use crate::stream::Stream;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

/// Counts the records of `stream` as written (and those windows made as window rows).
pub(crate) fn discard_sink<T: 'static>(stream: Stream<'_, T>) {
    let Stream { inner, shared } = stream;
    let control = Arc::clone(&shared.control);
    inner.sink(Pipeline, "Discard", move |(input, _frontier)| {
        let (mut records, mut from_windows) = (0, 0);
        input.for_each(|_, batch| {
            for item in batch.drain(..) {
                if let Item::Record(origin, _) = item {
                    records += 1;
                    from_windows += u64::from(origin.is_derived());
                }
            }
        });
        Metrics::add(&control.metrics.written, records);
        Metrics::add(&control.metrics.window_rows, from_windows);
    });
}
