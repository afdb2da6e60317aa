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

    /// The parts a sink works with, once it is output `output` of its worker. An output with no
    /// window upstream writes no window rows: the window commit points do not wait for it.
    pub(crate) fn into_sink_input(
        self,
        output: usize,
    ) -> (StreamVec<'scope, Epoch, Item<T>>, Rc<WorkerShared>, Lineage) {
        if !self.lineage.windowed {
            let commits = &self.shared.control.window_commits;
            commits.without_windows(self.shared.index, output);
        }
        (self.inner, self.shared, self.lineage)
    }
}
