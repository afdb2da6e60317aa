//! What the operators of one worker share: the run's control, the ledger its source and sink
//! keep, and how the pipeline's shape affects delivery.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use crate::control::RunControl;
use crate::delivery::Ledger;

#[derive(Debug)]
pub(crate) struct WorkerShared {
    pub control: Arc<RunControl>,
    pub ledger: Rc<RefCell<Ledger>>,
    /// The source topic, for dead letters.
    pub topic: Arc<str>,
    /// Whether the source's messages carry an event time (`#[message(event_time)]`).
    pub has_event_time: bool,
    pub index: usize,
    pub peers: usize,
    /// Some operator moves records between workers (`key_by`): a worker's rows no longer
    /// come only from its own partitions, so offsets wait for every sink (the durability
    /// probe) instead of riding in the worker's own transaction.
    pub exchanged: Cell<bool>,
    /// Epochs of rows the sink has received and not yet written; the source pauses while
    /// this is too large.
    pub sink_backlog: Cell<u64>,
    /// The watermark an earlier run's windows had reached (`i64::MIN` when none): windows
    /// that ended before it are already written.
    pub restored_watermark: i64,
}
