//! The open windows of one worker's keys: which window each record joins, when a window fires,
//! when it is dropped, and which epochs its records came from. Pure state, no timely.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use super::window_spec::WindowSpec;
use crate::delivery::Epoch;

struct Slot<A> {
    start: i64,
    end: i64,
    acc: A,
    /// The epoch of its earliest record.
    epoch: Epoch,
    /// Its result has been emitted and no record arrived since.
    fired: bool,
}

/// Adds one more value to an accumulator.
pub(crate) type Step<A, V> = Box<dyn FnMut(&mut A, V)>;

/// How to start, grow and merge a window's accumulator.
pub(crate) struct Fold<T, A> {
    pub new: Box<dyn Fn() -> A>,
    pub add: Step<A, T>,
    pub merge: Step<A, A>,
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
        self.spec.assign(ts, |_, end| {
            expired &= end.saturating_add(self.spec.lateness) <= watermark;
        });
        expired
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

    /// Adds `record` (at event time `ts`, read in `epoch`) to its windows. `false` when every
    /// window it belongs to has already expired: the record is late.
    pub fn insert<T: Clone>(
        &mut self,
        key: K,
        ts: i64,
        epoch: Epoch,
        record: T,
        fold: &mut Fold<T, A>,
    ) -> bool {
        let (lateness, watermark) = (self.spec.lateness, self.watermark);
        let mut open = std::mem::take(&mut self.scratch);
        open.clear();
        self.spec.assign(ts, |start, end| {
            if end.saturating_add(lateness) > watermark {
                open.push((start, end));
            }
        });
        let Some(&last) = open.last() else {
            self.scratch = open;
            return false;
        };
        if self.spec.is_session() {
            self.insert_session(key, last, epoch, record, fold);
            self.scratch = open;
            return true;
        }
        let mut record = Some(record);
        for (i, &(start, end)) in open.iter().enumerate() {
            let value = if i + 1 == open.len() {
                record.take()
            } else {
                record.clone()
            };
            let Some(value) = value else { continue };
            let slots = self.slots.entry(key.clone()).or_default();
            match slots.iter_mut().find(|s| s.start == start) {
                Some(slot) => {
                    (fold.add)(&mut slot.acc, value);
                    if slot.fired {
                        slot.fired = false;
                        self.timers.entry(end).or_default().push(key.clone());
                    }
                }
                None => {
                    let mut acc = (fold.new)();
                    (fold.add)(&mut acc, value);
                    slots.push(Slot {
                        start,
                        end,
                        acc,
                        epoch,
                        fired: false,
                    });
                    self.hold(epoch);
                    self.timers.entry(end).or_default().push(key.clone());
                }
            }
        }
        self.scratch = open;
        true
    }

    /// A session: `[ts, ts + gap)` merged with every session of the key it overlaps.
    fn insert_session<T>(
        &mut self,
        key: K,
        (mut start, mut end): (i64, i64),
        mut epoch: Epoch,
        record: T,
        fold: &mut Fold<T, A>,
    ) {
        let mut acc = (fold.new)();
        (fold.add)(&mut acc, record);
        let slots = self.slots.entry(key.clone()).or_default();
        let mut released = Vec::new();
        let mut i = 0;
        while i < slots.len() {
            if slots[i].start < end && start < slots[i].end {
                let other = slots.swap_remove(i);
                start = start.min(other.start);
                end = end.max(other.end);
                (fold.merge)(&mut acc, other.acc);
                released.push(other.epoch);
                epoch = epoch.min(other.epoch);
            } else {
                i += 1;
            }
        }
        slots.push(Slot {
            start,
            end,
            acc,
            epoch,
            fired: false,
        });
        for old in released {
            self.release(old);
        }
        self.hold(epoch);
        self.timers.entry(end).or_default().push(key);
    }

    /// Moves event time to `watermark`: every window that ends at or before it is emitted
    /// (once, until a record updates it), and dropped once it is `lateness` past its end.
    pub fn advance(&mut self, watermark: i64, mut emit: impl FnMut(&K, i64, i64, &A)) {
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
                        emit(&key, slot.start, slot.end, &slot.acc);
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
