//! The stream a `#[pipeline]` body transforms: records of one type, on timely epochs.

use std::sync::Arc;

use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use crate::control::RunControl;
use crate::delivery::Epoch;
use crate::report::Metrics;

/// Where a record came from: its source message. Records derived from one message (by `map`,
/// `flat_map`) keep it, so that a row the sink rejects is reported against that message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Origin {
    pub partition: i32,
    pub offset: i64,
}

/// A stream of records inside a pipeline. Records stay on the worker that read them unless an
/// operator says otherwise, so the sink can commit rows and source offsets together.
#[derive(Debug)]
pub struct Stream<'scope, T: 'static> {
    pub(crate) inner: StreamVec<'scope, Epoch, (Origin, T)>,
    pub(crate) control: Arc<RunControl>,
}

impl<'scope, T: 'static> Stream<'scope, T> {
    pub(crate) fn new(
        inner: StreamVec<'scope, Epoch, (Origin, T)>,
        control: Arc<RunControl>,
    ) -> Self {
        Stream { inner, control }
    }

    /// Transforms each record.
    pub fn map<U: 'static>(self, mut logic: impl FnMut(T) -> U + 'static) -> Stream<'scope, U> {
        let Stream { inner, control } = self;
        let inner =
            inner.unary::<CapacityContainerBuilder<Vec<_>>, _, _, _>(Pipeline, "Map", |_, _| {
                move |input, output| {
                    input.for_each_stamp(|time, batches| {
                        let mut session = output.session(&time);
                        for batch in batches {
                            session.give_iterator(
                                batch
                                    .drain(..)
                                    .map(|(origin, record)| (origin, logic(record))),
                            );
                        }
                    });
                }
            });
        Stream::new(inner, control)
    }

    /// Keeps the records for which `predicate` is true; the others are counted as filtered.
    pub fn filter(self, mut predicate: impl FnMut(&T) -> bool + 'static) -> Stream<'scope, T> {
        let Stream { inner, control } = self;
        let filtered = Arc::clone(&control);
        let inner =
            inner.unary::<CapacityContainerBuilder<Vec<_>>, _, _, _>(Pipeline, "Filter", |_, _| {
                move |input, output| {
                    let mut dropped = 0;
                    input.for_each_stamp(|time, batches| {
                        let mut session = output.session(&time);
                        for batch in batches {
                            let before = batch.len();
                            batch.retain(|(_, record)| predicate(record));
                            dropped += (before - batch.len()) as u64;
                            session.give_container(batch);
                        }
                    });
                    Metrics::add(&filtered.metrics.filtered, dropped);
                }
            });
        Stream::new(inner, control)
    }

    /// Replaces each record by the records of an iterator (none, one or many).
    pub fn flat_map<I>(self, mut logic: impl FnMut(T) -> I + 'static) -> Stream<'scope, I::Item>
    where
        I: IntoIterator,
        I::Item: 'static,
    {
        let Stream { inner, control } = self;
        let inner = inner.unary::<CapacityContainerBuilder<Vec<_>>, _, _, _>(
            Pipeline,
            "FlatMap",
            |_, _| {
                move |input, output| {
                    input.for_each_stamp(|time, batches| {
                        let mut session = output.session(&time);
                        for batch in batches {
                            session.give_iterator(batch.drain(..).flat_map(|(origin, record)| {
                                logic(record).into_iter().map(move |item| (origin, item))
                            }));
                        }
                    });
                }
            },
        );
        Stream::new(inner, control)
    }

    /// Calls `logic` on each record and passes it on unchanged.
    pub fn inspect(self, mut logic: impl FnMut(&T) + 'static) -> Stream<'scope, T> {
        self.map(move |record| {
            logic(&record);
            record
        })
    }
}
