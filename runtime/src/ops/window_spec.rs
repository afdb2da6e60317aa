//! How records are grouped into windows of event time.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// A window of event time, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Window {
    /// The first instant in the window.
    pub start: DateTime<Utc>,
    /// The first instant after it.
    pub end: DateTime<Utc>,
}

impl Window {
    pub(crate) fn from_millis(start: i64, end: i64) -> Self {
        let at = |millis| DateTime::from_timestamp_millis(millis).unwrap_or_default();
        Window {
            start: at(start),
            end: at(end),
        }
    }
}

/// Which windows a record belongs to, and how long a window waits for late records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpec {
    pub(crate) kind: WindowKind,
    pub(crate) lateness: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WindowKind {
    Tumbling { size: i64 },
    Sliding { size: i64, slide: i64 },
    Session { gap: i64 },
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis())
        .unwrap_or(i64::MAX)
        .max(1)
}

impl WindowSpec {
    /// Keeps each window for `lateness` of event time after it closes: a record that arrives
    /// in that time updates the window's result (written again, as an upsert), a record later
    /// than that goes to the dead-letter table as `late`.
    pub fn allowed_lateness(mut self, lateness: Duration) -> Self {
        self.lateness = i64::try_from(lateness.as_millis()).unwrap_or(i64::MAX);
        self
    }

    /// The `[start, end)` bounds of each window a record at `ts` belongs to, in milliseconds.
    pub(crate) fn assign(&self, ts: i64, mut each: impl FnMut(i64, i64)) {
        match self.kind {
            WindowKind::Tumbling { size } => {
                let start = ts.div_euclid(size) * size;
                each(start, start.saturating_add(size));
            }
            WindowKind::Sliding { size, slide } => {
                let mut start = ts.div_euclid(slide) * slide;
                while start > ts.saturating_sub(size) {
                    each(start, start.saturating_add(size));
                    start -= slide;
                }
            }
            WindowKind::Session { gap } => each(ts, ts.saturating_add(gap)),
        }
    }

    pub(crate) fn is_session(&self) -> bool {
        matches!(self.kind, WindowKind::Session { .. })
    }
}

/// Fixed-size windows that do not overlap: `Tumbling::minutes(1)`.
#[derive(Debug, Clone, Copy)]
pub struct Tumbling;

impl Tumbling {
    /// Windows of `size`, aligned on the Unix epoch.
    pub fn of(size: Duration) -> WindowSpec {
        WindowSpec {
            kind: WindowKind::Tumbling { size: millis(size) },
            lateness: 0,
        }
    }

    /// Windows of `n` seconds.
    pub fn seconds(n: u64) -> WindowSpec {
        Tumbling::of(Duration::from_secs(n))
    }

    /// Windows of `n` minutes.
    pub fn minutes(n: u64) -> WindowSpec {
        Tumbling::of(Duration::from_secs(n * 60))
    }

    /// Windows of `n` hours.
    pub fn hours(n: u64) -> WindowSpec {
        Tumbling::of(Duration::from_secs(n * 3600))
    }
}

/// Fixed-size windows that start every `slide`, so a record belongs to `size / slide` of them.
#[derive(Debug, Clone, Copy)]
pub struct Sliding;

impl Sliding {
    /// Windows of `size` starting every `slide`.
    pub fn of(size: Duration, slide: Duration) -> WindowSpec {
        WindowSpec {
            kind: WindowKind::Sliding {
                size: millis(size),
                slide: millis(slide),
            },
            lateness: 0,
        }
    }
}

/// Per-key windows of activity: a session ends after `gap` without records of its key.
#[derive(Debug, Clone, Copy)]
pub struct Session;

impl Session {
    /// Sessions separated by at least `gap` of event time.
    pub fn gap(gap: Duration) -> WindowSpec {
        WindowSpec {
            kind: WindowKind::Session { gap: millis(gap) },
            lateness: 0,
        }
    }
}
