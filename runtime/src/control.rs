//! State shared by every worker of one run: counters, the stop request, the first fatal error.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::Error;
use crate::report::Metrics;

#[derive(Debug, Default)]
pub(crate) struct RunControl {
    pub metrics: Metrics,
    stop: AtomicBool,
    failed: AtomicBool,
    error: Mutex<Option<Error>>,
    /// Messages left before `--limit` is reached; `None` without a limit, so that an
    /// unlimited run does no shared atomic update per message.
    budget: Option<AtomicU64>,
}

impl RunControl {
    pub fn new(limit: Option<u64>) -> Self {
        RunControl {
            budget: limit.map(AtomicU64::new),
            ..RunControl::default()
        }
    }

    /// Asks sources to close their current epoch and finish.
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
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

    pub fn take_error(&self) -> Option<Error> {
        self.error.lock().ok().and_then(|mut slot| slot.take())
    }
}
