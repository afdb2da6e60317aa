//! The stream a `#[pipeline]` body transforms: records of one type, on timely epochs.

use std::rc::Rc;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::Pipeline;

use crate::dataflow::item::Item;
use crate::dataflow::lineage::Lineage;
use crate::dataflow::operators::per_record::{pass_on, per_record};
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
        let kept = per_record(
            inner,
            Pipeline,
            "filter",
            &shared,
            move |origin, record, out| {
                if predicate(&record) {
                    out.push(Item::Record(origin, record));
                }
            },
            pass_on,
        );
        Stream::new(kept, shared, lineage)
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
        let made = per_record(
            inner,
            Pipeline,
            operator,
            &shared,
            move |origin, record, out| {
                out.extend(
                    logic(record)
                        .into_iter()
                        .map(|made| Item::Record(origin, made)),
                );
            },
            pass_on,
        );
        Stream::new(made, shared, lineage)
    }

    /// Calls `logic` on each record and passes it on unchanged.
    pub fn inspect(self, mut logic: impl FnMut(&T) + 'static) -> Stream<'scope, T> {
        self.flat_map_named("inspect", move |record| {
            logic(&record);
            std::iter::once(record)
        })
    }
}
