//! What the operators of one worker share: the run's control, the ledger its source and sink
//! keep, and how the pipeline's shape affects delivery.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use crate::dataflow::graph::Graph;
use crate::dataflow::lineage::Lineage;
use crate::delivery::Ledger;
use crate::delivery::keyed_state::StoredState;
use crate::run::control::RunControl;

/// Rows a sink holds that are not yet committed, and how many epochs they span.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Backlog {
    pub epochs: u64,
    pub rows: u64,
}

/// How much a sink may hold before its worker's source stops reading.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BacklogLimit {
    pub epochs: u64,
    pub rows: u64,
}

impl Backlog {
    pub fn exceeds(self, limit: BacklogLimit) -> bool {
        self.epochs >= limit.epochs || self.rows >= limit.rows
    }
}

#[derive(Debug)]
pub(crate) struct WorkerShared {
    pub control: Arc<RunControl>,
    pub ledger: Rc<RefCell<Ledger>>,
    /// The source topic, for dead letters.
    pub topic: Arc<str>,
    /// Whether the source's messages carry an event time (`#[message(event_time)]`).
    pub has_event_time: bool,
    /// Whether a restart reads again what the input gave after the stored positions, in
    /// order ([`Source::REPLAYS_IN_ORDER`](crate::Source)): windows and stored state need it.
    pub input_replays_in_order: bool,
    pub index: usize,
    pub peers: usize,
    /// What each output's sink has received and not yet written; the source pauses while
    /// the largest is too large.
    sink_backlogs: RefCell<Vec<Backlog>>,
    /// The database lookups read, when the run has one.
    pub database: Option<Arc<crate::table::lookup_query::LookupDatabase>>,
    /// A window operator is built on this worker (a pipeline has at most one, in any branch).
    pub has_window: Cell<bool>,
    /// The watermark an earlier run's windows had reached (`i64::MIN` when none): windows
    /// that ended before it are already written.
    pub restored_watermark: i64,
    /// Per partition, how far the earlier run had read when its windows reached that
    /// watermark, sorted by partition.
    read_until: Vec<(i32, i64)>,
    /// In a describing run (`--print-graph`), the graph the operators add themselves to.
    pub graph: Option<RefCell<Graph>>,
    /// Whether `map_with_state` stores its state (the run stores its positions in MySQL);
    /// otherwise its state lives in memory only.
    pub stores_keyed_state: bool,
    /// The stored states this worker loaded for each `map_with_state`, by operator name,
    /// until the operator takes them.
    restored_states: RefCell<HashMap<Arc<str>, Vec<StoredState>>>,
    /// How many `map_with_state` operators are built so far: each stores under its number.
    state_operators: Cell<usize>,
}

/// What an earlier run of the pipeline left for its windows.
#[derive(Debug, Clone)]
pub(crate) struct Restored {
    /// The stored watermark: windows that ended before it are written.
    pub watermark: i64,
    /// The positions read when it was reached (see `delivery::Commit::read_until`).
    pub read_until: Vec<(i32, i64)>,
}

impl Default for Restored {
    fn default() -> Self {
        Restored {
            watermark: i64::MIN,
            read_until: Vec::new(),
        }
    }
}

impl WorkerShared {
    /// The state of worker `index` of `peers`, before any operator has touched it.
    pub fn new(
        control: Arc<RunControl>,
        topic: Arc<str>,
        has_event_time: bool,
        (index, peers): (usize, usize),
        restored: Restored,
    ) -> Self {
        let Restored {
            watermark: restored_watermark,
            mut read_until,
        } = restored;
        read_until.sort_unstable();
        WorkerShared {
            control,
            ledger: Rc::new(RefCell::new(Ledger::default())),
            topic,
            has_event_time,
            input_replays_in_order: true,
            index,
            peers,
            sink_backlogs: RefCell::new(Vec::new()),
            has_window: Cell::new(false),
            database: None,
            restored_watermark,
            read_until,
            graph: None,
            stores_keyed_state: false,
            restored_states: RefCell::new(HashMap::new()),
            state_operators: Cell::new(0),
        }
    }
}

impl WorkerShared {
    /// An operator labelled `label` made a stream from one of `lineage`: in a describing run
    /// it becomes a node of the graph, which the new stream's lineage names.
    pub fn step(&self, lineage: Lineage, label: impl FnOnce() -> String) -> Lineage {
        match &self.graph {
            Some(graph) => Lineage {
                node: graph.borrow_mut().operator(lineage.node, label()),
                ..lineage
            },
            None => lineage,
        }
    }

    /// The name of the next `map_with_state` built on this worker (the same on every worker:
    /// they all build the same body), and the states this worker loaded for it.
    pub fn next_state_operator(&self) -> (Arc<str>, Vec<StoredState>) {
        let number = self.state_operators.get();
        self.state_operators.set(number + 1);
        let name: Arc<str> = Arc::from(format!("map_with_state#{number}"));
        let restored = self.restored_states.borrow_mut().remove(&name);
        (name, restored.unwrap_or_default())
    }

    /// Keeps the stored states this worker loaded until their operators are built.
    pub fn restore_states(&self, states: Vec<StoredState>) {
        let mut restored = self.restored_states.borrow_mut();
        for state in states {
            restored
                .entry(Arc::clone(&state.operator))
                .or_default()
                .push(state);
        }
    }

    /// Output `output`'s sink holds `backlog`.
    pub fn report_backlog(&self, output: usize, backlog: Backlog) {
        let mut backlogs = self.sink_backlogs.borrow_mut();
        if backlogs.len() <= output {
            backlogs.resize(output + 1, Backlog::default());
        }
        backlogs[output] = backlog;
    }

    /// The largest backlog of any output, field by field.
    pub fn sink_backlog(&self) -> Backlog {
        self.sink_backlogs
            .borrow()
            .iter()
            .fold(Backlog::default(), |all, one| Backlog {
                epochs: all.epochs.max(one.epochs),
                rows: all.rows.max(one.rows),
            })
    }

    /// Whether an earlier run of the pipeline had read `origin`'s message before the windows
    /// it belongs to were written: a record read again after a restart, not a late one.
    pub fn read_before(&self, origin: &crate::dataflow::item::Origin) -> bool {
        self.read_until
            .binary_search_by_key(&origin.partition, |(p, _)| *p)
            .is_ok_and(|i| origin.offset < self.read_until[i].1)
    }
}

/// Waits for the workers of a run; an error if one of them panicked.
pub(crate) fn join_workers(
    guards: timely::communication::WorkerGuards<()>,
) -> crate::error::Result<()> {
    for result in guards.join() {
        result
            .map_err(|panic| crate::error::Error::Worker(format!("a worker panicked: {panic}")))?;
    }
    Ok(())
}
