//! The MySQL sink: per-epoch transactions that carry rows, dead letters and source offsets.
//!
//! The operator keeps a capability for the oldest epoch whose rows are not yet committed, so a
//! probe on its output tells exactly which epochs are durable. Writing happens on the tokio
//! runtime, one writer task (and so one connection at a time) per worker; the worker thread
//! never waits for MySQL, it goes on reading while a transaction is in flight and sends
//! everything that completed meanwhile as the next transaction.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use sqlx::{MySql, Pool};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::{ProbeHandle, StreamVec};
use tokio::sync::mpsc;

use super::mysql_transaction::{Batch, Done, Job, commit_with_retries, writer};
use super::packet::ServerPacket;
use super::statement::InsertPlan;
use crate::contract::row::Row;
use crate::dataflow::item::{Item, Origin, Watermarks};
use crate::dataflow::stream::Stream;
use crate::dataflow::worker::Backlog;
use crate::dead_letter::{DeadLetter, DeadLetterKind};
use crate::delivery::WindowCommits;
use crate::delivery::{Epoch, Ledger, complete_before};
use crate::error::Error;
use crate::run::report::Metrics;
use crate::schema::ValueError;

/// How often a sink with offsets waiting for the other workers' sinks looks again.
const RECHECK: Duration = Duration::from_millis(20);

#[derive(Debug)]
pub(crate) struct SinkPlan {
    pub pool: Pool<MySql>,
    pub pipeline: Arc<str>,
    /// The source topic, for dead letters of rejected rows.
    pub topic: Arc<str>,
    pub runtime: tokio::runtime::Handle,
    pub rows_per_statement: usize,
    /// The server's `max_allowed_packet`, which sizes statements.
    pub packet: ServerPacket,
    /// Each worker's writer task, awaited before the run returns.
    pub writers: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl SinkPlan {
    /// Waits until every writer task has finished its last transaction. Writers end once
    /// their worker's sink is dropped, that is once the workers have returned.
    pub fn wait_for_writers(&self) {
        let writers = self
            .writers
            .lock()
            .map(|mut writers| std::mem::take(&mut *writers))
            .unwrap_or_default();
        self.runtime.block_on(async {
            for writer in writers {
                // A writer that panicked has already failed the run.
                let _ = writer.await;
            }
        });
    }
}

/// Builds the sink operator of one worker. Its output carries no data; its frontier is the
/// durability frontier.
///
/// Without an exchange, a worker's rows come from its own partitions only, and its offsets go
/// in the same transaction as the rows of the same epochs. With one (`key_by`), rows come from
/// every worker's partitions, so an epoch's offsets are committed only once `durable`, the
/// frontier of every worker's sink, has passed it.
pub(crate) fn mysql_sink<'scope, R: Row>(
    stream: Stream<'scope, R>,
    plan: Arc<SinkPlan>,
    durable_everywhere: ProbeHandle<Epoch>,
) -> StreamVec<'scope, Epoch, ()> {
    let Stream {
        inner,
        shared,
        lineage,
    } = stream;
    let control = Arc::clone(&shared.control);
    let ledger = Rc::clone(&shared.ledger);
    let exchanged = lineage.exchanged;
    if exchanged && R::SCHEMA.shape.append_only {
        control.fail(Error::Config(format!(
            "`{}` is #[row(append_only)], but the pipeline groups records with key_by: a \
             replay after a crash would insert its rows again. Give the table a key and mark \
             it with #[row(key)]",
            R::TABLE
        )));
    }
    let scope = inner.scope();
    inner.unary_frontier::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
        Pipeline,
        "MySqlSink",
        move |capability, info| {
            let activator = scope.worker().sync_activator_for(info.address.to_vec());
            let recheck = scope.activator_for(info.address.clone());
            let (jobs, job_queue) = mpsc::unbounded_channel::<Job<R>>();
            let (done_sender, done) = std::sync::mpsc::channel::<Done>();
            let writer = plan.runtime.spawn(writer::<R>(
                Arc::clone(&plan),
                job_queue,
                done_sender,
                activator,
            ));
            if let Ok(mut writers) = plan.writers.lock() {
                writers.push(writer);
            }

            let mut held = Some(capability);
            let mut pending: BTreeMap<Epoch, Batch<R>> = BTreeMap::new();
            let mut in_flight = false;
            // The offsets commit point of the job in flight.
            let mut committing: Epoch = 0;
            let mut durable: Epoch = 0;
            // The last watermark sent to be stored.
            let mut stored_watermark = i64::MIN;
            // The window watermarks received: every row before them is pending or written.
            let mut window_marks = if lineage.window_marks_from_every_worker {
                Watermarks::new(shared.peers)
            } else {
                Watermarks::only(shared.index, shared.peers)
            };
            // The window watermark of the job in flight, and the last one written.
            let (mut writing_mark, mut written_mark) = (i64::MIN, i64::MIN);
            move |(input, frontier), _output| {
                input.for_each_stamp(|stamp, batches| {
                    let Some(&epoch) = stamp.least() else { return };
                    let waiting = pending.entry(epoch).or_default();
                    let mut ledger = ledger.borrow_mut();
                    let mut rejected = 0;
                    for batch in batches {
                        for item in batch.drain(..) {
                            let (origin, row) = match item {
                                Item::Record(origin, row) => (origin, row),
                                Item::Watermark(mark) => {
                                    window_marks.update(mark);
                                    continue;
                                }
                            };
                            match row.validate() {
                                Ok(()) => {
                                    waiting.rows.push(row);
                                    waiting.origins.push(origin);
                                }
                                Err(error) => {
                                    rejected += 1;
                                    ledger.reject(rejected_row(&plan.topic, origin, error));
                                }
                            }
                        }
                    }
                    Metrics::add(&control.metrics.dead_lettered, rejected);
                });
                while let Ok(finished) = done.try_recv() {
                    in_flight = false;
                    match finished {
                        Ok((upto, written)) => {
                            durable = upto;
                            if exchanged {
                                control.window_commits.committed(shared.index, committing);
                                control.window_commits.written(shared.index, writing_mark);
                                written_mark = writing_mark;
                            }
                            let metrics = &control.metrics;
                            Metrics::add(&metrics.written, written.rows);
                            Metrics::add(&metrics.window_rows, written.from_windows);
                            Metrics::add(&metrics.dead_lettered, written.refused);
                            Metrics::add(&metrics.retries, written.retries);
                            Metrics::add(&metrics.transactions, 1);
                        }
                        Err(error) => control.fail(error),
                    }
                }
                if control.failed() {
                    held = None;
                    pending.clear();
                    return;
                }
                if held.is_none() {
                    // Finished: what the ledger still holds is committed by `commit_rest` once
                    // every worker's sink is done. A job sent from here could still be running
                    // when the run ends, and be cancelled with the runtime.
                    return;
                }

                // Every epoch before `complete` has all its rows here.
                let complete = complete_before(frontier.frontier());
                // An empty probe frontier means either "all done" or "not yet known" (before
                // the first progress update): commit nothing on it; `commit_rest` ends the run.
                let (offsets_upto, watermark) = if exchanged {
                    let durable =
                        durable_everywhere.with_frontier(|f| f.first().copied().unwrap_or(0));
                    let limit = durable.min(complete).min(control.commit_horizon());
                    control.window_commits.commit_point(limit)
                } else {
                    (complete, None)
                };
                // After an exchange, an open window holds the frontier back for as long as it
                // is open; rows that are here are written at once (they are upserts, and the
                // offsets wait for the probe), not when their epoch completes.
                let ready = !pending.is_empty()
                    && (exchanged || pending.keys().next().is_some_and(|e| *e < complete));
                let newer_watermark = watermark.is_some_and(|w| w.millis > stored_watermark);
                let unreported_mark = exchanged && window_marks.merged() > written_mark;
                if !in_flight
                    && (ready
                        || complete > durable
                        || newer_watermark
                        || unreported_mark
                        || ledger.borrow().has_before(offsets_upto))
                {
                    let later = if exchanged {
                        BTreeMap::new()
                    } else {
                        pending.split_off(&complete)
                    };
                    let batch = Batch::concat(std::mem::replace(&mut pending, later));
                    let mut commit = ledger.borrow_mut().take_before(offsets_upto);
                    commit.store_watermark(watermark, &mut ledger.borrow_mut());
                    if let Some(millis) = commit.watermark {
                        stored_watermark = stored_watermark.max(millis);
                    }
                    committing = offsets_upto;
                    // Every row received before it is in this job or an earlier one.
                    writing_mark = window_marks.merged();
                    if batch.rows.is_empty() && commit.is_empty() {
                        durable = complete;
                        if exchanged {
                            control.window_commits.written(shared.index, writing_mark);
                            written_mark = writing_mark;
                        }
                    } else if jobs
                        .send(Job {
                            upto: complete,
                            batch,
                            commit,
                        })
                        .is_ok()
                    {
                        in_flight = true;
                    } else {
                        control.fail(Error::Worker("the MySQL writer task stopped".into()));
                    }
                }

                // The transaction being written does not count: the next one must be ready when
                // it commits, or the connection idles.
                shared.sink_backlog.set(Backlog {
                    epochs: pending.len() as u64 + u64::from(in_flight),
                    rows: pending.values().map(|b| b.rows.len() as u64).sum::<u64>(),
                });
                if exchanged && !ledger.borrow().is_empty() {
                    // Other workers' sinks move `durable_everywhere`; look again soon.
                    recheck.activate_after(RECHECK);
                }

                if complete == Epoch::MAX && !in_flight && pending.is_empty() {
                    held = None;
                } else if let Some(cap) = held.as_mut()
                    && durable > *cap.time()
                {
                    cap.downgrade(&durable);
                }
            }
        },
    )
}

/// The dead letter of a row whose value does not fit its column.
fn rejected_row(topic: &str, origin: Origin, error: ValueError) -> DeadLetter {
    DeadLetter::of_record(topic, origin, DeadLetterKind::Convert, error.to_string())
}

/// After the dataflow has finished, commits what the ledger still holds: with an exchange,
/// the offsets of the last epochs, which had to wait for every worker's sink.
/// Offsets at or after `horizon` stay uncommitted (see [`RunControl::hold_commits_from`]).
pub(crate) fn commit_rest<R: Row>(
    plan: &SinkPlan,
    ledger: &RefCell<Ledger>,
    windows: &WindowCommits,
    horizon: Epoch,
) -> Result<(), Error> {
    // After a shutdown the open windows' records must be read again; otherwise the input
    // ended, every window is written, and all offsets commit.
    let (upto, watermark) = if horizon == Epoch::MAX {
        (Epoch::MAX, None)
    } else {
        windows.commit_point(horizon)
    };
    let mut commit = ledger.borrow_mut().take_before(upto);
    commit.store_watermark(watermark, &mut ledger.borrow_mut());
    if commit.is_empty() {
        return Ok(());
    }
    let insert = InsertPlan::new::<R>(plan.rows_per_statement);
    let job = Job {
        upto: Epoch::MAX,
        batch: Batch::<R>::default(),
        commit,
    };
    plan.runtime
        .block_on(commit_with_retries(plan, &insert, &job))
        .map(drop)
}
