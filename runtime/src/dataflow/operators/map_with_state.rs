//! `map_with_state`: a state per key, and a closure that sees it with each record of its key.
//!
//! ```
//! # use sluice_runtime as sluice;
//! use sluice::{InMemory, run_in_memory};
//!
//! // Running totals of the even and the odd numbers; only totals past 4 go on.
//! let report = run_in_memory(
//!     InMemory::workers(2),
//!     |worker, workers| (worker as i64..6).step_by(workers).map(|i| (i, i)),
//!     |numbers| {
//!         numbers.key_by(|n| n % 2).map_with_state(|total: &mut i64, _parity, n| {
//!             *total += n;
//!             (*total > 4).then_some(*total)
//!         })
//!     },
//! )?;
//! // Even: 0, 2, 6; odd: 1, 4, 9.
//! assert_eq!((report.written, report.filtered), (2, 4));
//! # Ok::<(), sluice::Error>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::Capability;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::ToStream;

use super::epoch_stash::{Stash, stash_by_epoch};
use super::guard;
use super::keyed::{Exchanged, Key, KeyedStream, exchange, route};
use crate::dataflow::item::{Item, Origin};
use crate::dataflow::stream::Stream;
use crate::dataflow::worker::WorkerShared;
use crate::delivery::keyed_state::StoredState;
use crate::delivery::{Epoch, complete_before};
use crate::error::Error;
use crate::run::report::Metrics;

/// A stored state on its way to its key's worker: the key, the state as JSON, and the
/// `(partition, next offset)` of the records applied to it.
type Restored<K> = (K, String, Vec<(i32, i64)>);

/// Stored states to their key's worker, by the hash the key's records go by.
type StatesByKey<K> = Exchange<Restored<K>, fn(&Restored<K>) -> u64>;

/// One key's state and how far each partition's records are in it.
struct Kept<S> {
    state: S,
    applied: Vec<(i32, i64)>,
}

impl<S> Kept<S> {
    /// Whether `origin`'s record is already in the state: read again after a restart.
    fn holds(&self, origin: &Origin) -> bool {
        !origin.is_derived()
            && self
                .applied
                .iter()
                .any(|(p, next)| *p == origin.partition && origin.offset < *next)
    }

    fn applied(&mut self, origin: &Origin) {
        if origin.is_derived() {
            return;
        }
        let next = origin.offset + 1;
        match self
            .applied
            .iter_mut()
            .find(|(p, _)| *p == origin.partition)
        {
            Some((_, stored)) => *stored = (*stored).max(next),
            None => self.applied.push((origin.partition, next)),
        }
    }
}

impl<'scope, K: Key, T: Exchanged> KeyedStream<'scope, K, T> {
    /// Keeps a state per key, created with `Default`, and calls `logic` with it for each
    /// record; what `logic` returns is passed on.
    ///
    /// The records of an epoch are applied once every worker has sent that epoch's records,
    /// epoch after epoch, so that the state after an epoch depends on nothing but the records
    /// read before its end. When the pipeline stores its positions in MySQL, each key's state
    /// is stored in `sluice_keyed_state` (as JSON, hence `Serialize` and `Deserialize`) in the
    /// same transaction as the rows it led to, and a restart starts from it, whatever the
    /// number of workers or processes then (a state goes to the worker its key goes to).
    /// Records read again after a restart that the state already holds are skipped: their
    /// rows were committed with it or before it. Its records must then reach only the first MySQL output,
    /// with no `key_by` in between; the run refuses to start otherwise.
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
        S: Default + Serialize + DeserializeOwned + 'static,
        U: 'static,
    {
        let KeyedStream {
            inner,
            shared,
            lineage,
        } = self;
        let (operator, stored) = shared.next_state_operator();
        let stores = shared.stores_keyed_state;
        if stores && lineage.windowed {
            shared.control.fail(Error::Config(
                "`map_with_state` after a window: its state would be stored before the window's \
                 rows are known to be written, and a restart would add a window twice; keep the \
                 state before the window, or aggregate in the window"
                    .into(),
            ));
        }
        if lineage.deletes {
            shared
                .control
                .fail(Error::Config(super::DELETES_REFUSED.to_owned()));
        }
        if stores && !shared.input_replays_in_order {
            shared
                .control
                .fail(Error::Config(super::REPLAY_NEEDED.to_owned()));
        }
        let restored = restore::<K>(&shared, stored, &operator);
        let restored: StreamVec<'scope, Epoch, Restored<K>> = restored.to_stream(inner.scope());
        let by_key: StatesByKey<K> = Exchange::new(|(key, _, _): &Restored<K>| route(key));
        let worker = Rc::clone(&shared);
        let name = "map_with_state";
        let inner = inner.binary_frontier::<_, CapacityContainerBuilder<Vec<Item<U>>>, _, _, _, _>(
            restored,
            exchange(),
            by_key,
            name,
            move |initial, _info| {
                let mut held: Option<Capability<Epoch>> = Some(initial);
                let mut stash: Stash<(K, T)> = BTreeMap::new();
                let mut states: HashMap<K, Kept<S>, foldhash::fast::RandomState> =
                    HashMap::default();
                move |(records, records_frontier), (restored, restored_frontier), output| {
                    restored.for_each(|_time, batch| {
                        for (key, json, applied) in batch.drain(..) {
                            match serde_json::from_str::<S>(&json) {
                                Ok(state) => {
                                    states.insert(key, Kept { state, applied });
                                }
                                Err(_) if worker.control.failed() => {}
                                Err(e) => worker.control.fail(Error::Config(format!(
                                    "sluice_keyed_state: a stored state of `{operator}` does \
                                     not read as its state type any more ({e}); if the type \
                                     changed on purpose, delete the pipeline's rows from \
                                     sluice_keyed_state (the state starts empty)"
                                ))),
                            }
                        }
                    });
                    stash_by_epoch(records, &mut stash);
                    let Some(cap) = held.as_mut() else {
                        stash.clear();
                        return;
                    };
                    let complete = complete_before(records_frontier.frontier())
                        .min(complete_before(restored_frontier.frontier()));
                    let ready: Vec<Epoch> = stash.range(..complete).map(|(e, _)| *e).collect();
                    for epoch in ready {
                        let mut items: Vec<_> = stash
                            .remove(&epoch)
                            .unwrap_or_default()
                            .into_iter()
                            .flatten()
                            .collect();
                        // Batches of one epoch arrive in any order: each partition's records
                        // are applied in offset order, so that a replayed epoch gives the same
                        // states and rows, and a key's applied offsets only grow.
                        items.sort_by_key(|item| match item {
                            Item::Record(origin, _) => (origin.partition, origin.offset),
                            Item::Watermark(_) => (i32::MAX, i64::MAX),
                        });
                        let (mut out, mut changed) = (Vec::new(), Vec::new());
                        let (mut dropped, mut replayed) = (0u64, 0u64);
                        let panics = guard::each_item(items.into_iter(), |item| match item {
                            Item::Record(origin, (key, record)) => {
                                let kept = states.entry(key.clone()).or_insert_with(|| Kept {
                                    state: S::default(),
                                    applied: Vec::new(),
                                });
                                if kept.holds(&origin) {
                                    replayed += 1;
                                    return;
                                }
                                kept.applied(&origin);
                                if stores {
                                    changed.push(key.clone());
                                }
                                let made = logic(&mut kept.state, &key, record);
                                match made {
                                    Some(made) => out.push(Item::Record(origin, made)),
                                    None if !origin.is_derived() => dropped += 1,
                                    None => {}
                                }
                            }
                            Item::Watermark(mark) => out.push(Item::Watermark(mark)),
                        });
                        guard::dead_letter_panics(&worker, name, panics);
                        let metrics = &worker.control.metrics;
                        Metrics::add(&metrics.filtered, dropped);
                        Metrics::add(&metrics.replayed, replayed);
                        if !out.is_empty() {
                            output
                                .session(&cap.delayed(&epoch))
                                .give_iterator(out.drain(..));
                        }
                        if stores {
                            match changed_states(&states, changed, &operator) {
                                Ok(stored) => {
                                    worker.ledger.borrow_mut().record_states(epoch, stored)
                                }
                                Err(error) => worker.control.fail(error),
                            }
                        }
                    }
                    // Records of any epoch from `complete` on may still come.
                    let first = stash.keys().next().copied().unwrap_or(Epoch::MAX);
                    match first.min(complete) {
                        Epoch::MAX => held = None,
                        floor if floor > *cap.time() => cap.downgrade(&floor),
                        _ => {}
                    }
                }
            },
        );
        let lineage = shared.step(lineage, || "map_with_state".to_owned());
        let lineage = if stores {
            lineage.with_state()
        } else {
            lineage
        };
        Stream::new(inner, shared, lineage)
    }
}

/// The states of the keys in `changed`, as stored; an error names a key or state serde_json
/// cannot write (a map with non-string keys, ...): a state that is not stored would be lost.
fn changed_states<K: Key, S: Serialize>(
    states: &HashMap<K, Kept<S>, foldhash::fast::RandomState>,
    mut changed: Vec<K>,
    operator: &Arc<str>,
) -> Result<Vec<StoredState>, Error> {
    let mut seen = std::collections::HashSet::with_capacity(changed.len());
    changed.retain(|key| seen.insert(key.clone()));
    let unwritable = |what: &str, e: serde_json::Error| {
        Error::Config(format!(
            "`{operator}`: a {what} cannot be stored as JSON ({e}); its type must serialize \
             to JSON (maps need string keys)"
        ))
    };
    let mut stored = Vec::with_capacity(changed.len());
    for key in changed {
        let Some(kept) = states.get(&key) else {
            continue;
        };
        stored.push(StoredState {
            operator: Arc::clone(operator),
            key_hash: route(&key),
            key_json: serde_json::to_string(&key).map_err(|e| unwritable("key", e))?,
            state_json: serde_json::to_string(&kept.state).map_err(|e| unwritable("state", e))?,
            applied: kept.applied.clone(),
        });
    }
    Ok(stored)
}

/// The stored states this worker loaded for `operator`, with their keys read back, on their
/// way to their keys' workers.
fn restore<K: Key>(
    shared: &WorkerShared,
    stored: Vec<StoredState>,
    operator: &str,
) -> Vec<Restored<K>> {
    let mut restored = Vec::with_capacity(stored.len());
    for state in stored {
        match serde_json::from_str::<K>(&state.key_json) {
            Ok(key) => restored.push((key, state.state_json, state.applied)),
            Err(e) => {
                shared.control.fail(Error::Config(format!(
                    "sluice_keyed_state: the stored key {} of `{operator}` does not read as the \
                     key type any more ({e}); if the type changed on purpose, delete the \
                     pipeline's rows from sluice_keyed_state (the state starts empty)",
                    state.key_json
                )));
                return Vec::new();
            }
        }
    }
    restored
}
