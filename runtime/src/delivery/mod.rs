//! Delivery: epochs, the per-worker ledger of positions and dead letters, what one commit
//! carries, the commit points of windowed pipelines (`window_commits.rs`), and the bookkeeping
//! tables it is stored in (`positions.rs`, `dead_letters.rs`, `pipelines.rs`). The whole
//! protocol, and how it spans processes: `docs/architecture.md`.
//!
//! A source closes an epoch by recording, in its worker's [`Ledger`], the next offset of every
//! partition it read during that epoch, and only then downgrades its capability. The sink of
//! the same worker writes the rows of all epochs its input frontier has passed together with
//! the ledger entries of those epochs, in one transaction. So the stored offsets and the rows
//! can never disagree: a restart resumes exactly after the last committed row.
//!
//! This holds for pipelines whose records stay on the worker that read them (`map`,
//! `filter`, `flat_map`). Operators that exchange records between workers commit offsets from
//! the probe on the sink's output instead, and rely on keyed (idempotent) writes.

pub(crate) mod acknowledge;
mod dead_letters;
pub(crate) mod keyed_state;
pub(crate) mod message_ids;
pub(crate) mod pipelines;
mod positions;
pub(crate) mod table_scans;
mod window_commits;

pub(crate) use dead_letters::{prepare_dead_letters_table, store_dead_letters};
pub(crate) use positions::{
    CREATE_OFFSETS_TABLE, CREATE_WATERMARK_OFFSETS_TABLE, CREATE_WATERMARKS_TABLE, load_offsets,
    load_read_until, load_watermark, store_offsets, store_watermark,
};
pub(crate) use window_commits::{CommitFact, StoredWatermark, WindowCommits};

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::dead_letter::DeadLetter;
use keyed_state::StoredState;
use message_ids::ClaimedId;

/// Timely's timestamp in a sluice dataflow: a number of `epoch` lengths since the run started.
pub type Epoch = u64;

/// The first epoch an input may still receive records for, given its frontier: every epoch
/// before it is complete. `Epoch::MAX` once the input has ended.
pub(crate) fn complete_before(
    frontier: timely::progress::frontier::AntichainRef<'_, Epoch>,
) -> Epoch {
    frontier.iter().next().copied().unwrap_or(Epoch::MAX)
}

/// The epoch every worker is in at a given instant. Workers share the start instant, so their
/// epochs stay aligned and no worker holds the others' progress back for long.
///
/// The first epochs are short (1/8, 1/8, 1/4 and 1/2 of `length`), then each lasts `length`:
/// positions, and an append-only table's rows, are written only once their epoch is complete,
/// and the first should not wait a whole epoch.
#[derive(Debug, Clone)]
pub(crate) struct EpochClock {
    /// Set when a worker first asks for the epoch, once the dataflow runs: in a cluster, after
    /// every process has joined, so that no process starts ahead by its wait.
    start: Arc<std::sync::OnceLock<Instant>>,
    length: Duration,
}

/// Epochs before this one are the short ones of the ramp.
const RAMP: Epoch = 3;

impl EpochClock {
    pub fn new(length: Duration) -> Self {
        EpochClock {
            start: Arc::new(std::sync::OnceLock::new()),
            length,
        }
    }

    fn started(&self) -> Instant {
        *self.start.get_or_init(Instant::now)
    }

    pub fn now(&self) -> Epoch {
        let elapsed = self.started().elapsed().as_nanos();
        let length = self.length.as_nanos().max(1);
        if elapsed >= length {
            return (elapsed / length) as Epoch + RAMP;
        }
        (0..RAMP)
            .find(|&e| elapsed < self.end_of(e).as_nanos())
            .unwrap_or(RAMP)
    }

    /// When epoch `epoch` ends, from the start.
    fn end_of(&self, epoch: Epoch) -> Duration {
        if epoch < RAMP {
            self.length / (1 << (RAMP - epoch))
        } else {
            self.length
                .saturating_mul(u32::try_from(epoch - RAMP + 1).unwrap_or(u32::MAX))
        }
    }

    /// Time left until epoch `epoch + 1` begins.
    pub fn until_after(&self, epoch: Epoch) -> Duration {
        self.end_of(epoch).saturating_sub(self.started().elapsed())
    }
}

/// The next offset to read from one partition, once an epoch's rows are durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OffsetUpdate {
    pub topic: Arc<str>,
    pub partition: i32,
    pub next_offset: i64,
}

/// What a source recorded about the epochs it closed, waiting for the sink to commit it.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    closed: VecDeque<(Epoch, Vec<OffsetUpdate>, Vec<DeadLetter>)>,
    open_dead_letters: Vec<DeadLetter>,
    /// Records set aside after the source (late, panicked, rejected by the sink): on this
    /// worker, from any worker's partitions. They go with the next transaction, whatever their
    /// epoch, so that a sink's durable frontier also means they are stored: another worker
    /// may commit the offsets of their records as soon as that frontier has passed.
    rejected: Vec<DeadLetter>,
    /// The keys whose `map_with_state` state changed, as it was once each epoch was applied.
    states: BTreeMap<Epoch, Vec<StoredState>>,
    /// The ids of the messages read in the open epoch (a queue source without positions:
    /// see `message_ids.rs`).
    open_ids: Vec<ClaimedId>,
    /// The same, of closed epochs.
    ids: BTreeMap<Epoch, Vec<ClaimedId>>,
}

/// The ledger entries of several epochs, merged for one transaction.
#[derive(Debug, Default)]
pub(crate) struct Commit {
    pub offsets: Vec<OffsetUpdate>,
    pub dead_letters: Vec<DeadLetter>,
    /// A watermark such that every window that ended before it is written and every later
    /// window is rebuilt whole from the records after the committed offsets (see
    /// `delivery/window_commits.rs`). A restart starts its windows from there.
    pub watermark: Option<i64>,
    /// With a watermark: how far each partition had been read when every window operator had
    /// applied what the watermark fired on. A record read again below it after a restart is a
    /// replay; one above it was never in a window, and is late if its windows are closed.
    pub read_until: Vec<OffsetUpdate>,
    /// Keyed states, stored with the rows they led to (see `keyed_state.rs`).
    pub states: Vec<StoredState>,
    /// Ids of queue messages, stored with the rows they led to (see `message_ids.rs`).
    pub message_ids: Vec<ClaimedId>,
}

impl Commit {
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
            && self.dead_letters.is_empty()
            && self.watermark.is_none()
            && self.states.is_empty()
            && self.message_ids.is_empty()
    }

    /// Adds the watermark a commit point stores, with the positions read by the epoch its
    /// windows had applied: those committed now and those `ledger` still holds. The source's
    /// dead letters of those epochs are taken along: a restart counts their records, read
    /// again below those positions, as replays, so their letters must be stored by then.
    /// Storing them before their offsets is harmless, as a dead letter is stored once per
    /// offset and kind.
    pub fn store_watermark(&mut self, mark: Option<StoredWatermark>, ledger: &mut Ledger) {
        let Some(mark) = mark else { return };
        self.watermark = Some(mark.millis);
        let mut read = self.offsets.clone();
        for (epoch, offsets, letters) in &mut ledger.closed {
            if *epoch > mark.applied {
                break;
            }
            for update in offsets.iter() {
                merge_into(&mut read, update.clone());
            }
            self.dead_letters.append(letters);
        }
        self.dead_letters.append(&mut ledger.rejected);
        self.read_until = read;
    }
}

fn merge_into(offsets: &mut Vec<OffsetUpdate>, update: OffsetUpdate) {
    match offsets
        .iter_mut()
        .find(|o| o.partition == update.partition && o.topic == update.topic)
    {
        Some(existing) => existing.next_offset = existing.next_offset.max(update.next_offset),
        None => offsets.push(update),
    }
}

impl Ledger {
    /// Records a dead letter in the epoch that is still open.
    pub fn dead_letter(&mut self, letter: DeadLetter) {
        self.open_dead_letters.push(letter);
    }

    /// Whether anything is recorded that a commit up to `upto` would take.
    pub fn has_before(&self, upto: Epoch) -> bool {
        self.closed.front().is_some_and(|(e, _, _)| *e < upto) || !self.rejected.is_empty()
    }

    /// Whether nothing waits to be committed (the open epoch aside).
    pub fn is_empty(&self) -> bool {
        self.closed.is_empty() && self.rejected.is_empty()
    }

    /// Records a record set aside after the source (see `rejected`).
    pub fn reject(&mut self, letter: DeadLetter) {
        self.rejected.push(letter);
    }

    /// Records the id of a message read in the epoch that is still open.
    pub fn claim(&mut self, id: ClaimedId) {
        self.open_ids.push(id);
    }

    /// Closes `epoch` with the offsets reached in it.
    pub fn close(&mut self, epoch: Epoch, offsets: Vec<OffsetUpdate>) {
        let letters = std::mem::take(&mut self.open_dead_letters);
        let ids = std::mem::take(&mut self.open_ids);
        let has_ids = !ids.is_empty();
        if has_ids {
            self.ids.insert(epoch, ids);
        }
        if !offsets.is_empty() || !letters.is_empty() || has_ids {
            self.closed.push_back((epoch, offsets, letters));
        }
    }

    /// Records the states `map_with_state` left once it had applied `epoch`.
    pub fn record_states(&mut self, epoch: Epoch, states: Vec<StoredState>) {
        if !states.is_empty() {
            self.states.entry(epoch).or_default().extend(states);
        }
    }

    /// Whether states of an epoch before `upto` wait to be stored.
    pub fn has_states_before(&self, upto: Epoch) -> bool {
        self.states.keys().next().is_some_and(|e| *e < upto)
    }

    /// The states of the epochs before `upto`, the latest of each key only. A sink stores them
    /// once its input has passed those epochs: every row they led to is then in its hands.
    pub fn take_states_before(&mut self, upto: Epoch) -> Vec<StoredState> {
        let later = match upto {
            Epoch::MAX => BTreeMap::new(),
            upto => self.states.split_off(&upto),
        };
        let taken = std::mem::replace(&mut self.states, later);
        let mut latest: HashMap<(std::sync::Arc<str>, String), StoredState> = HashMap::new();
        for state in taken.into_values().flatten() {
            latest.insert((state.operator.clone(), state.key_json.clone()), state);
        }
        latest.into_values().collect()
    }

    /// Removes and merges the entries of every epoch before `upto`, and every record set aside
    /// after the source.
    pub fn take_before(&mut self, upto: Epoch) -> Commit {
        let mut commit = Commit::default();
        while let Some((epoch, _, _)) = self.closed.front() {
            if *epoch >= upto {
                break;
            }
            if let Some((epoch, offsets, letters)) = self.closed.pop_front() {
                for update in offsets {
                    merge_into(&mut commit.offsets, update);
                }
                commit.dead_letters.extend(letters);
                if let Some(mut ids) = self.ids.remove(&epoch) {
                    commit.message_ids.append(&mut ids);
                }
            }
        }
        commit.dead_letters.append(&mut self.rejected);
        commit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(partition: i32, next_offset: i64) -> OffsetUpdate {
        OffsetUpdate {
            topic: Arc::from("t"),
            partition,
            next_offset,
        }
    }

    #[test]
    fn the_first_epochs_ramp_up_to_the_configured_length() {
        let clock = EpochClock::new(Duration::from_millis(800));
        let ends: Vec<u128> = (0..6).map(|e| clock.end_of(e).as_millis()).collect();
        assert_eq!(ends, [100, 200, 400, 800, 1600, 2400]);
        let at = |ms: u64| EpochClock {
            start: Arc::new(std::sync::OnceLock::from(
                Instant::now() - Duration::from_millis(ms),
            )),
            length: Duration::from_millis(800),
        };
        let epochs: Vec<Epoch> = [0, 150, 300, 700, 900, 1700, 2500]
            .into_iter()
            .map(|ms| at(ms).now())
            .collect();
        assert_eq!(epochs, [0, 1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn take_before_merges_closed_epochs_and_keeps_later_ones() {
        let mut ledger = Ledger::default();
        ledger.close(0, vec![update(0, 10), update(1, 5)]);
        ledger.close(1, vec![update(0, 20)]);
        ledger.close(3, vec![update(1, 9)]);

        let commit = ledger.take_before(2);
        assert_eq!(commit.offsets, vec![update(0, 20), update(1, 5)]);

        let rest = ledger.take_before(Epoch::MAX);
        assert_eq!(rest.offsets, vec![update(1, 9)]);
        assert!(ledger.take_before(Epoch::MAX).is_empty());
    }

    #[test]
    fn a_stored_watermark_carries_the_positions_read_by_its_applied_epoch() {
        let mut ledger = Ledger::default();
        ledger.close(1, vec![update(0, 10)]);
        ledger.dead_letter(DeadLetter::for_test(15));
        ledger.close(2, vec![update(0, 20), update(1, 7)]);
        ledger.dead_letter(DeadLetter::for_test(25));
        ledger.close(4, vec![update(0, 30)]);
        let mut commit = ledger.take_before(2);
        let mark = StoredWatermark {
            millis: 5,
            applied: 3,
        };
        commit.store_watermark(Some(mark), &mut ledger);
        assert_eq!(commit.offsets, vec![update(0, 10)]);
        assert_eq!(commit.watermark, Some(5));
        assert_eq!(commit.read_until, vec![update(0, 20), update(1, 7)]);
        let letters: Vec<i64> = commit.dead_letters.iter().map(|l| l.offset).collect();
        assert_eq!(
            letters,
            [15],
            "the source's letters up to the applied epoch go along"
        );
        let rest = ledger.take_before(Epoch::MAX);
        let later: Vec<i64> = rest.dead_letters.iter().map(|l| l.offset).collect();
        assert_eq!(later, [25]);
    }

    #[test]
    fn records_set_aside_after_the_source_go_with_the_next_commit_whatever_their_epoch() {
        let mut ledger = Ledger::default();
        ledger.close(5, vec![update(0, 10)]);
        ledger.reject(DeadLetter::for_test(9));
        assert!(
            ledger.has_before(0),
            "a set-aside record asks for a transaction"
        );
        let commit = ledger.take_before(0);
        assert!(commit.offsets.is_empty());
        assert_eq!(commit.dead_letters.len(), 1);
        assert!(!ledger.has_before(5));
    }

    #[test]
    fn dead_letters_belong_to_the_epoch_open_when_they_were_recorded() {
        let mut ledger = Ledger::default();
        ledger.dead_letter(DeadLetter::for_test(7));
        ledger.close(4, Vec::new());
        assert!(ledger.take_before(4).is_empty());
        assert_eq!(ledger.take_before(5).dead_letters.len(), 1);
    }
}
