//! Counters of a run and the summary printed at its end.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counters shared by all workers of a run. Updated once per batch, not per message.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pub consumed: AtomicU64,
    pub aggregated: AtomicU64,
    pub dead_lettered: AtomicU64,
    pub filtered: AtomicU64,
    pub written: AtomicU64,
    pub transactions: AtomicU64,
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        if n > 0 {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }

    pub fn report(&self, elapsed: Duration) -> RunReport {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        RunReport {
            consumed: get(&self.consumed),
            aggregated: get(&self.aggregated),
            dead_lettered: get(&self.dead_lettered),
            filtered: get(&self.filtered),
            written: get(&self.written),
            transactions: get(&self.transactions),
            elapsed,
        }
    }
}

/// What a finished run did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunReport {
    /// Messages read from the source.
    pub consumed: u64,
    /// Records folded into windows (each becomes part of a window's row, not a row).
    pub aggregated: u64,
    /// Records that went to `sluice_dead_letters` instead of the pipeline: undecodable,
    /// a value its column cannot hold, or late for its window.
    pub dead_lettered: u64,
    /// Records dropped by `filter`.
    pub filtered: u64,
    /// Rows written to the sink table.
    pub written: u64,
    /// Transactions committed by the sink.
    pub transactions: u64,
    /// From the start of `run` to the last commit.
    pub elapsed: Duration,
}

impl RunReport {
    /// One line: the counters, the duration and the row rate.
    pub fn summary(&self) -> String {
        let secs = self.elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            self.written as f64 / secs
        } else {
            0.0
        };
        format!(
            "consumed {} messages, wrote {} rows in {} transactions, {} aggregated, {} dead-lettered, {} filtered; {:.2} s, {:.0} rows/s",
            self.consumed,
            self.written,
            self.transactions,
            self.aggregated,
            self.dead_lettered,
            self.filtered,
            secs,
            rate
        )
    }
}
