//! Watching the dead letters of a run, as Kafka Connect's `errors.tolerance` does: a warning
//! line while they accumulate, and a stop once their share of the input passes a ceiling.

use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::run::report::Metrics;

/// At most one warning line per this long while dead letters keep coming.
const WARN_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub(crate) struct DeadLetterWatch {
    max_ratio: Option<f64>,
    /// Where the dead letters are, for the warning: a query, or that they are only logged.
    where_to_look: &'static str,
    /// Messages consumed before the ratio is enforced: the first bad message of a run is not
    /// a rate.
    grace: u64,
    warned: Mutex<Warned>,
}

#[derive(Debug, Default)]
struct Warned {
    at: Option<Instant>,
    dead_letters: u64,
}

impl DeadLetterWatch {
    /// A watch over dead letters stored in `sluice_dead_letters` (`stored`) or only logged.
    pub fn new(max_ratio: Option<f64>, grace: u64, stored: bool) -> Self {
        DeadLetterWatch {
            max_ratio,
            where_to_look: if stored {
                "see `SELECT kind, COUNT(*) FROM sluice_dead_letters GROUP BY kind`"
            } else {
                "each is logged, none is stored (no output stores them)"
            },
            grace,
            warned: Mutex::new(Warned::default()),
        }
    }

    /// Logs a warning when dead letters came since the last one (at most every 30 s), and
    /// fails when their share of what was consumed is past the ceiling.
    pub fn check(&self, metrics: &Metrics) -> Result<(), Error> {
        let dead_letters = metrics.dead_lettered.load(Ordering::Relaxed);
        let consumed = metrics.consumed.load(Ordering::Relaxed);
        if dead_letters == 0 {
            return Ok(());
        }
        let ratio = dead_letters as f64 / consumed.max(1) as f64;
        if let Some(max) = self.max_ratio
            && consumed >= self.grace
            && ratio > max
        {
            return Err(Error::DeadLetters {
                dead_letters,
                consumed,
                max_ratio: max,
            });
        }
        if let Ok(mut warned) = self.warned.lock()
            && dead_letters > warned.dead_letters
            && warned.at.is_none_or(|at| at.elapsed() >= WARN_EVERY)
        {
            tracing::warn!(
                "{dead_letters} dead letters so far ({:.2}% of {consumed} messages consumed): {}",
                ratio * 100.0,
                self.where_to_look
            );
            *warned = Warned {
                at: Some(Instant::now()),
                dead_letters,
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(consumed: u64, dead: u64) -> Metrics {
        let metrics = Metrics::default();
        Metrics::add(&metrics.consumed, consumed);
        Metrics::add(&metrics.dead_lettered, dead);
        metrics
    }

    #[test]
    fn the_ceiling_applies_after_the_grace_and_only_above_the_ratio() {
        let watch = DeadLetterWatch::new(Some(0.01), 1_000, true);
        assert!(watch.check(&metrics(999, 500)).is_ok());
        assert!(watch.check(&metrics(1_000, 10)).is_ok());
        assert!(matches!(
            watch.check(&metrics(1_000, 11)),
            Err(Error::DeadLetters {
                dead_letters: 11,
                consumed: 1_000,
                ..
            })
        ));
        assert!(
            DeadLetterWatch::new(None, 0, true)
                .check(&metrics(10, 10))
                .is_ok()
        );
    }
}
