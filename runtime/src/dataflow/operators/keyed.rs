//! Keyed streams: the key and exchange contracts, how keys route records to workers, and
//! windows with their aggregates (`key_by.rs` and `map_with_state.rs` hold the other keyed
//! operators).

use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use timely::communication::Push;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::Message;
use timely::dataflow::channels::pact::DistributorPact;
use timely::dataflow::channels::pushers::exchange::Distributor;
use timely::progress::Stamp;

use super::records::Records;
use super::summary::{Summaries, Summary, finish_kept, summary_fold};
use super::window_book::Fold;
use super::window_operator::window_operator;
use super::window_spec::{Window, WindowSpec};
use crate::dataflow::item::Item;
use crate::dataflow::lineage::Lineage;
use crate::dataflow::stream::Stream;
use crate::dataflow::worker::WorkerShared;
use crate::delivery::Epoch;

/// A stream whose records are grouped by a key: the same key always goes to the same worker.
#[derive(Debug)]
pub struct KeyedStream<'scope, K: 'static, T: 'static> {
    /// Made by `key_by`, whose every batch holds items for one worker ([`ToWorker`]).
    pub(super) inner: StreamVec<'scope, Epoch, Item<(K, T)>>,
    pub(super) shared: Rc<WorkerShared>,
    pub(super) lineage: Lineage,
}

/// A keyed stream cut into event-time windows; an aggregate turns each window into a record.
#[derive(Debug)]
pub struct WindowedStream<'scope, K: 'static, T: 'static> {
    pub(super) keyed: KeyedStream<'scope, K, T>,
    pub(super) spec: WindowSpec,
}

/// A record type that can move between workers.
pub trait Exchanged: Serialize + DeserializeOwned + Send + 'static {}
impl<T: Serialize + DeserializeOwned + Send + 'static> Exchanged for T {}

/// A key: routes records to workers and names a window's group.
pub trait Key: Exchanged + Hash + Eq + Clone {}
impl<K: Exchanged + Hash + Eq + Clone> Key for K {}

/// Where a key's records are processed. The hash is the same in every worker and every
/// process of a cluster (FxHash, no random seed), and mixed so that keys differing only in
/// their high bits (ids that are all multiples of 4) still spread over the workers.
pub(super) fn route<K: Hash>(key: &K) -> u64 {
    let mut hasher = rustc_hash::FxHasher::default();
    key.hash(&mut hasher);
    mix(hasher.finish())
}

/// MurmurHash3's 64-bit finalizer.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The worker of `peers` that processes `key`.
pub(super) fn worker_of<K: Hash>(key: &K, peers: usize) -> usize {
    if peers <= 1 {
        return 0;
    }
    let peers = u64::try_from(peers).unwrap_or(u64::MAX);
    usize::try_from(route(key) % peers).unwrap_or(0)
}

/// Moves each batch `key_by` made whole to the worker all its items are for: `key_by` has
/// already split its output by worker ([`worker_of`] for records, the addressee for
/// watermarks), so nothing is looked at or copied item by item here.
pub(super) struct ToWorker;

impl<K: Hash, T> Distributor<Vec<Item<(K, T)>>> for ToWorker {
    fn partition<E: Clone, P: Push<Message<E, Vec<Item<(K, T)>>>>>(
        &mut self,
        batch: &mut Vec<Item<(K, T)>>,
        stamp: &Stamp<E>,
        pushers: &mut [P],
    ) {
        let to = |item: &Item<(K, T)>| match item {
            Item::Record(_, (key, _)) => worker_of(key, pushers.len()),
            Item::Watermark(w) => usize::try_from(w.to).unwrap_or(0) % pushers.len().max(1),
        };
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            return;
        };
        let worker = to(first);
        debug_assert!(batch.iter().all(|item| to(item) == worker));
        if to(last) != worker {
            // Not a batch `key_by` made: routed item by item.
            let mut split: Vec<Vec<Item<(K, T)>>> = pushers.iter().map(|_| Vec::new()).collect();
            for item in batch.drain(..) {
                let at = to(&item);
                split[at].push(item);
            }
            for (part, pusher) in split.iter_mut().zip(pushers.iter_mut()) {
                if !part.is_empty() {
                    Message::push_at(part, stamp.clone(), pusher);
                }
            }
            return;
        }
        if let Some(pusher) = pushers.get_mut(worker) {
            Message::push_at(batch, stamp.clone(), pusher);
        }
    }

    fn flush<E: Clone, P: Push<Message<E, Vec<Item<(K, T)>>>>>(
        &mut self,
        _stamp: &Stamp<E>,
        _pushers: &mut [P],
    ) {
    }
}

/// The exchange after `key_by`: its batches, whole, to their worker.
pub(super) type ByKey = DistributorPact<fn(usize) -> ToWorker>;

pub(super) fn exchange() -> ByKey {
    DistributorPact(|_peers| ToWorker)
}

impl<'scope, K: Key, T: Exchanged> KeyedStream<'scope, K, T> {
    /// Cuts each key's records into windows of event time (`Tumbling`, `Sliding`, `Session`).
    pub fn window(self, spec: WindowSpec) -> WindowedStream<'scope, K, T> {
        WindowedStream { keyed: self, spec }
    }
}

impl<'scope, K: Key, T: Exchanged> WindowedStream<'scope, K, T> {
    /// Turns each window of each key into one record from summaries of its records, kept as
    /// they arrive, one state per key and window: no record is kept. The first closure picks
    /// the summaries from [`Summaries`] (`count`, `sum`, `checked_sum`, `min`, `max`, `avg`,
    /// `fold`, or a tuple of them); the second makes the row from their values:
    ///
    /// ```ignore
    /// .summarize(
    ///     |orders| (orders.count(), orders.sum(|&(_, amount)| amount)),
    ///     |window, &customer_id, (orders, amount_cents)| CustomerMinute { .. },
    /// )
    /// ```
    ///
    /// A running `sum` past the range of its type, or a summary's closure that panics (the
    /// record it panicked on is a dead letter of kind `panic`), makes the window a dead letter
    /// that names it instead of a wrong row. A `fold` in `Session` windows needs
    /// [`Folded::merged_by`](crate::summary::Folded::merged_by), to join two sessions that a
    /// record connects; without it the run stops at start-up and says so.
    pub fn summarize<S, R>(
        self,
        summaries: impl FnOnce(&Summaries<T>) -> S,
        mut logic: impl FnMut(&Window, &K, S::Output) -> R + 'static,
    ) -> Stream<'scope, R>
    where
        S: Summary<T>,
        R: 'static,
    {
        let summary = Rc::new(summaries(&Summaries::new()));
        if self.spec.is_session() && !summary.can_merge() {
            self.keyed.shared.control.fail(crate::error::Error::Config(
                "a `fold` in `Session` windows needs `.merged_by(|a, b| ..)`: a record that \
                 falls between two sessions joins them into one, and their two values must \
                 become one"
                    .into(),
            ));
        }
        let fold = summary_fold(Rc::clone(&summary));
        window_operator(self, fold, "summarize", move |key, window, kept| {
            Ok(logic(window, key, finish_kept(&*summary, kept)?))
        })
    }
}

impl<'scope, K: Key, T: Exchanged + Clone> WindowedStream<'scope, K, T> {
    /// Keeps each window open for `lateness` of event time after it ends (see
    /// [`WindowSpec::allowed_lateness`]).
    pub fn allowed_lateness(mut self, lateness: std::time::Duration) -> Self {
        self.spec = self.spec.allowed_lateness(lateness);
        self
    }

    /// Turns each window of each key into one record, from all the window's records:
    /// `|window, key, records| Row { start: window.start, n: records.count(), .. }`.
    ///
    /// Every record of an open window is kept until the window is dropped (a sliding window's
    /// records are kept once per window they fall in), so that `logic` can see them all
    /// ([`Records::iter`]). When counts, sums, extremes, means or a fold are all a window
    /// needs, [`WindowedStream::summarize`] keeps one small state per key and window instead.
    ///
    /// When `logic` panics (a `Records::sum` past its type's range, for one), the window is not
    /// written: a dead letter of kind `panic` names the window, its key and the panic, filed
    /// under one of its records. Records whose event time no window can hold (null, or a
    /// window outside the dates a `DateTime` holds) are dead letters of kind `event_time`.
    pub fn aggregate<R: 'static>(
        self,
        mut logic: impl FnMut(&Window, &K, &Records<'_, T>) -> R + 'static,
    ) -> Stream<'scope, R> {
        let fold = Fold {
            new: Box::new(Vec::new),
            add_shared: Box::new(|acc: &mut Vec<T>, record: &T| acc.push(record.clone())),
            add: Box::new(|acc: &mut Vec<T>, record| acc.push(record)),
            merge: Box::new(|acc: &mut Vec<T>, mut other| acc.append(&mut other)),
        };
        window_operator(self, fold, "aggregate", move |key, window, acc| {
            Ok(logic(window, key, &Records::new(acc)))
        })
    }

    /// Combines each window's records pairwise as they arrive (`|a, b| ..`), keeping one value
    /// per window instead of all its records, and emits `(window, key, value)`.
    ///
    /// When `logic` panics, the record it was given is a dead letter of kind `panic`, and the
    /// value of its window, consumed by the call, is lost: the window is not written, and a
    /// dead letter of kind `panic` names it when it closes.
    pub fn reduce(self, logic: impl FnMut(T, T) -> T + 'static) -> Stream<'scope, (Window, K, T)> {
        let logic = Rc::new(RefCell::new(logic));
        let combine = move |acc: &mut Reduced<T>, value: T| {
            // `Lost` while `logic` runs: what a panic leaves behind.
            *acc = match std::mem::replace(acc, Reduced::Lost) {
                Reduced::Empty => Reduced::Value(value),
                Reduced::Value(current) => Reduced::Value((logic.borrow_mut())(current, value)),
                Reduced::Lost => Reduced::Lost,
            };
        };
        let add = combine.clone();
        let add_shared = combine.clone();
        let merge = combine;
        let fold = Fold {
            new: Box::new(|| Reduced::Empty),
            add_shared: Box::new(move |acc: &mut Reduced<T>, record: &T| {
                add_shared(acc, record.clone());
            }),
            add: Box::new(move |acc: &mut Reduced<T>, record| add(acc, record)),
            merge: Box::new(move |acc: &mut Reduced<T>, other: Reduced<T>| match other {
                Reduced::Empty => {}
                Reduced::Value(value) => merge(acc, value),
                Reduced::Lost => *acc = Reduced::Lost,
            }),
        };
        window_operator(self, fold, "reduce", |key, window, acc| match acc {
            Reduced::Value(value) => Ok(Some((*window, key.clone(), value.clone()))),
            Reduced::Empty => Ok(None),
            Reduced::Lost => Err(
                "`reduce` panicked on one of its records (that record's dead letter of kind \
                 `panic` says why), and the window's value was lost with it"
                    .to_owned(),
            ),
        })
        .flat_map(|result| result)
    }
}

/// The value of a `reduce` window.
enum Reduced<T> {
    Empty,
    Value(T),
    /// The closure panicked with the value in hand.
    Lost,
}
