//! An output whose broker confirms each message (a Kafka producer's delivery reports, RabbitMQ's
//! publisher confirms): each record is encoded by its `Message` derive and handed to a
//! publisher, and an epoch is let go once every record of it is confirmed. Beside a MySQL
//! output, MySQL then stores the epoch's positions; a crash before that commit publishes
//! those records again: at-least-once, each with where it came from for consumers to
//! deduplicate.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::scheduling::SyncActivator;

use crate::contract::message::Message;
use crate::dataflow::item::{Item, Origin};
use crate::dataflow::stream::Stream;
use crate::dataflow::worker::Backlog;
use crate::dead_letter::{DeadLetter, DeadLetterKind};
use crate::delivery::{Epoch, complete_before};
use crate::error::{Error, Result};
use crate::run::report::Metrics;

/// How soon a sink with records in flight or waiting for room looks again.
const RECHECK: Duration = Duration::from_millis(5);

/// What the broker's confirmations tell the operator.
#[derive(Debug, Default)]
pub(super) struct Confirmations {
    /// Records sent and not yet confirmed, per epoch.
    outstanding: Mutex<BTreeMap<Epoch, u64>>,
    delivered: AtomicU64,
    /// Of `delivered`, the records windows made.
    from_windows: AtomicU64,
    failure: Mutex<Option<String>>,
}

impl Confirmations {
    pub fn sent(&self, epoch: Epoch) {
        if let Ok(mut outstanding) = self.outstanding.lock() {
            *outstanding.entry(epoch).or_default() += 1;
        }
    }

    /// A record of `epoch` is confirmed (`from_window`: a window made it).
    pub fn confirmed(&self, epoch: Epoch, from_window: bool) {
        self.delivered.fetch_add(1, Ordering::Relaxed);
        if from_window {
            self.from_windows.fetch_add(1, Ordering::Relaxed);
        }
        self.settled(epoch);
    }

    /// A record of `epoch` was not sent after all.
    pub fn settled(&self, epoch: Epoch) {
        if let Ok(mut outstanding) = self.outstanding.lock()
            && let Some(count) = outstanding.get_mut(&epoch)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                outstanding.remove(&epoch);
            }
        }
    }

    /// The run must fail: the epoch stays outstanding, so it is never let go.
    pub fn fail(&self, reason: String) {
        if let Ok(mut failure) = self.failure.lock() {
            failure.get_or_insert(reason);
        }
    }

    /// Records sent and not yet confirmed.
    fn in_flight(&self) -> u64 {
        self.outstanding
            .lock()
            .map(|outstanding| outstanding.values().sum())
            .unwrap_or(0)
    }

    /// The oldest epoch with a record not yet confirmed.
    fn oldest(&self) -> Option<Epoch> {
        self.outstanding
            .lock()
            .ok()
            .and_then(|outstanding| outstanding.keys().next().copied())
    }
}

/// One encoded record waiting to be published.
#[derive(Debug, Clone)]
pub(super) struct Outgoing {
    pub epoch: Epoch,
    pub key: Option<Vec<u8>>,
    /// `None`: a tombstone, a delete in a format that has no payload for one.
    pub payload: Option<Vec<u8>>,
    pub origin: Origin,
    /// Its place among the records of one source message (a `flat_map` makes several).
    pub sequence: u32,
}

impl Outgoing {
    /// `message` of `origin` (read from `input`), encoded for `target`; a message with no form
    /// in its format (a NaN, a date past year 9999, a delete without a key) is the dead letter
    /// to store.
    pub fn encode<M: Message>(
        (input, target): (&str, &str),
        epoch: Epoch,
        origin: Origin,
        message: &M,
    ) -> std::result::Result<Outgoing, Box<DeadLetter>> {
        let refuse = |why: String| {
            Box::new(DeadLetter::of_record(
                input,
                origin,
                DeadLetterKind::Convert,
                format!("cannot encode the record for `{target}`: {why}"),
            ))
        };
        let mut payload = Vec::new();
        let written = if origin.is_delete() {
            message.encode_delete(&mut payload)
        } else {
            message.encode(&mut payload).map(|()| true)
        };
        let payload = match written {
            Ok(written) => written.then_some(payload),
            Err(error) => return Err(refuse(error.to_string())),
        };
        let mut key = Vec::new();
        let key = message.encode_key(&mut key).then_some(key);
        if payload.is_none() && key.is_none() {
            return Err(refuse(format!(
                "a delete is written as a tombstone (the key without a payload) in {:?}, and \
                 the message has no #[message(key)] field",
                M::FORMAT
            )));
        }
        Ok(Outgoing {
            epoch,
            key,
            payload,
            origin,
            sequence: 0,
        })
    }

    /// `input/partition/offset` of the message the record came from (none for window rows).
    pub fn source(&self, input: &str) -> Option<String> {
        (!self.origin.is_derived())
            .then(|| format!("{input}/{}/{}", self.origin.partition, self.origin.offset))
    }
}

/// Why a publisher did not take a record.
pub(super) enum Refused {
    /// Its queue is full: the record waits for the next activation.
    Full,
    /// The record cannot be published (why): it is a dead letter of kind `convert`.
    Unfit(String),
    /// The run must fail.
    Failed(String),
}

/// The client one worker's sink hands its records to. It counts each in the
/// [`Confirmations`] it was opened with until the broker confirms it.
pub(super) trait Publisher: 'static {
    fn publish(&mut self, record: &Outgoing) -> std::result::Result<(), Refused>;
}

/// What a confirmed sink's messages name.
#[derive(Debug, Clone)]
pub(super) struct Names {
    /// What the pipeline reads, for dead letters.
    pub input: Arc<str>,
    /// What the output writes to (a topic, an exchange).
    pub target: Arc<str>,
    /// The same, for errors: "the Kafka topic `alerts`".
    pub described: String,
}

/// What a publisher is opened with, on one worker.
pub(super) struct Opened {
    /// Where it counts what it sent until the broker confirms it.
    pub confirmations: Arc<Confirmations>,
    /// Wakes the operator when a confirmation comes.
    pub wake: SyncActivator,
    pub worker: usize,
    /// The records crossed a `key_by` before the sink: one message's records may reach
    /// several workers.
    pub exchanged: bool,
}

/// The sink operator of output `output`, with the publisher `open` makes for this worker.
pub(super) fn confirmed_sink<'scope, M, P>(
    stream: Stream<'scope, M>,
    names: Names,
    output: usize,
    open: impl FnOnce(Opened) -> Result<P> + 'static,
) -> StreamVec<'scope, Epoch, ()>
where
    M: Message,
    P: Publisher,
{
    let (inner, shared, lineage) = stream.into_sink_input(output, false);
    let scope = inner.scope();
    inner.unary_frontier::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
        Pipeline,
        "ConfirmedSink",
        move |capability, info| {
            let recheck = scope.activator_for(info.address.clone());
            let confirmations = Arc::new(Confirmations::default());
            let wake = scope.worker().sync_activator_for(info.address.to_vec());
            let opened = Opened {
                confirmations: Arc::clone(&confirmations),
                wake,
                worker: shared.index,
                exchanged: lineage.exchanged,
            };
            let mut publisher = match open(opened) {
                Ok(publisher) => Some(publisher),
                Err(error) => {
                    shared.control.fail(error);
                    None
                }
            };
            let mut held = Some(capability);
            let mut waiting: VecDeque<Outgoing> = VecDeque::new();
            let mut window_marks = lineage.window_marks(shared.index, shared.peers);
            let mut reported = i64::MIN;
            // The merged window watermark after each watermark received, with its epoch: one
            // is written once every record of earlier epochs is confirmed.
            let mut marks: VecDeque<(Epoch, i64)> = VecDeque::new();
            move |(input, frontier), _output| {
                let control = &shared.control;
                let mut refused = 0u64;
                input.for_each_stamp(|stamp, batches| {
                    let Some(&epoch) = stamp.least() else { return };
                    for batch in batches {
                        for item in batch.drain(..) {
                            match item {
                                Item::Record(origin, message) => {
                                    let names = (&*names.input, &*names.target);
                                    match Outgoing::encode(names, epoch, origin, &message) {
                                        Ok(record) => waiting.push_back(record),
                                        Err(letter) => {
                                            refused += 1;
                                            shared.ledger.borrow_mut().reject(*letter);
                                        }
                                    }
                                }
                                Item::Watermark(mark) => {
                                    window_marks.update(mark);
                                    marks.push_back((epoch, window_marks.merged()));
                                }
                            }
                        }
                    }
                });
                let Some(publisher) = publisher.as_mut() else {
                    held = None;
                    return;
                };
                if let Some(failure) = confirmations.failure.lock().ok().and_then(|mut f| f.take())
                {
                    control.fail(Error::Worker(format!(
                        "cannot write to {}: {failure}",
                        names.described
                    )));
                }
                if control.failed() {
                    held = None;
                    waiting.clear();
                    return;
                }
                while let Some(record) = waiting.front() {
                    match publisher.publish(record) {
                        Ok(()) => {
                            waiting.pop_front();
                        }
                        Err(Refused::Full) => break,
                        Err(Refused::Unfit(reason)) => {
                            refused += 1;
                            shared.ledger.borrow_mut().reject(DeadLetter::of_record(
                                &names.input,
                                record.origin,
                                DeadLetterKind::Convert,
                                format!("cannot publish the record: {reason}"),
                            ));
                            waiting.pop_front();
                        }
                        Err(Refused::Failed(error)) => {
                            control.fail(Error::Worker(format!(
                                "cannot write to {}: {error}",
                                names.described
                            )));
                            return;
                        }
                    }
                }
                let complete = complete_before(frontier.frontier());
                // Before the counters: what was confirmed before this is counted now.
                let busy = [confirmations.oldest(), waiting.front().map(|r| r.epoch)]
                    .into_iter()
                    .flatten()
                    .min();
                let delivered = confirmations.delivered.swap(0, Ordering::Relaxed);
                Metrics::add(&control.metrics.written, delivered);
                let from_windows = confirmations.from_windows.swap(0, Ordering::Relaxed);
                Metrics::add(&control.metrics.window_rows, from_windows);
                Metrics::add(&control.metrics.dead_lettered, refused);
                let mut written_mark = None;
                while let Some(&(epoch, mark)) = marks.front() {
                    if busy.is_some_and(|busy| busy <= epoch) {
                        break;
                    }
                    written_mark = Some(mark);
                    marks.pop_front();
                }
                if let Some(mark) = written_mark
                    && mark > reported
                {
                    reported = mark;
                    control
                        .window_commits
                        .written(shared.index, output, reported);
                }
                shared.report_backlog(
                    output,
                    Backlog {
                        epochs: u64::from(busy.is_some()),
                        rows: waiting.len() as u64 + confirmations.in_flight(),
                    },
                );
                let hold = busy.map_or(complete, |epoch| epoch.min(complete));
                if hold == Epoch::MAX {
                    held = None;
                } else if let Some(cap) = held.as_mut()
                    && hold > *cap.time()
                {
                    cap.downgrade(&hold);
                }
                if busy.is_some() {
                    recheck.activate_after(RECHECK);
                }
            }
        },
    )
}
