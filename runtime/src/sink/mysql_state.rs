//! One worker's MySQL sink between activations, and the steps of an activation: take in what
//! arrived, note the transactions that finished, send the next one when it is due, report the
//! backlog, and let the durable epochs go.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use timely::dataflow::operators::Capability;
use tokio::sync::mpsc;

use super::mysql::SinkPlan;
use super::mysql_transaction::{Batch, Done, Job};
use crate::contract::row::Row;
use crate::contract::sink::SinkRole;
use crate::dataflow::item::{Item, Origin, Watermarks};
use crate::dataflow::lineage::Lineage;
use crate::dataflow::worker::{Backlog, WorkerShared};
use crate::dead_letter::{DeadLetter, DeadLetterKind};
use crate::delivery::{Commit, Epoch, StoredWatermark};
use crate::error::Error;
use crate::run::report::Metrics;
use crate::table::ValueError;

/// What the transaction in flight will have made durable once it commits.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    /// The offsets commit point it carries.
    committing: Epoch,
    /// Every row received before this window watermark is in it or in an earlier one.
    window_mark: i64,
}

pub(super) struct SinkState<R: Row> {
    plan: Arc<SinkPlan>,
    shared: Rc<WorkerShared>,
    /// Rows are written as soon as no transaction is in flight, whether their epoch is complete
    /// or not; their epochs' positions follow once complete. True for a keyed table, which a
    /// replay rewrites with the same rows, and after an exchange (where only keyed tables are
    /// allowed). An append-only table's rows go only in their epoch's transaction.
    writes_at_once: bool,
    role: SinkRole,
    /// Positions wait for every output of every worker (see [`SinkRole::waits_for_others`]).
    waits_for_others: bool,
    /// The oldest epoch whose rows are not yet committed; `None` once finished.
    held: Option<Capability<Epoch>>,
    pending: BTreeMap<Epoch, Batch<R>>,
    jobs: mpsc::UnboundedSender<Job<R>>,
    done: std::sync::mpsc::Receiver<Done>,
    in_flight: Option<InFlight>,
    /// Every epoch before it is committed by this sink.
    durable: Epoch,
    /// The last watermark sent to be stored.
    stored_watermark: i64,
    /// The window watermarks received, and the last one reported written.
    window_marks: Watermarks,
    written_mark: i64,
}

impl<R: Row> SinkState<R> {
    pub fn new(
        plan: Arc<SinkPlan>,
        shared: Rc<WorkerShared>,
        lineage: Lineage,
        role: SinkRole,
        capability: Capability<Epoch>,
        jobs: mpsc::UnboundedSender<Job<R>>,
        done: std::sync::mpsc::Receiver<Done>,
    ) -> Self {
        let window_marks = lineage.window_marks(shared.index, shared.peers);
        SinkState {
            plan,
            shared,
            writes_at_once: lineage.exchanged || !R::SCHEMA.shape.append_only,
            waits_for_others: role.waits_for_others(lineage.exchanged),
            role,
            held: Some(capability),
            pending: BTreeMap::new(),
            jobs,
            done,
            in_flight: None,
            durable: 0,
            stored_watermark: i64::MIN,
            window_marks,
            written_mark: i64::MIN,
        }
    }

    /// Takes in the items of `epoch`: valid rows wait for their transaction, rows a column
    /// cannot hold become dead letters, window watermarks are noted.
    pub fn receive(&mut self, epoch: Epoch, batch: &mut Vec<Item<R>>) {
        let waiting = self.pending.entry(epoch).or_default();
        let mut ledger = self.shared.ledger.borrow_mut();
        let mut rejected = 0;
        for item in batch.drain(..) {
            let (origin, row) = match item {
                Item::Record(origin, row) => (origin, row),
                Item::Watermark(mark) => {
                    self.window_marks.update(mark);
                    continue;
                }
            };
            // A delete binds its key only: the other values need not fit their columns.
            let valid = if origin.is_delete() {
                Ok(())
            } else {
                row.validate()
            };
            match valid {
                Ok(()) => {
                    waiting.rows.push(row);
                    waiting.origins.push(origin);
                }
                Err(error) => {
                    rejected += 1;
                    ledger.reject(rejected_row(&self.plan.topic, origin, error));
                }
            }
        }
        Metrics::add(&self.shared.control.metrics.dead_lettered, rejected);
    }

    /// Notes the transactions the writer finished; a failed one fails the run.
    pub fn note_finished(&mut self) {
        let control = Arc::clone(&self.shared.control);
        while let Ok(finished) = self.done.try_recv() {
            let in_flight = self.in_flight.take();
            match finished {
                Ok((upto, written)) => {
                    self.durable = upto;
                    if let Some(job) = in_flight {
                        self.report_written(job);
                    }
                    let metrics = &control.metrics;
                    Metrics::add(&metrics.written, written.rows);
                    Metrics::add(&metrics.window_rows, written.from_windows);
                    Metrics::add(&metrics.dead_lettered, written.refused);
                    Metrics::add(&metrics.retries, written.retries);
                    Metrics::add(&metrics.transactions, 1);
                    if let Some(watermark) = written.watermark {
                        metrics.watermark.advance(watermark);
                    }
                    if upto != Epoch::MAX {
                        metrics.committed_epoch.fetch_max(upto, Ordering::Relaxed);
                    }
                }
                Err(error) => control.fail(error),
            }
        }
    }

    /// Whether the sink has nothing more to do: the run failed (what it holds is dropped), or
    /// it finished and what the ledger still holds waits for `commit_rest`.
    pub fn stopped(&mut self) -> bool {
        if self.shared.control.failed() {
            self.held = None;
            self.pending.clear();
        }
        // A job sent once finished could still be running when the run ends, and be
        // cancelled with the runtime.
        self.held.is_none()
    }

    /// Sends the next transaction when one is due and none is in flight. Every epoch before
    /// `complete` has all its rows here.
    pub fn send_when_due(&mut self, complete: Epoch) {
        if self.in_flight.is_some() {
            return;
        }
        let (offsets_upto, watermark) = self.commit_point(complete);
        // Rows written at once wait neither for their epoch to end (after an exchange, an open
        // window would hold it back for as long as it is open) nor behind the next epochs: a
        // row's latency is then the transaction in flight and its own.
        let ready = !self.pending.is_empty()
            && (self.writes_at_once || self.pending.keys().next().is_some_and(|e| *e < complete));
        let newer_watermark = watermark.is_some_and(|w| w.millis > self.stored_watermark);
        let unreported_mark = self.window_marks.merged() > self.written_mark;
        let due = ready
            || complete > self.durable
            || newer_watermark
            || unreported_mark
            || (self.role.commits && self.shared.ledger.borrow().has_before(offsets_upto))
            || (self.role.commits && self.shared.ledger.borrow().has_states_before(complete));
        if !due {
            return;
        }
        let later = if self.writes_at_once {
            BTreeMap::new()
        } else {
            self.pending.split_off(&complete)
        };
        let batch = Batch::concat(std::mem::replace(&mut self.pending, later));
        let mut commit = Commit::default();
        if self.role.commits {
            let mut ledger = self.shared.ledger.borrow_mut();
            commit = ledger.take_before(offsets_upto);
            commit.store_watermark(watermark, &mut ledger);
            commit.states = ledger.take_states_before(complete);
        }
        if let Some(millis) = commit.watermark {
            self.stored_watermark = self.stored_watermark.max(millis);
        }
        let job = InFlight {
            committing: offsets_upto,
            window_mark: self.window_marks.merged(),
        };
        if batch.rows.is_empty() && commit.is_empty() {
            self.durable = complete;
            self.report_written(job);
        } else if self
            .jobs
            .send(Job {
                upto: complete,
                batch,
                commit,
            })
            .is_ok()
        {
            self.in_flight = Some(job);
        } else {
            let stopped = Error::Worker("the MySQL writer task stopped".into());
            self.shared.control.fail(stopped);
        }
    }

    /// How far offsets may be committed, and the watermark to store with them.
    fn commit_point(&self, complete: Epoch) -> (Epoch, Option<StoredWatermark>) {
        if !self.role.commits {
            return (0, None);
        }
        if !self.waits_for_others {
            return (complete, None);
        }
        // An empty probe frontier means either "all done" or "not yet known" (before the
        // first progress update): commit nothing on it; `commit_rest` ends the run.
        let durable = self
            .role
            .durable_everywhere
            .with_frontier(|f| f.first().copied().unwrap_or(0));
        let control = &self.shared.control;
        if control.shutdown_requested() && control.window_commits.shared_with_other_processes() {
            // A stop holds back the epochs of the windows it drops, on every process; the
            // holds of the others are all here only once the run is over (`commit_rest`).
            return (0, None);
        }
        let limit = durable.min(complete).min(control.commit_horizon());
        control.window_commits.commit_point(limit)
    }

    /// Tells the commit points what this sink has made durable.
    fn report_written(&mut self, job: InFlight) {
        let commits = &self.shared.control.window_commits;
        if self.role.commits {
            commits.committed(self.shared.index, job.committing);
        }
        commits.written(self.shared.index, self.role.output, job.window_mark);
        self.written_mark = job.window_mark;
    }

    /// Tells the source how much waits to be written. The transaction being written does not
    /// count: the next one must be ready when it commits, or the connection idles.
    pub fn report_backlog(&self) {
        self.shared.report_backlog(
            self.role.output,
            Backlog {
                epochs: self.pending.len() as u64 + u64::from(self.in_flight.is_some()),
                rows: self.pending.values().map(|b| b.rows.len() as u64).sum(),
            },
        );
    }

    /// Whether offsets wait for the other sinks, which move the durability probe without
    /// waking this one.
    pub fn waits_for_other_sinks(&self) -> bool {
        self.role.commits && self.waits_for_others && !self.shared.ledger.borrow().is_empty()
    }

    /// Lets the committed epochs go, and the capability once the input has ended and
    /// everything is written.
    pub fn release_durable(&mut self, complete: Epoch) {
        if complete == Epoch::MAX && self.in_flight.is_none() && self.pending.is_empty() {
            self.held = None;
        } else if let Some(cap) = self.held.as_mut()
            && self.durable > *cap.time()
        {
            cap.downgrade(&self.durable);
        }
    }
}

/// The dead letter of a row whose value does not fit its column.
fn rejected_row(topic: &str, origin: Origin, error: ValueError) -> DeadLetter {
    DeadLetter::of_record(topic, origin, DeadLetterKind::Convert, error.to_string())
}
