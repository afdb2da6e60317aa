//! Counters of a run and the summary printed at its end.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Counters shared by all workers of a run. Updated once per batch, not per message.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pub consumed: AtomicU64,
    pub aggregated: AtomicU64,
    pub dead_lettered: AtomicU64,
    pub filtered: AtomicU64,
    pub replayed: AtomicU64,
    pub tombstones: AtomicU64,
    pub written: AtomicU64,
    pub window_rows: AtomicU64,
    pub expanded: AtomicU64,
    pub transactions: AtomicU64,
    pub consumer_errors: AtomicU64,
    pub retries: AtomicU64,
    pub lookup_hits: AtomicU64,
    pub lookup_keys_queried: AtomicU64,
    pub lookup_queries: AtomicU64,
    /// The watermark stored with the last commit that stored one.
    pub watermark: WatermarkGauge,
    /// The last epoch a sink made durable.
    pub committed_epoch: AtomicU64,
    /// Messages each partition holds beyond what its source has read, as its consumer last
    /// reported.
    pub lag: PartitionLag,
}

/// A watermark as a process-wide gauge; `i64::MIN` until one is stored.
#[derive(Debug)]
pub(crate) struct WatermarkGauge(AtomicI64);

impl Default for WatermarkGauge {
    fn default() -> Self {
        WatermarkGauge(AtomicI64::new(i64::MIN))
    }
}

impl WatermarkGauge {
    pub fn advance(&self, millis: i64) {
        self.0.fetch_max(millis, Ordering::Relaxed);
    }

    pub fn get(&self) -> Option<i64> {
        Some(self.0.load(Ordering::Relaxed)).filter(|m| *m != i64::MIN)
    }
}

/// The lag of every partition read, by topic and partition.
#[derive(Debug, Default)]
pub(crate) struct PartitionLag(Mutex<BTreeMap<(String, i32), i64>>);

impl PartitionLag {
    pub fn set(&self, topic: &str, partition: i32, lag: i64) {
        if let Ok(mut lags) = self.0.lock() {
            match lags.get_mut(&(topic.to_owned(), partition)) {
                Some(known) => *known = lag,
                None => {
                    lags.insert((topic.to_owned(), partition), lag);
                }
            }
        }
    }

    /// Every partition's lag, in order.
    pub fn snapshot(&self) -> Vec<((String, i32), i64)> {
        self.0
            .lock()
            .map(|lags| lags.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default()
    }
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
            replayed: get(&self.replayed),
            tombstones: get(&self.tombstones),
            written: get(&self.written),
            window_rows: get(&self.window_rows),
            expanded: get(&self.expanded),
            transactions: get(&self.transactions),
            consumer_errors: get(&self.consumer_errors),
            retries: get(&self.retries),
            lookup_hits: get(&self.lookup_hits),
            lookup_keys_queried: get(&self.lookup_keys_queried),
            lookup_queries: get(&self.lookup_queries),
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
    /// Records read again after a restart whose windows an earlier run had already written.
    pub replayed: u64,
    /// Tombstones of a change stream (the key without a payload, after each delete event),
    /// read and skipped.
    pub tombstones: u64,
    /// Rows written to the sink table.
    pub written: u64,
    /// Of `written`, the rows windows produced (each from many records).
    pub window_rows: u64,
    /// Extra records `flat_map` made (a message that became three records adds two), and
    /// records copied by `clone()` for another output.
    pub expanded: u64,
    /// Transactions committed by the sink.
    pub transactions: u64,
    /// Errors the Kafka consumer reported instead of a message (retried, or fatal to the run).
    pub consumer_errors: u64,
    /// Transactions the sink wrote again after a transient failure or a statement too large
    /// for the server's `max_allowed_packet`.
    pub retries: u64,
    /// Records a lookup paired from its cache, without a query.
    pub lookup_hits: u64,
    /// Keys lookups read from their tables, and in how many queries.
    pub lookup_keys_queried: u64,
    pub lookup_queries: u64,
    /// From the start of `run` to the last commit.
    pub elapsed: Duration,
}

impl RunReport {
    /// Records that became one row each (not through a window).
    pub fn written_records(&self) -> u64 {
        self.written.saturating_sub(self.window_rows)
    }

    /// Whether every message read is accounted for, exactly once:
    /// consumed (+ records `flat_map` added) = rows written from records + aggregated +
    /// filtered + dead-lettered + replayed + tombstones skipped.
    pub fn reconciles(&self) -> bool {
        self.consumed + self.expanded
            == self.written_records()
                + self.aggregated
                + self.filtered
                + self.dead_lettered
                + self.replayed
                + self.tombstones
    }

    /// Two lines: the counters with how they reconcile, then the duration and the row rate.
    pub fn summary(&self) -> String {
        let secs = self.elapsed.as_secs_f64();
        let rate = if secs > 0.0 {
            self.written as f64 / secs
        } else {
            0.0
        };
        let expanded = if self.expanded > 0 {
            format!(" + {} added by flat_map or copied", self.expanded)
        } else {
            String::new()
        };
        let mut troubles = String::new();
        if self.consumer_errors > 0 {
            troubles += &format!("; {} consumer errors", self.consumer_errors);
        }
        if self.retries > 0 {
            troubles += &format!("; {} retried", self.retries);
        }
        let looked_up = self.lookup_hits + self.lookup_keys_queried;
        if looked_up > 0 {
            troubles += &format!(
                "; lookups: {} cache hits ({:.1}%), {} keys read in {} queries",
                self.lookup_hits,
                100.0 * self.lookup_hits as f64 / looked_up as f64,
                self.lookup_keys_queried,
                self.lookup_queries
            );
        }
        let tombstones = if self.tombstones > 0 {
            format!(" + {} tombstones skipped", self.tombstones)
        } else {
            String::new()
        };
        let verdict = if self.reconciles() {
            "reconciled"
        } else {
            "DO NOT RECONCILE"
        };
        format!(
            "consumed {}{expanded} = {} written + {} aggregated + {} filtered + {} dead-lettered + {} replayed{tombstones} ({verdict})\n\
             wrote {} rows ({} from windows) in {} transactions{troubles}; {:.2} s, {:.0} rows/s",
            self.consumed,
            self.written_records(),
            self.aggregated,
            self.filtered,
            self.dead_lettered,
            self.replayed,
            self.written,
            self.window_rows,
            self.transactions,
            secs,
            rate
        )
    }
}
