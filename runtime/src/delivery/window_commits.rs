//! How far offsets may be committed when windows hold records, and the watermark to store with
//! them, decided over every worker's window operator and sink.
//!
//! A window operator *releases* epochs when no open window holds records of them any more, and
//! reports a release whenever its watermark moves. Each release notes the first epoch still
//! held, the last epoch whose completion the operator had applied, and its watermark then (the
//! same on every worker for the same completed epochs). Each window operator also sends its
//! watermark down its stream after the windows it fired; a sink that has committed everything
//! it received before a watermark reports it as *written*.
//!
//! Let `W` be the lowest watermark every sink has written (capped by the latest release of
//! every operator). Offsets of the epochs before `e` may be committed with `W` stored when, for
//! every worker, the first release at or past `e` happened at a watermark of at most `W`:
//!
//! - every window that ended (plus lateness) before `W` is written: a restart drops the
//!   records it reads again for it;
//! - every window holding a record before `e` had expired by its worker's release, so it ended
//!   before `W`: a restart never rebuilds a window from part of its records.
//!
//! Every operator reached `W` after applying epoch `a`, the lowest epoch of a release at or
//! past `W` over the operators: each record read by `a` was in its window, or was late and
//! set aside, before the windows ending before `W` fired.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use super::Epoch;

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

/// One thing a worker told the commit points. In a cluster, the facts of one process's workers
/// are sent to every other process (`run/cluster.rs`), whose commit points take them in the
/// same order: every process then decides from the same facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum CommitFact {
    WindowsExist,
    Released {
        worker: usize,
        from: Epoch,
        applied: Epoch,
        watermark: i64,
    },
    Written {
        worker: usize,
        output: usize,
        watermark: i64,
    },
    Committed {
        worker: usize,
        point: Epoch,
    },
}

#[derive(Debug)]
pub(crate) struct WindowCommits {
    has_windows: AtomicBool,
    releases: Mutex<Vec<VecDeque<Release>>>,
    /// The window watermark each output of each worker has committed everything before,
    /// `outputs` slots per worker.
    written: Mutex<Vec<i64>>,
    outputs: usize,
    /// The commit point each worker's sink has reached.
    committed: Mutex<Vec<Epoch>>,
    /// In a cluster, the facts this process's workers reported and the other processes have
    /// not been sent yet.
    unsent: Option<Mutex<Vec<CommitFact>>>,
}

impl WindowCommits {
    /// The commit points of `workers` workers, each with `outputs` sinks.
    pub fn new(workers: usize, outputs: usize) -> Self {
        let outputs = outputs.max(1);
        WindowCommits {
            has_windows: AtomicBool::new(false),
            releases: Mutex::new(vec![VecDeque::new(); workers]),
            written: Mutex::new(vec![i64::MIN; workers * outputs]),
            outputs,
            committed: Mutex::new(vec![0; workers]),
            unsent: None,
        }
    }

    /// The commit points of one process of a cluster whose `workers` workers (every process's)
    /// each have `outputs` sinks: what this process's workers report is also kept for
    /// [`WindowCommits::take_unsent`].
    pub fn for_cluster(workers: usize, outputs: usize) -> Self {
        WindowCommits {
            unsent: Some(Mutex::new(Vec::new())),
            ..WindowCommits::new(workers, outputs)
        }
    }

    /// The pipeline has a window operator: commits must follow its releases.
    pub fn windows_exist(&self) {
        self.report(CommitFact::WindowsExist);
    }

    /// Whether the pipeline has a window operator (known once the dataflow is built).
    pub fn exist(&self) -> bool {
        self.has_windows.load(Ordering::Acquire)
    }

    /// Worker `worker`'s window operator now holds no epoch before `from`, having applied the
    /// completion of epochs up to `applied`, at `watermark`.
    pub fn released(&self, worker: usize, from: Epoch, applied: Epoch, watermark: i64) {
        self.report(CommitFact::Released {
            worker,
            from,
            applied,
            watermark,
        });
    }

    /// Output `output` of worker `worker` has committed every row it received before the
    /// window watermark `watermark`.
    pub fn written(&self, worker: usize, output: usize, watermark: i64) {
        self.report(CommitFact::Written {
            worker,
            output,
            watermark,
        });
    }

    /// Output `output` of worker `worker` receives no window rows: the commit points do not
    /// wait for it.
    pub fn without_windows(&self, worker: usize, output: usize) {
        self.written(worker, output, i64::MAX);
    }

    /// Worker `worker`'s sink committed offsets before `point`; releases no later commit of
    /// any worker needs are forgotten.
    pub fn committed(&self, worker: usize, point: Epoch) {
        self.report(CommitFact::Committed { worker, point });
    }

    /// Whether other processes decide from these facts too (a cluster run).
    pub fn shared_with_other_processes(&self) -> bool {
        self.unsent.is_some()
    }

    /// The facts reported here since the last call, for the other processes of the cluster.
    pub fn take_unsent(&self) -> Vec<CommitFact> {
        self.unsent
            .as_ref()
            .and_then(|unsent| {
                unsent
                    .lock()
                    .ok()
                    .map(|mut facts| std::mem::take(&mut *facts))
            })
            .unwrap_or_default()
    }

    /// A fact a worker of another process reported, in the order it reported them.
    pub fn apply_from_another_process(&self, fact: CommitFact) {
        self.apply(fact);
    }

    /// A fact of one of this process's workers.
    fn report(&self, fact: CommitFact) {
        self.apply(fact);
        if let Some(Ok(mut unsent)) = self.unsent.as_ref().map(Mutex::lock) {
            unsent.push(fact);
        }
    }

    fn apply(&self, fact: CommitFact) {
        match fact {
            CommitFact::WindowsExist => self.has_windows.store(true, Ordering::Release),
            CommitFact::Released {
                worker,
                from,
                applied,
                watermark,
            } => {
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
            CommitFact::Written {
                worker,
                output,
                watermark,
            } => {
                if let Ok(mut written) = self.written.lock()
                    && let Some(mine) = written.get_mut(worker * self.outputs + output)
                {
                    *mine = (*mine).max(watermark);
                }
            }
            CommitFact::Committed { worker, point } => {
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
        }
    }

    /// The latest commit point at or before `limit` (every epoch before `limit` is written by
    /// every sink), with the watermark to store. `(0, None)` when nothing can be.
    pub fn commit_point(&self, limit: Epoch) -> (Epoch, Option<StoredWatermark>) {
        if !self.has_windows.load(Ordering::Acquire) {
            return (limit, None);
        }
        let (Ok(mut releases), Ok(written)) = (self.releases.lock(), self.written.lock()) else {
            return (0, None);
        };
        let watermark = written_everywhere(&releases, &written, self.outputs);
        for mine in releases.iter_mut() {
            forget_passed(mine, watermark);
        }
        let mut candidates: Vec<Epoch> = releases
            .iter()
            .flatten()
            .map(|r| r.from)
            .filter(|from| *from < limit)
            .collect();
        candidates.push(limit);
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        candidates.dedup();
        let expired_by = |e: Epoch| {
            releases.iter().all(|mine| {
                mine.iter()
                    .find(|r| r.from >= e)
                    .is_some_and(|r| r.watermark <= watermark)
            })
        };
        let Some(point) = candidates.into_iter().find(|e| expired_by(*e)) else {
            return (0, None);
        };
        if watermark == i64::MIN {
            return (point, None);
        }
        let applied = releases
            .iter()
            .filter_map(|mine| mine.iter().find(|r| r.watermark >= watermark))
            .map(|r| r.applied)
            .min()
            .unwrap_or(0);
        (
            point,
            Some(StoredWatermark {
                millis: watermark,
                applied,
            }),
        )
    }

    /// Keeps, for later commit points, the first release at or past `committed`: the one with
    /// the lowest watermark for that point.
    /// Releases the written watermark has passed go too (see [`forget_passed`]).
    fn forget_before(&self, committed: Epoch) {
        if let (Ok(mut releases), Ok(written)) = (self.releases.lock(), self.written.lock()) {
            let watermark = written_everywhere(&releases, &written, self.outputs);
            for mine in releases.iter_mut() {
                while mine.len() > 1 && mine.front().is_some_and(|r| r.from < committed) {
                    mine.pop_front();
                }
                forget_passed(mine, watermark);
            }
        }
    }
}

/// The lowest window watermark every sink has written, capped by every operator's latest
/// release (a commit point needs a release at or past it).
fn written_everywhere(releases: &[VecDeque<Release>], written: &[i64], outputs: usize) -> i64 {
    written
        .chunks(outputs)
        .zip(releases)
        .map(|(written, mine)| {
            let sinks = written.iter().copied().min().unwrap_or(i64::MIN);
            sinks.min(mine.back().map_or(i64::MIN, |r| r.watermark))
        })
        .min()
        .unwrap_or(i64::MIN)
}

/// Drops the releases no commit point can need once every sink has written `watermark` (it
/// only grows): those below it that are neither the first release of their epoch (a commit
/// point's test) nor the latest (the cap on the watermark). While an open window holds one
/// epoch, its releases would otherwise pile up.
fn forget_passed(mine: &mut VecDeque<Release>, watermark: i64) {
    let last = mine.len().saturating_sub(1);
    let mut previous_from = None;
    let mut index = 0;
    mine.retain(|r| {
        let keep = previous_from != Some(r.from) || index == last || r.watermark >= watermark;
        previous_from = Some(r.from);
        index += 1;
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(millis: i64, applied: Epoch) -> StoredWatermark {
        StoredWatermark { millis, applied }
    }

    #[test]
    fn without_windows_everything_up_to_the_limit_commits() {
        let progress = WindowCommits::new(2, 1);
        assert_eq!(progress.commit_point(7), (7, None));
    }

    #[test]
    fn a_commit_waits_until_every_sink_wrote_the_windows_its_watermark_fired() {
        let progress = WindowCommits::new(2, 1);
        progress.windows_exist();
        progress.released(0, 4, 5, 500);
        progress.released(1, 4, 3, 300);
        // Nothing written yet: only a point whose held records expired at no watermark.
        assert_eq!(progress.commit_point(4), (0, None));
        progress.written(0, 0, 500);
        assert_eq!(
            progress.commit_point(4),
            (0, None),
            "worker 1 wrote nothing"
        );
        progress.written(1, 0, 300);
        assert_eq!(
            progress.commit_point(4),
            (0, None),
            "worker 0's records before 4 expired only at 500"
        );
        progress.written(1, 0, 500);
        assert_eq!(
            progress.commit_point(4),
            (0, None),
            "worker 1's operator has not released at 500 yet"
        );
        progress.released(1, 4, 5, 500);
        assert_eq!(progress.commit_point(4), (4, Some(mark(500, 5))));
    }

    #[test]
    fn a_lower_commit_point_is_chosen_when_the_limit_is_not_yet_safe() {
        let progress = WindowCommits::new(2, 1);
        progress.windows_exist();
        progress.released(0, 2, 1, 100);
        progress.released(1, 2, 1, 100);
        progress.released(0, 6, 9, 900);
        progress.released(1, 6, 6, 600);
        progress.written(0, 0, 600);
        progress.written(1, 0, 600);
        // Worker 0's records before 6 expired only at 900, which is not written.
        assert_eq!(progress.commit_point(6), (2, Some(mark(600, 6))));
        progress.written(0, 0, 900);
        progress.written(1, 0, 900);
        progress.released(1, 6, 9, 900);
        assert_eq!(progress.commit_point(6), (6, Some(mark(900, 9))));
        progress.committed(0, 6);
        progress.committed(1, 6);
        assert_eq!(progress.commit_point(6), (6, Some(mark(900, 9))));
    }

    #[test]
    fn windows_fired_while_their_epoch_is_still_held_reach_the_commits() {
        let progress = WindowCommits::new(2, 1);
        progress.windows_exist();
        // Every record came in epoch 3 (a burst); the first windows fired while later ones
        // still hold it, so the operators never release past 3.
        for worker in 0..2 {
            progress.released(worker, 3, 2, i64::MIN);
            progress.released(worker, 3, 4, 60_000);
        }
        assert_eq!(progress.commit_point(3), (3, None), "nothing written yet");
        progress.written(0, 0, 60_000);
        progress.written(1, 0, 60_000);
        assert_eq!(progress.commit_point(3), (3, Some(mark(60_000, 4))));
    }

    #[test]
    fn while_one_epoch_is_held_a_lagging_written_watermark_still_commits() {
        let progress = WindowCommits::new(1, 1);
        progress.windows_exist();
        progress.released(0, 3, 2, i64::MIN);
        for (applied, watermark) in [(4, 100), (5, 200), (6, 300), (7, 400)] {
            progress.released(0, 3, applied, watermark);
        }
        progress.written(0, 0, 100);
        assert_eq!(progress.commit_point(3), (3, Some(mark(100, 4))));
        progress.committed(0, 3);
        // The sink lags behind the operator, whose latest release is at 400.
        progress.written(0, 0, 300);
        assert_eq!(progress.commit_point(3), (3, Some(mark(300, 6))));
        progress.committed(0, 3);
        let kept = progress.releases.lock().map(|r| r[0].len()).unwrap_or(0);
        assert_eq!(kept, 3, "the first release, the one at 300, and the latest");
    }

    #[test]
    fn without_commit_points_a_held_epoch_does_not_pile_up_releases() {
        // An in-memory run: its sink reports what it dropped, and never asks for a point.
        let progress = WindowCommits::new(1, 1);
        progress.windows_exist();
        for watermark in 1..=1_000 {
            progress.released(0, 3, 2 + watermark as Epoch, watermark);
            progress.written(0, 0, watermark);
            progress.committed(0, 3);
        }
        let kept = progress.releases.lock().map(|r| r[0].len()).unwrap_or(0);
        assert!(kept <= 2, "{kept} releases kept");
    }

    #[test]
    fn a_worker_without_a_release_at_or_past_the_point_blocks_it() {
        let progress = WindowCommits::new(2, 1);
        progress.windows_exist();
        progress.released(0, 3, 2, 200);
        progress.written(0, 0, 200);
        assert_eq!(progress.commit_point(3), (0, None));
    }

    #[test]
    fn every_output_of_a_worker_must_have_written_the_watermark() {
        let progress = WindowCommits::new(1, 2);
        progress.windows_exist();
        progress.released(0, 3, 2, i64::MIN);
        progress.released(0, 3, 4, 60_000);
        progress.written(0, 0, 60_000);
        assert_eq!(
            progress.commit_point(3),
            (3, None),
            "output 1 wrote nothing"
        );
        progress.written(0, 1, 60_000);
        assert_eq!(progress.commit_point(3), (3, Some(mark(60_000, 4))));
    }

    #[test]
    fn an_output_without_windows_upstream_does_not_hold_commit_points_back() {
        let progress = WindowCommits::new(1, 2);
        progress.windows_exist();
        progress.released(0, 3, 2, i64::MIN);
        progress.released(0, 3, 4, 60_000);
        progress.without_windows(0, 0);
        progress.written(0, 1, 60_000);
        assert_eq!(progress.commit_point(3), (3, Some(mark(60_000, 4))));
    }

    #[test]
    fn processes_that_exchange_their_facts_reach_the_commit_point_of_one_process() {
        let alone = WindowCommits::new(2, 1);
        let processes = [
            WindowCommits::for_cluster(2, 1),
            WindowCommits::for_cluster(2, 1),
        ];
        let exchange = || {
            let sent: Vec<Vec<CommitFact>> = processes.iter().map(|p| p.take_unsent()).collect();
            for (from, facts) in sent.into_iter().enumerate() {
                for fact in facts {
                    processes[1 - from].apply_from_another_process(fact);
                }
            }
        };
        for commits in [&alone, &processes[0]] {
            commits.windows_exist();
            commits.released(0, 4, 5, 500);
            commits.written(0, 0, 500);
        }
        for commits in [&alone, &processes[1]] {
            commits.released(1, 4, 5, 500);
        }
        assert_eq!(
            processes[0].commit_point(4),
            (0, None),
            "nothing heard from worker 1"
        );
        exchange();
        assert_eq!(
            processes[1].commit_point(4),
            (0, None),
            "worker 1 wrote nothing"
        );
        for commits in [&alone, &processes[1]] {
            commits.written(1, 0, 500);
        }
        exchange();
        let expected = (4, Some(mark(500, 5)));
        assert_eq!(alone.commit_point(4), expected);
        assert_eq!(processes[0].commit_point(4), expected);
        assert_eq!(processes[1].commit_point(4), expected);
        assert!(
            processes[0].take_unsent().is_empty(),
            "every fact is sent once"
        );
    }
}
