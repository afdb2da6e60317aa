//! State shared by every worker of one run: counters, the stop and shutdown requests, how far
//! offsets may be committed, the first fatal error.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::delivery::Epoch;
use crate::delivery::WindowCommits;
use crate::error::Error;
use crate::run::dead_letter_watch::DeadLetterWatch;
use crate::run::report::Metrics;

#[derive(Debug)]
pub(crate) struct RunControl {
    pub metrics: Metrics,
    /// Warns while dead letters accumulate; stops the run past the ratio.
    pub dead_letters: DeadLetterWatch,
    /// Where the window operators of all workers stand, for the sinks' commits.
    pub window_commits: WindowCommits,
    /// The input ends here: flush everything, windows included.
    stop: AtomicBool,
    /// Stop early (a signal): keep only what is complete; open windows are read again by the
    /// next run. An `Arc` so that a signal handler can set it.
    shutdown: Arc<AtomicBool>,
    /// Offsets of this epoch and later must not be committed: records of those epochs sit
    /// in windows a shutdown discarded.
    commit_horizon: AtomicU64,
    failed: AtomicBool,
    error: Mutex<Option<Error>>,
    /// Messages left before `--limit` is reached; `None` without a limit, so that an
    /// unlimited run does no shared atomic update per message.
    budget: Option<AtomicU64>,
}

impl RunControl {
    /// The control of a run whose commit points are `window_commits`.
    pub fn new(
        limit: Option<u64>,
        window_commits: WindowCommits,
        dead_letters: DeadLetterWatch,
    ) -> Self {
        RunControl {
            metrics: Metrics::default(),
            dead_letters,
            window_commits,
            stop: AtomicBool::new(false),
            shutdown: Arc::new(AtomicBool::new(false)),
            commit_horizon: AtomicU64::new(Epoch::MAX),
            failed: AtomicBool::new(false),
            error: Mutex::new(None),
            budget: limit.map(AtomicU64::new),
        }
    }

    /// The flag a signal handler sets to ask for a graceful shutdown.
    pub fn shutdown_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.shutdown)
    }

    /// Asks for a graceful shutdown, as a signal does.
    pub fn request_shutdown(&self) {
        self.shutdown.store(true, Ordering::Relaxed);
    }

    /// Whether the run was asked to stop early: sources finish without declaring the end of
    /// event time, so open windows are not emitted.
    pub fn shutdown_requested(&self) -> bool {
        self.shutdown.load(Ordering::Relaxed)
    }

    /// No offsets of `epoch` or later may be committed in this run.
    pub fn hold_commits_from(&self, epoch: Epoch) {
        self.commit_horizon.fetch_min(epoch, Ordering::AcqRel);
    }

    /// The first epoch whose offsets must stay uncommitted; `Epoch::MAX` when there is none.
    pub fn commit_horizon(&self) -> Epoch {
        self.commit_horizon.load(Ordering::Acquire)
    }

    /// Asks sources to close their current epoch and finish.
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Whether sources should close their current epoch and finish, for either reason.
    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.shutdown_requested()
    }

    /// Takes one message from the `--limit` budget; `false` once it is spent. Taking the
    /// last one asks the sources to stop, so a run ends without waiting for one more message.
    #[inline]
    pub fn take_one(&self) -> bool {
        self.budget.as_ref().is_none_or(|budget| {
            match budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(1)
            }) {
                Ok(1) => {
                    self.request_stop();
                    true
                }
                Ok(_) => true,
                Err(_) => false,
            }
        })
    }

    /// Records the first fatal error; every worker stops at its next step.
    pub fn fail(&self, error: Error) {
        tracing::error!("{error}");
        if let Ok(mut slot) = self.error.lock() {
            slot.get_or_insert(error);
        }
        self.failed.store(true, Ordering::Release);
    }

    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// The first fatal error's text, which stays for [`RunControl::take_error`].
    pub fn error_text(&self) -> Option<String> {
        self.error
            .lock()
            .ok()
            .and_then(|slot| slot.as_ref().map(ToString::to_string))
    }

    pub fn take_error(&self) -> Option<Error> {
        self.error.lock().ok().and_then(|mut slot| slot.take())
    }
}
