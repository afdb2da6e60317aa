//! The stream a `#[pipeline]` body transforms: records of one type, on timely epochs.

use std::rc::Rc;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use crate::delivery::Epoch;
use crate::item::Item;
use crate::lineage::Lineage;
use crate::ops::guard;
use crate::report::Metrics;
use crate::worker::WorkerShared;

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

    /// Transforms each record.
    ///
    /// A panic in `logic` makes its record a dead letter of kind `panic` (with the panic's
    /// message and location) and the stream goes on with the next record; so for every closure
    /// of a pipeline (`filter`, `flat_map`, `inspect`, `key_by`, `map_with_state`, the window
    /// aggregates).
    pub fn map<U: 'static>(self, mut logic: impl FnMut(T) -> U + 'static) -> Stream<'scope, U> {
        self.flat_map_named("map", move |record| std::iter::once(logic(record)))
    }

    /// Keeps the records for which `predicate` is true; the others are counted as filtered.
    pub fn filter(self, mut predicate: impl FnMut(&T) -> bool + 'static) -> Stream<'scope, T> {
        let Stream {
            inner,
            shared,
            lineage,
        } = self;
        let worker = Rc::clone(&shared);
        let mut kept = Vec::new();
        let inner =
            inner.unary::<CapacityContainerBuilder<Vec<_>>, _, _, _>(Pipeline, "Filter", |_, _| {
                move |input, output| {
                    let mut dropped = 0;
                    input.for_each_stamp(|time, batches| {
                        let Some(&epoch) = time.least() else { return };
                        let mut session = output.session(&time);
                        for batch in batches {
                            let before = batch.len();
                            let panics = guard::each_item(batch.drain(..), |item| {
                                let keep = match &item {
                                    Item::Record(_, record) => predicate(record),
                                    Item::Watermark(_) => true,
                                };
                                if keep {
                                    kept.push(item);
                                }
                            });
                            dropped += (before - kept.len() - panics.len()) as u64;
                            guard::dead_letter_panics(&worker, epoch, "filter", panics);
                            session.give_container(&mut kept);
                            kept.clear();
                        }
                    });
                    Metrics::add(&worker.control.metrics.filtered, dropped);
                }
            });
        Stream::new(inner, shared, lineage)
    }

    /// Replaces each record by the records of an iterator (none, one or many). A record that
    /// becomes none is counted as filtered.
    ///
    /// When `logic` or its iterator panics, the records the iterator gave before the panic
    /// stay in the stream, and the record is a dead letter.
    pub fn flat_map<I>(self, logic: impl FnMut(T) -> I + 'static) -> Stream<'scope, I::Item>
    where
        I: IntoIterator,
        I::Item: 'static,
    {
        self.flat_map_named("flat_map", logic)
    }

    /// `flat_map`, its panics reported as the user's `operator`.
    fn flat_map_named<I>(
        self,
        operator: &'static str,
        mut logic: impl FnMut(T) -> I + 'static,
    ) -> Stream<'scope, I::Item>
    where
        I: IntoIterator,
        I::Item: 'static,
    {
        let Stream {
            inner,
            shared,
            lineage,
        } = self;
        let worker = Rc::clone(&shared);
        let inner = inner.unary::<CapacityContainerBuilder<Vec<_>>, _, _, _>(
            Pipeline,
            "FlatMap",
            |_, _| {
                move |input, output| {
                    let (mut dropped, mut added) = (0, 0);
                    input.for_each_stamp(|time, batches| {
                        let Some(&epoch) = time.least() else { return };
                        let mut session = output.session(&time);
                        for batch in batches {
                            let panics = guard::each_item(batch.drain(..), |item| match item {
                                Item::Record(origin, record) => {
                                    let mut made = 0u64;
                                    session.give_iterator(logic(record).into_iter().map(|out| {
                                        made += 1;
                                        Item::Record(origin, out)
                                    }));
                                    match made {
                                        0 => dropped += 1,
                                        n => added += n - 1,
                                    }
                                }
                                Item::Watermark(w) => session.give(Item::Watermark(w)),
                            });
                            guard::dead_letter_panics(&worker, epoch, operator, panics);
                        }
                    });
                    Metrics::add(&worker.control.metrics.filtered, dropped);
                    Metrics::add(&worker.control.metrics.expanded, added);
                }
            },
        );
        Stream::new(inner, shared, lineage)
    }

    /// Calls `logic` on each record and passes it on unchanged.
    pub fn inspect(self, mut logic: impl FnMut(&T) + 'static) -> Stream<'scope, T> {
        self.flat_map_named("inspect", move |record| {
            logic(&record);
            std::iter::once(record)
        })
    }
}
