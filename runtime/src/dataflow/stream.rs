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
}
