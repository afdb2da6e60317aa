//! The open windows of one worker's keys: which window each record joins, when a window fires,
//! when it is dropped, and which epochs its records came from. Pure state, no timely.
//!
//! User code runs inside it (a `reduce` closure or a summary's, in the `Fold`'s steps) and may
//! panic. A new window or session is entered, with its epoch held and its timer, only once its
//! first record is in; every other change to the bookkeeping is made before that code runs. So
//! a panic leaves the book consistent, and the accumulator as the fold left it (the folds of
//! `reduce` and `summarize` then mark it lost).

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use super::window_spec::{Unwindowable, WindowSpec};
use crate::dataflow::item::Origin;
use crate::delivery::Epoch;

struct Slot<A> {
    start: i64,
    end: i64,
    acc: A,
    /// A record of the window, to file a dead letter under when its result cannot be made.
    origin: Origin,
    /// The epoch of its earliest record.
    epoch: Epoch,
    /// Its result has been emitted and no record arrived since.
    fired: bool,
}

/// Adds one more value to an accumulator.
pub(crate) type Step<A, V> = Box<dyn FnMut(&mut A, V)>;

/// Adds a value the accumulator only borrows.
pub(crate) type SharedStep<A, V> = Box<dyn FnMut(&mut A, &V)>;

/// How to start, grow and merge a window's accumulator.
pub(crate) struct Fold<T, A> {
    pub new: Box<dyn Fn() -> A>,
    /// Adds a record, by reference, to all but the last of its windows (sliding windows).
    pub add_shared: SharedStep<A, T>,
    /// Adds a record to the last of its windows.
    pub add: Step<A, T>,
    pub merge: Step<A, A>,
}

/// What became of a record given to [`WindowBook::insert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placed {
    /// It joined its windows.
    Added,
    /// Every window it belongs to has expired.
    Late,
    /// No window can hold its event time.
    Unwindowable(Unwindowable),
}

/// A window whose result is due, as [`WindowBook::advance`] hands it out.
pub(crate) struct Fired<'a, A> {
    pub start: i64,
    pub end: i64,
    pub acc: &'a A,
    pub origin: Origin,
}

/// Adds the record to one of its windows: a reference for all but its last window, which
/// takes the record itself.
fn add_to<T, A>(fold: &mut Fold<T, A>, acc: &mut A, record: &mut Option<T>, is_last: bool) {
    if !is_last {
        if let Some(value) = record.as_ref() {
            (fold.add_shared)(acc, value);
        }
    } else if let Some(value) = record.take() {
        (fold.add)(acc, value);
    }
}

pub(crate) struct WindowBook<K, A> {
    spec: WindowSpec,
    /// foldhash: fast, and seeded per process, so keys read from the input cannot be chosen
    /// to collide.
    slots: HashMap<K, Vec<Slot<A>>, foldhash::fast::RandomState>,
    /// Event times at which a key's windows may fire or expire; entries can be stale.
    timers: BTreeMap<i64, Vec<K>>,
    /// How many open windows hold records of each epoch.
    epochs: BTreeMap<Epoch, usize>,
    watermark: i64,
    /// The windows of the record being inserted; kept to spare an allocation per record.
    scratch: Vec<(i64, i64)>,
    /// The last window a record was assigned to, when windows are tumbling.
    last_tumbling: Option<(i64, i64)>,
}

impl<K: Hash + Eq + Clone, A> WindowBook<K, A> {
    pub fn new(spec: WindowSpec) -> Self {
        WindowBook {
            spec,
            slots: HashMap::default(),
            timers: BTreeMap::new(),
            epochs: BTreeMap::new(),
            watermark: i64::MIN,
            scratch: Vec::new(),
            last_tumbling: None,
        }
    }

    /// The oldest epoch an open window holds records of.
    pub fn oldest_epoch(&self) -> Option<Epoch> {
        self.epochs.keys().next().copied()
    }

    pub fn watermark(&self) -> i64 {
        self.watermark
    }

    /// Starts from the watermark an earlier run had reached: windows that ended before it were
    /// written then.
    pub fn resume_at(&mut self, watermark: i64) {
        self.watermark = self.watermark.max(watermark);
    }

    /// Whether every window a record at `ts` belongs to had expired at `watermark`.
    pub fn expired_at(&self, ts: i64, watermark: i64) -> bool {
        let mut expired = true;
        let windowed = self.spec.assign(ts, |_, end| {
            expired &= end.saturating_add(self.spec.lateness) <= watermark;
        });
        expired && windowed.is_ok()
    }

    fn hold(&mut self, epoch: Epoch) {
        *self.epochs.entry(epoch).or_default() += 1;
    }

    fn release(&mut self, epoch: Epoch) {
        if let Some(count) = self.epochs.get_mut(&epoch) {
            *count -= 1;
            if *count == 0 {
                self.epochs.remove(&epoch);
            }
        }
    }

    /// Adds `record` (from `origin`, read in `epoch`) to the windows of its event time.
    pub fn insert<T>(
        &mut self,
        key: K,
        origin: Origin,
        epoch: Epoch,
        record: T,
        fold: &mut Fold<T, A>,
    ) -> Placed {
        let (lateness, watermark) = (self.spec.lateness, self.watermark);
        // Should `fold.add` panic below, only this allocation is lost.
        let mut open = std::mem::take(&mut self.scratch);
        open.clear();
        let ts = origin.event_time;
        let assigned = match self.last_tumbling {
            // The tumbling window of the previous record holds this one too: no division.
            Some((start, end)) if start <= ts && ts < end => {
                if end.saturating_add(lateness) > watermark {
                    open.push((start, end));
                }
                Ok(())
            }
            _ => self.spec.assign(ts, |start, end| {
                if self.spec.is_tumbling() {
                    self.last_tumbling = Some((start, end));
                }
                if end.saturating_add(lateness) > watermark {
                    open.push((start, end));
                }
            }),
        };
        if let Err(unwindowable) = assigned {
            self.scratch = open;
            return Placed::Unwindowable(unwindowable);
        }
        let Some(&last) = open.last() else {
            self.scratch = open;
            return Placed::Late;
        };
        if self.spec.is_session() {
            self.scratch = open;
            self.insert_session(key, last, (origin, epoch), record, fold);
            return Placed::Added;
        }
        let mut record = Some(record);
        for (i, &(start, end)) in open.iter().enumerate() {
            let is_last = i + 1 == open.len();
            let existing = self
                .slots
                .get_mut(&key)
                .and_then(|slots| slots.iter_mut().find(|s| s.start == start));
            if let Some(slot) = existing {
                // Due to fire again before the user's code runs, panic or not.
                if slot.fired {
                    slot.fired = false;
                    self.timers.entry(end).or_default().push(key.clone());
                }
                add_to(fold, &mut slot.acc, &mut record, is_last);
                continue;
            }
            // A new window, and its key's entry, exist only once its first record is in:
            // should the user's code panic on that record, nothing is left without records.
            let mut acc = (fold.new)();
            add_to(fold, &mut acc, &mut record, is_last);
            self.enter(key.clone(), (start, end), acc, (origin, epoch));
        }
        self.scratch = open;
        Placed::Added
    }

    /// Enters a window that has its first record: it holds its epoch and fires at its end.
    fn enter(
        &mut self,
        key: K,
        (start, end): (i64, i64),
        acc: A,
        (origin, epoch): (Origin, Epoch),
    ) {
        self.slots.entry(key.clone()).or_default().push(Slot {
            start,
            end,
            acc,
            origin,
            epoch,
            fired: false,
        });
        self.hold(epoch);
        self.timers.entry(end).or_default().push(key);
    }

    /// A session: `[ts, ts + gap)` merged with every session of the key it overlaps. The merged
    /// slot and its bookkeeping are in place before `fold.merge` (user code) runs.
    fn insert_session<T>(
        &mut self,
        key: K,
        (mut start, mut end): (i64, i64),
        (mut origin, mut epoch): (Origin, Epoch),
        record: T,
        fold: &mut Fold<T, A>,
    ) {
        let mut overlapped = Vec::new();
        if let Some(slots) = self.slots.get_mut(&key) {
            let mut i = 0;
            while i < slots.len() {
                if slots[i].start < end && start < slots[i].end {
                    let other = slots.swap_remove(i);
                    // A merged session is named by a record of a session it merges, never by
                    // the one being added: should `fold.merge` panic on that one, its dead
                    // letter and the session's stay apart.
                    if overlapped.is_empty() {
                        origin = other.origin;
                    }
                    start = start.min(other.start);
                    end = end.max(other.end);
                    epoch = epoch.min(other.epoch);
                    overlapped.push(other);
                } else {
                    i += 1;
                }
            }
        }
        let mut acc = (fold.new)();
        if overlapped.is_empty() {
            // A new session exists only once its first record is in, as a new window does.
            (fold.add)(&mut acc, record);
            self.enter(key, (start, end), acc, (origin, epoch));
            return;
        }
        // The sessions it joins are out of the book: the merged one is in place, with its
        // bookkeeping, before the user's code runs, so a panic there loses their values into
        // the merged session's accumulator (which the fold marks lost), not the epochs held.
        self.enter(key.clone(), (start, end), acc, (origin, epoch));
        for other in &overlapped {
            self.release(other.epoch);
        }
        let Some(slot) = self.slots.get_mut(&key).and_then(|s| s.last_mut()) else {
            return;
        };
        (fold.add)(&mut slot.acc, record);
        for other in overlapped {
            (fold.merge)(&mut slot.acc, other.acc);
        }
    }

    /// Moves event time to `watermark`: every window that ends at or before it is emitted
    /// (once, until a record updates it), and dropped once it is `lateness` past its end.
    pub fn advance(&mut self, watermark: i64, mut emit: impl FnMut(&K, Fired<'_, A>)) {
        self.watermark = self.watermark.max(watermark);
        let lateness = self.spec.lateness;
        while let Some(entry) = self.timers.first_entry() {
            if *entry.key() > self.watermark {
                break;
            }
            for key in entry.remove() {
                let Some(slots) = self.slots.get_mut(&key) else {
                    continue;
                };
                let mut released = Vec::new();
                let mut later = Vec::new();
                slots.retain_mut(|slot| {
                    if slot.end > self.watermark {
                        return true;
                    }
                    if !slot.fired {
                        emit(
                            &key,
                            Fired {
                                start: slot.start,
                                end: slot.end,
                                acc: &slot.acc,
                                origin: slot.origin,
                            },
                        );
                        slot.fired = true;
                    }
                    let expires = slot.end.saturating_add(lateness);
                    if expires <= self.watermark {
                        released.push(slot.epoch);
                        false
                    } else {
                        later.push(expires);
                        true
                    }
                });
                if slots.is_empty() {
                    self.slots.remove(&key);
                }
                for epoch in released {
                    self.release(epoch);
                }
                for at in later {
                    self.timers.entry(at).or_default().push(key.clone());
                }
            }
        }
    }
}
