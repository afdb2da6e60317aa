//! `key_by` and what follows it: windows with their aggregates, and keyed state.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use chrono::SecondsFormat;
use serde::Serialize;
use serde::de::DeserializeOwned;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::generic::Operator;

use super::guard;
use super::records::Records;
use super::window_book::{Fold, Placed, WindowBook};
use super::window_spec::{Window, WindowSpec};
use crate::dead_letter::{DeadLetter, DeadLetterKind};
use crate::delivery::{Epoch, complete_before};
use crate::item::{Item, Origin, Watermark, Watermarks};
use crate::report::Metrics;
use crate::stream::Stream;
use crate::worker::WorkerShared;

/// A stream whose records are grouped by a key: the same key always goes to the same worker.
#[derive(Debug)]
pub struct KeyedStream<'scope, K: 'static, T: 'static> {
    inner: StreamVec<'scope, Epoch, Item<(K, T)>>,
    shared: Rc<WorkerShared>,
}

/// A keyed stream cut into event-time windows; an aggregate turns each window into a record.
#[derive(Debug)]
pub struct WindowedStream<'scope, K: 'static, T: 'static> {
    keyed: KeyedStream<'scope, K, T>,
    spec: WindowSpec,
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
fn route<K: Hash>(key: &K) -> u64 {
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

/// Records to their key's worker, watermarks to the worker they are addressed to.
type ByKey<K, T> = Exchange<Item<(K, T)>, fn(&Item<(K, T)>) -> u64>;

fn exchange<K: Key, T: Exchanged>() -> ByKey<K, T> {
    Exchange::new(|item: &Item<(K, T)>| match item {
        Item::Record(_, (key, _)) => route(key),
        Item::Watermark(w) => u64::from(w.to),
    })
}

impl<'scope, T: Exchanged> Stream<'scope, T> {
    /// Groups the records by `key`, the first step of a window or of keyed state.
    ///
    /// Records move between workers (and, in a cluster, between processes), so the record
    /// and key types implement `serde::Serialize` and `Deserialize` (`#[derive(Serialize,
    /// Deserialize)]` on the message struct).
    pub fn key_by<K: Key>(
        self,
        mut key: impl FnMut(&T) -> K + 'static,
    ) -> KeyedStream<'scope, K, T> {
        let Stream { inner, shared } = self;
        shared.exchanged.set(true);
        let peers = u32::try_from(shared.peers).unwrap_or(u32::MAX);
        let worker = Rc::clone(&shared);
        let inner =
            inner.unary::<CapacityContainerBuilder<Vec<_>>, _, _, _>(Pipeline, "KeyBy", |_, _| {
                move |input, output| {
                    input.for_each_stamp(|time, batches| {
                        let Some(&epoch) = time.least() else { return };
                        let mut session = output.session(&time);
                        for batch in batches {
                            let panics = guard::each_item(batch.drain(..), |item| match item {
                                Item::Record(origin, record) => {
                                    let key = key(&record);
                                    session.give(Item::Record(origin, (key, record)));
                                }
                                // Every worker must hear from every source.
                                Item::Watermark(w) => session.give_iterator(
                                    (0..peers).map(|to| Item::Watermark(Watermark { to, ..w })),
                                ),
                            });
                            guard::dead_letter_panics(&worker, epoch, "key_by", panics);
                        }
                    });
                }
            });
        KeyedStream { inner, shared }
    }
}

impl<'scope, K: Key, T: Exchanged> KeyedStream<'scope, K, T> {
    /// Cuts each key's records into windows of event time (`Tumbling`, `Sliding`, `Session`).
    pub fn window(self, spec: WindowSpec) -> WindowedStream<'scope, K, T> {
        WindowedStream { keyed: self, spec }
    }

    /// Keeps a state per key, created with `Default`, and calls `logic` with it for each
    /// record; what `logic` returns is passed on. The state lives in memory: after a restart
    /// it is rebuilt only from the records replayed since the last committed offsets.
    ///
    /// When `logic` panics, the record is a dead letter of kind `panic` and the state stays as
    /// `logic` left it (changes made before the panic are kept, not rolled back: undoing them
    /// would mean a copy of the state per record). A closure whose state must stay consistent
    /// checks its record before it changes the state.
    pub fn map_with_state<S, U>(
        self,
        mut logic: impl FnMut(&mut S, &K, T) -> Option<U> + 'static,
    ) -> Stream<'scope, U>
    where
        S: Default + 'static,
        U: 'static,
    {
        let KeyedStream { inner, shared } = self;
        let mut states: HashMap<K, S, foldhash::fast::RandomState> = HashMap::default();
        let worker = Rc::clone(&shared);
        let inner = inner.unary::<CapacityContainerBuilder<Vec<_>>, _, _, _>(
            exchange::<K, T>(),
            "MapWithState",
            |_, _| {
                move |input, output| {
                    input.for_each_stamp(|time, batches| {
                        let Some(&epoch) = time.least() else { return };
                        let mut session = output.session(&time);
                        for batch in batches {
                            let panics = guard::each_item(batch.drain(..), |item| match item {
                                Item::Record(origin, (key, record)) => {
                                    let state = states.entry(key.clone()).or_default();
                                    if let Some(out) = logic(state, &key, record) {
                                        session.give(Item::Record(origin, out));
                                    }
                                }
                                Item::Watermark(w) => session.give(Item::Watermark(w)),
                            });
                            guard::dead_letter_panics(&worker, epoch, "map_with_state", panics);
                        }
                    });
                }
            },
        );
        Stream::new(inner, shared)
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
        let merge = combine;
        let fold = Fold {
            new: Box::new(|| Reduced::Empty),
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

/// The window operator: routes records by key, applies each epoch's records and then its
/// watermarks once the epoch is complete, emits fired windows in that epoch, and holds a
/// capability for the oldest epoch an open window still holds records of.
fn window_operator<'scope, K, T, A, R>(
    windowed: WindowedStream<'scope, K, T>,
    mut fold: Fold<T, A>,
    name: &'static str,
    mut emit: impl FnMut(&K, &Window, &A) -> Result<R, String> + 'static,
) -> Stream<'scope, R>
where
    K: Key,
    T: Exchanged + Clone,
    A: 'static,
    R: 'static,
{
    let WindowedStream { keyed, spec } = windowed;
    let KeyedStream { inner, shared } = keyed;
    if !shared.has_event_time {
        shared.control.fail(crate::error::Error::Config(
            "windows group records by event time, and the source's message has none: mark a \
             field #[message(event_time)]"
                .into(),
        ));
    }
    let worker = Rc::clone(&shared);
    let source = u32::try_from(shared.index).unwrap_or(u32::MAX);
    let inner = inner.unary_frontier::<CapacityContainerBuilder<Vec<Item<R>>>, _, _, _>(
        exchange::<K, T>(),
        name,
        move |initial, _info| {
            let mut held = Some(initial);
            let mut stash: BTreeMap<Epoch, Vec<Item<(K, T)>>> = BTreeMap::new();
            let mut book: WindowBook<K, A> = WindowBook::new(spec);
            let restored = worker.restored_watermark;
            book.resume_at(restored);
            // The last epoch whose completion was applied: fired windows went out at or before.
            let mut applied: Epoch = 0;
            worker.control.windows.windows_exist();
            let mut marks = Watermarks::new(worker.peers);
            let mut forwarded = i64::MIN;
            move |(input, frontier), output| {
                input.for_each_stamp(|cap, batches| {
                    let Some(&epoch) = cap.least() else { return };
                    let items = stash.entry(epoch).or_default();
                    for batch in batches {
                        items.append(batch);
                    }
                });
                let Some(cap) = held.as_mut() else {
                    stash.clear();
                    return;
                };
                let complete = complete_before(frontier.frontier());
                let shutdown = worker.control.shutdown_requested();
                let ready: Vec<Epoch> = stash.range(..complete).map(|(e, _)| *e).collect();
                let mut out = Vec::new();
                for epoch in ready {
                    applied = applied.max(epoch);
                    let (mut aggregated, mut rejected, mut replayed) = (0, 0, 0);
                    let items = stash.remove(&epoch).unwrap_or_default();
                    let panics = guard::each_item(items.into_iter(), |item| match item {
                        Item::Record(origin, (key, record)) => {
                            let letter = match book.insert(key, origin, epoch, record, &mut fold) {
                                Placed::Added => {
                                    aggregated += 1;
                                    return;
                                }
                                Placed::Unwindowable(why) => DeadLetter::of_record(
                                    &worker.topic,
                                    origin,
                                    DeadLetterKind::EventTime,
                                    why.to_string(),
                                ),
                                Placed::Late
                                    if book.expired_at(origin.event_time, restored)
                                        && worker.read_before(&origin) =>
                                {
                                    // Read again after a restart: its window was written.
                                    replayed += 1;
                                    return;
                                }
                                Placed::Late => {
                                    late_letter(&worker.topic, origin, book.watermark())
                                }
                            };
                            rejected += 1;
                            worker.ledger.borrow_mut().reject(epoch, letter);
                        }
                        Item::Watermark(w) => marks.update(w),
                    });
                    guard::dead_letter_panics(&worker, epoch, name, panics);
                    Metrics::add(&worker.control.metrics.aggregated, aggregated);
                    Metrics::add(&worker.control.metrics.dead_lettered, rejected);
                    Metrics::add(&worker.control.metrics.replayed, replayed);
                    let reached = if complete == Epoch::MAX && stash.is_empty() && !shutdown {
                        i64::MAX
                    } else {
                        marks.merged()
                    };
                    let mut unwritten = Vec::new();
                    book.advance(reached, |key, fired| {
                        let window = Window::from_millis(fired.start, fired.end);
                        let why = match guard::call(|| emit(key, &window, fired.acc)) {
                            Ok(Ok(row)) => {
                                out.push(Item::Record(Origin::derived(fired.end - 1), row));
                                return;
                            }
                            Ok(Err(why)) => why,
                            Err(panic) => format!("`{name}` {panic}"),
                        };
                        let message = format!("{why}; {} is not written", describe(&window, key));
                        unwritten.push((fired.origin, message));
                    });
                    for (origin, message) in unwritten {
                        guard::dead_letter_window(&worker, *cap.time(), origin, message);
                    }
                    if book.watermark() > forwarded {
                        forwarded = book.watermark();
                        out.push(Item::Watermark(Watermark {
                            source,
                            to: source,
                            millis: forwarded,
                        }));
                    }
                    // At the held capability, not this epoch: the sink's frontier then cannot
                    // pass the oldest input of a window before its row is written.
                    if !out.is_empty() {
                        output.session(cap).give_iterator(out.drain(..));
                    }
                }
                if complete == Epoch::MAX && shutdown {
                    // Open windows are dropped unwritten; their input is read again next run.
                    if let Some(oldest) = book.oldest_epoch() {
                        worker.control.hold_commits_from(oldest);
                    }
                    worker.control.windows.released(
                        worker.index,
                        Epoch::MAX,
                        applied,
                        book.watermark(),
                    );
                    held = None;
                    return;
                }

                let mut floor = complete;
                if let Some(first) = stash.keys().next() {
                    floor = floor.min(*first);
                }
                if let Some(oldest) = book.oldest_epoch() {
                    floor = floor.min(oldest);
                }
                if floor == Epoch::MAX {
                    // The input ended: its windows fired at an end of event time that the
                    // next run's input does not share, so no watermark is released for it.
                    held = None;
                } else if floor > *cap.time() {
                    let watermark = book.watermark();
                    worker
                        .control
                        .windows
                        .released(worker.index, floor, applied, watermark);
                    cap.downgrade(&floor);
                }
            }
        },
    );
    Stream::new(inner, shared)
}

fn late_letter(topic: &str, origin: Origin, watermark: i64) -> DeadLetter {
    let message = format!(
        "late: event time {} ms is behind the watermark {} ms and its window has closed",
        origin.event_time, watermark
    );
    DeadLetter::of_record(topic, origin, DeadLetterKind::Late, message)
}

/// `the window [2026-01-01T00:00:00.000Z, 2026-01-01T00:01:00.000Z) of key 42`, the key as
/// JSON.
fn describe<K: Serialize>(window: &Window, key: &K) -> String {
    let at = |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let key = serde_json::to_string(key).unwrap_or_else(|e| format!("(not shown: {e})"));
    format!(
        "the window [{}, {}) of key {key}",
        at(&window.start),
        at(&window.end)
    )
}
