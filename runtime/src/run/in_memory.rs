//! Runs a pipeline body over events generated in memory, its output counted and dropped: the
//! engine alone, without Kafka or MySQL.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crate::dataflow::lineage::Lineage;
use crate::dataflow::stream::Stream;
use crate::dataflow::worker::WorkerShared;
use crate::delivery::WindowCommits;
use crate::error::Result;
use crate::run::cluster_failure::join_all;
use crate::run::cluster_join::{connect, execute};
use crate::run::config::Cluster;
use crate::run::control::RunControl;
use crate::run::report::RunReport;
use crate::sink::discard::discard_sink;
use crate::source::memory::memory_source;

/// The longest a worker sleeps without news; anything for it wakes it at once.
const PARK: Duration = Duration::from_millis(20);

/// How an in-memory run is cut into workers and epochs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InMemory {
    /// Timely worker threads (of this process, in a cluster).
    pub workers: usize,
    /// Events each worker's source gives before it closes an epoch and sends its watermark.
    pub epoch_events: usize,
    /// Runs as one process of several; `None`: this process alone.
    pub cluster: Option<Cluster>,
}

impl InMemory {
    /// `workers` threads, an epoch every 4,096 events per worker: a window operator applies
    /// an epoch's records once the epoch is complete, and epochs this small keep them in the
    /// cache (W3 on 2 workers: 57-58M events/s, against 54M with epochs of 8,192 and 51M with
    /// epochs of 32,768).
    pub fn workers(workers: usize) -> Self {
        InMemory {
            workers,
            epoch_events: 4_096,
            cluster: None,
        }
    }

    /// Runs as process `cluster.process` of a cluster: every process calls `run_in_memory`
    /// with the same plan but the process, and `events` gets the cluster-wide worker index and
    /// count.
    pub fn cluster(self, cluster: Cluster) -> Self {
        InMemory {
            cluster: Some(cluster),
            ..self
        }
    }

    /// Closes an epoch every `events` events per worker instead.
    pub fn epoch_events(self, events: usize) -> Self {
        InMemory {
            epoch_events: events,
            ..self
        }
    }
}

/// Runs `build` on every worker over the events `events(worker, workers)` yields for it, as
/// `(event time in milliseconds, record)` in event-time order, and counts what comes out.
///
/// In the report, `consumed` counts the events and `written` the records that reached the end
/// of the pipeline (`window_rows` of them from windows); nothing is stored anywhere. Useful to
/// measure the engine (workload W3 of the benchmarks) and to try a pipeline body without a
/// broker or a database.
///
/// What a Kafka run would make a dead letter (a record a closure panicked on, a late record, an
/// event time no window can hold) is counted in `dead_lettered` and dropped, as there is no
/// dead-letter table; the run goes on, as a Kafka run does. A panic is also logged (`tracing`,
/// level `warn`) with its message and the event's position (`offset` = its index among the
/// worker's events).
///
/// ```
/// # use sluice_runtime as sluice;
/// use sluice::{InMemory, Tumbling, run_in_memory};
///
/// let report = run_in_memory(
///     InMemory::workers(2),
///     |worker, workers| {
///         (worker as u64..10_000).step_by(workers).map(|i| (i as i64, (i % 10, 1u64)))
///     },
///     |events| {
///         events
///             .key_by(|&(key, _)| key)
///             .window(Tumbling::seconds(1))
///             .reduce(|(key, a), (_, b)| (key, a + b))
///     },
/// )?;
/// assert_eq!(report.consumed, 10_000);
/// assert_eq!(report.written, 10 * 10); // 10 keys in 10 one-second windows
/// # Ok::<(), sluice::Error>(())
/// ```
pub fn run_in_memory<T, O, G, I, F>(plan: InMemory, events: G, build: F) -> Result<RunReport>
where
    T: 'static,
    O: 'static,
    G: Fn(usize, usize) -> I + Send + Sync + 'static,
    I: Iterator<Item = (i64, T)> + 'static,
    F: for<'scope> Fn(Stream<'scope, T>) -> Stream<'scope, O> + Send + Sync + 'static,
{
    let started = Instant::now();
    let workers = plan.workers.max(1);
    let epoch_events = plan.epoch_events;
    let processes = plan.cluster.as_ref().map_or(1, Cluster::processes);
    let dead_letters = crate::run::dead_letter_watch::DeadLetterWatch::new(None, 0, false);
    let control = Arc::new(RunControl::new(
        None,
        WindowCommits::new(workers * processes, 1),
        dead_letters,
    ));
    let never = AtomicBool::new(false);
    let connections = connect(plan.cluster.as_ref(), "an in-memory run", workers, &never)?;
    let worker_control = Arc::clone(&control);
    let guards = execute(workers, connections, move |worker| {
        let shared = Rc::new(WorkerShared::new(
            Arc::clone(&worker_control),
            Arc::from("memory"),
            true,
            (worker.index(), worker.peers()),
            crate::dataflow::worker::Restored::default(),
        ));
        let generated = events(worker.index(), worker.peers());
        worker.dataflow::<crate::delivery::Epoch, _, _>(|scope| {
            let records = memory_source(scope, generated, epoch_events, Rc::clone(&shared));
            discard_sink(build(Stream::new(records, shared, Lineage::default())));
        });
        // Parked while waiting for another worker's records, not spinning.
        while !worker_control.failed() && worker.step_or_park(Some(PARK)) {}
    })?;
    join_all(guards, plan.cluster.is_some())?;
    match control.take_error() {
        Some(error) => Err(error),
        None => Ok(control.metrics.report(started.elapsed())),
    }
}
