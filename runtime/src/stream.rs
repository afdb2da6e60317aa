//! The stream a `#[pipeline]` body transforms: records of one type, on timely epochs.

use std::rc::Rc;
use std::sync::Arc;

use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use crate::delivery::Epoch;
use crate::item::Item;
use crate::report::Metrics;
use crate::worker::WorkerShared;

/// A stream of records inside a pipeline. Records stay on the worker that read them unless an
/// operator says otherwise, so the sink can commit rows and source offsets together.
#[derive(Debug)]
pub struct Stream<'scope, T: 'static> {
    pub(crate) inner: StreamVec<'scope, Epoch, Item<T>>,
    pub(crate) shared: Rc<WorkerShared>,
}

impl<'scope, T: 'static> Stream<'scope, T> {
    pub(crate) fn new(inner: StreamVec<'scope, Epoch, Item<T>>, shared: Rc<WorkerShared>) -> Self {
        Stream { inner, shared }
    }

    /// Transforms each record.
    pub fn map<U: 'static>(self, mut logic: impl FnMut(T) -> U + 'static) -> Stream<'scope, U> {
        self.flat_map(move |record| std::iter::once(logic(record)))
    }

    /// Keeps the records for which `predicate` is true; the others are counted as filtered.
    pub fn filter(self, mut predicate: impl FnMut(&T) -> bool + 'static) -> Stream<'scope, T> {
        let Stream { inner, shared } = self;
        let control = Arc::clone(&shared.control);
        let inner =
            inner.unary::<CapacityContainerBuilder<Vec<_>>, _, _, _>(Pipeline, "Filter", |_, _| {
                move |input, output| {
                    let mut dropped = 0;
                    input.for_each_stamp(|time, batches| {
                        let mut session = output.session(&time);
                        for batch in batches {
                            let before = batch.len();
                            batch.retain(|item| match item {
                                Item::Record(_, record) => predicate(record),
                                Item::Watermark(_) => true,
                            });
                            dropped += (before - batch.len()) as u64;
                            session.give_container(batch);
                        }
                    });
                    Metrics::add(&control.metrics.filtered, dropped);
                }
            });
        Stream::new(inner, shared)
    }

    /// Replaces each record by the records of an iterator (none, one or many). A record that
    /// becomes none is counted as filtered.
    pub fn flat_map<I>(self, mut logic: impl FnMut(T) -> I + 'static) -> Stream<'scope, I::Item>
    where
        I: IntoIterator,
        I::Item: 'static,
    {
        let Stream { inner, shared } = self;
        let control = Arc::clone(&shared.control);
        let inner = inner.unary::<CapacityContainerBuilder<Vec<_>>, _, _, _>(
            Pipeline,
            "FlatMap",
            |_, _| {
                move |input, output| {
                    let (mut dropped, mut added) = (0, 0);
                    input.for_each_stamp(|time, batches| {
                        let mut session = output.session(&time);
                        for batch in batches {
                            for item in batch.drain(..) {
                                match item {
                                    Item::Record(origin, record) => {
                                        let mut made = 0u64;
                                        session.give_iterator(logic(record).into_iter().map(
                                            |out| {
                                                made += 1;
                                                Item::Record(origin, out)
                                            },
                                        ));
                                        match made {
                                            0 => dropped += 1,
                                            n => added += n - 1,
                                        }
                                    }
                                    Item::Watermark(w) => session.give(Item::Watermark(w)),
                                }
                            }
                        }
                    });
                    Metrics::add(&control.metrics.filtered, dropped);
                    Metrics::add(&control.metrics.expanded, added);
                }
            },
        );
        Stream::new(inner, shared)
    }

    /// Calls `logic` on each record and passes it on unchanged.
    pub fn inspect(self, mut logic: impl FnMut(&T) + 'static) -> Stream<'scope, T> {
        self.map(move |record| {
            logic(&record);
            record
        })
    }
}
