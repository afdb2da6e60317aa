//! How far offsets may be committed when windows hold records, and the watermark to store with
//! them, decided over every worker's window operator.
//!
//! A window operator *releases* epochs when no open window holds records of them any more. Each
//! release notes the first epoch still held, the last epoch whose completion the operator had
//! applied, and its watermark then (the same on every worker for the same completed epochs).
//! Offsets of the epochs before `e` may be committed with watermark `W` when, for every worker,
//! the first release at or past `e` happened at a watermark of at most `W` after applying epochs
//! before the durability frontier:
//!
//! - every window that ended (plus lateness) before `W` was emitted at an epoch the frontier has
//!   passed, so it is written: a restart drops the records it reads again for it;
//! - every window holding a record before `e` had expired by its worker's release, so it ended
//!   before `W`: a restart never rebuilds a window from part of its records.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::delivery::Epoch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Release {
    /// The first epoch the operator still holds.
    from: Epoch,
    /// The last epoch whose completion it had applied (its fired windows were emitted at or
    /// before it).
    applied: Epoch,
    watermark: i64,
}

/// The watermark a commit stores, and the last epoch every window operator had applied when
/// it was reached: a record read in that epoch or before was in the windows' hands before
/// they fired at the watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoredWatermark {
    pub millis: i64,
    pub applied: Epoch,
}

#[derive(Debug)]
pub(crate) struct WindowProgress {
    has_windows: AtomicBool,
    releases: Mutex<Vec<VecDeque<Release>>>,
    /// The commit point each worker's sink has reached.
    committed: Mutex<Vec<Epoch>>,
}

impl WindowProgress {
    pub fn new(workers: usize) -> Self {
        WindowProgress {
            has_windows: AtomicBool::new(false),
            releases: Mutex::new(vec![VecDeque::new(); workers]),
            committed: Mutex::new(vec![0; workers]),
        }
    }

    /// The pipeline has a window operator: commits must follow its releases.
    pub fn windows_exist(&self) {
        self.has_windows.store(true, Ordering::Release);
    }

    /// Whether the pipeline has a window operator (known once the dataflow is built).
    pub fn exist(&self) -> bool {
        self.has_windows.load(Ordering::Acquire)
    }

    /// Worker `worker`'s window operator now holds no epoch before `from`, having applied the
    /// completion of epochs up to `applied`, at `watermark`.
    pub fn released(&self, worker: usize, from: Epoch, applied: Epoch, watermark: i64) {
        if let Ok(mut releases) = self.releases.lock()
            && let Some(mine) = releases.get_mut(worker)
        {
            mine.push_back(Release {
                from,
                applied,
                watermark,
            });
        }
    }

    /// The latest commit point at or before `limit`, with the watermark to store, given that
    /// every epoch before `durable` is written by every sink. `(0, None)` when nothing can be.
    pub fn commit_point(&self, limit: Epoch, durable: Epoch) -> (Epoch, Option<StoredWatermark>) {
        if !self.has_windows.load(Ordering::Acquire) {
            return (limit, None);
        }
        let Ok(releases) = self.releases.lock() else {
            return (0, None);
        };
        let mut candidates: Vec<Epoch> = releases
            .iter()
            .flatten()
            .map(|r| r.from)
            .filter(|from| *from < limit)
            .collect();
        candidates.push(limit);
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        candidates.dedup();
        for e in candidates {
            let mut watermark = i64::MIN;
            let mut applied = Epoch::MAX;
            let mut safe = true;
            for mine in releases.iter() {
                match mine.iter().find(|r| r.from >= e) {
                    Some(r) if r.applied < durable => {
                        watermark = watermark.max(r.watermark);
                        applied = applied.min(r.applied);
                    }
                    _ => {
                        safe = false;
                        break;
                    }
                }
            }
            if safe {
                let stored = (watermark > i64::MIN).then_some(StoredWatermark {
                    millis: watermark,
                    applied,
                });
                return (e, stored);
            }
        }
        (0, None)
    }

    /// Worker `worker`'s sink committed offsets before `point`; releases no later commit of
    /// any worker needs are forgotten.
    pub fn committed(&self, worker: usize, point: Epoch) {
        let everywhere = match self.committed.lock() {
            Ok(mut committed) => {
                if let Some(mine) = committed.get_mut(worker) {
                    *mine = (*mine).max(point);
                }
                committed.iter().copied().min().unwrap_or(0)
            }
            Err(_) => return,
        };
        self.forget_before(everywhere);
    }

    fn forget_before(&self, committed: Epoch) {
        if let Ok(mut releases) = self.releases.lock() {
            for mine in releases.iter_mut() {
                while mine.len() > 1 && mine.get(1).is_some_and(|r| r.from <= committed) {
                    mine.pop_front();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(millis: i64, applied: Epoch) -> StoredWatermark {
        StoredWatermark { millis, applied }
    }

    #[test]
    fn without_windows_everything_up_to_the_limit_commits() {
        let progress = WindowProgress::new(2);
        assert_eq!(progress.commit_point(7, 7), (7, None));
    }

    #[test]
    fn a_commit_waits_until_the_windows_fired_by_its_watermark_are_written() {
        let progress = WindowProgress::new(2);
        progress.windows_exist();
        // Worker 0 released epochs before 4 after applying epoch 5 at watermark 500.
        progress.released(0, 4, 5, 500);
        progress.released(1, 4, 3, 300);
        // Worker 0 emitted windows up to epoch 5: not written before epoch 6 is durable.
        assert_eq!(progress.commit_point(4, 5), (0, None));
        assert_eq!(progress.commit_point(4, 6), (4, Some(mark(500, 3))));
    }

    #[test]
    fn a_lower_commit_point_is_chosen_when_the_limit_is_not_yet_safe() {
        let progress = WindowProgress::new(2);
        progress.windows_exist();
        progress.released(0, 2, 1, 100);
        progress.released(1, 2, 1, 100);
        progress.released(0, 6, 9, 900);
        progress.released(1, 6, 6, 600);
        assert_eq!(progress.commit_point(6, 8), (2, Some(mark(100, 1))));
        assert_eq!(progress.commit_point(6, 10), (6, Some(mark(900, 6))));
        progress.committed(0, 6);
        progress.committed(1, 6);
        assert_eq!(progress.commit_point(6, 10), (6, Some(mark(900, 6))));
    }

    #[test]
    fn a_worker_without_a_release_at_or_past_the_point_blocks_it() {
        let progress = WindowProgress::new(2);
        progress.windows_exist();
        progress.released(0, 3, 2, 200);
        assert_eq!(progress.commit_point(3, 9), (0, None));
    }
}
