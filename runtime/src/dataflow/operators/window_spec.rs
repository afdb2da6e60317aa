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

/// The first and the last millisecond a `DateTime<Utc>` can hold (years -262143 to 262142).
pub(crate) const MIN_MILLIS: i64 = DateTime::<Utc>::MIN_UTC.timestamp_millis();
pub(crate) const MAX_MILLIS: i64 = DateTime::<Utc>::MAX_UTC.timestamp_millis();

/// A record's event time that no window can hold: the window would start or end outside the
/// dates a [`Window`] holds, or the message has no event time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unwindowable {
    pub ts: i64,
}

impl std::fmt::Display for Unwindowable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.ts == crate::dataflow::item::NO_EVENT_TIME {
            write!(
                f,
                "the message has no event time (null, or not a number of milliseconds an i64 \
                 holds): it cannot be windowed"
            )
        } else {
            write!(
                f,
                "event time {} ms cannot be windowed: its window would lie outside the dates \
                 from {MIN_MILLIS} to {MAX_MILLIS} ms (years -262143 to 262142)",
                self.ts
            )
        }
    }
}

/// The start of the `size`-long window, aligned on the Unix epoch, that holds `ts`.
#[inline]
fn aligned(ts: i64, size: i64) -> Result<i64, Unwindowable> {
    ts.checked_sub(ts.rem_euclid(size))
        .ok_or(Unwindowable { ts })
}

impl Window {
    /// Bounds that [`WindowSpec::assign`] gave: within the range of dates.
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

impl WindowSpec {
    /// As a person would say it: `tumbling 1m`, `sliding 10m every 1m`, `session gap 30s`.
    pub(crate) fn describe(&self) -> String {
        match self.kind {
            WindowKind::Tumbling { size } => format!("tumbling {}", shown(size)),
            WindowKind::Sliding { size, slide } => {
                format!("sliding {} every {}", shown(size), shown(slide))
            }
            WindowKind::Session { gap } => format!("session gap {}", shown(gap)),
        }
    }
}

/// Milliseconds in the largest unit that divides them.
fn shown(millis: i64) -> String {
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if millis % size == 0 {
            return format!("{}{unit}", millis / size);
        }
    }
    format!("{millis}ms")
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis())
        .unwrap_or(i64::MAX)
        .max(1)
}

impl WindowSpec {
    /// Keeps each window for `lateness` of event time after it closes: a record that arrives
    /// in that time updates the window's result (written again, as an upsert), a record later
    /// than that goes to the dead-letter table as `late`. A lateness that takes a window's end
    /// past the last millisecond an `i64` holds keeps the window until the end of event time
    /// (the end of a bounded run).
    pub fn allowed_lateness(mut self, lateness: Duration) -> Self {
        self.lateness = i64::try_from(lateness.as_millis()).unwrap_or(i64::MAX);
        self
    }

    /// The `[start, end)` bounds of each window a record at `ts` belongs to, in milliseconds.
    ///
    /// An error, before any call to `each`, when a window would lie outside the dates a
    /// [`Window`] can hold (`i64::MIN`, no event time, included). Checked arithmetic
    /// throughout: no overflow and no long loop, whatever `ts`, size and slide.
    #[inline]
    pub(crate) fn assign(
        &self,
        ts: i64,
        mut each: impl FnMut(i64, i64),
    ) -> Result<(), Unwindowable> {
        // A window holds its record, so no window of a record outside the range fits in it.
        if !(MIN_MILLIS..=MAX_MILLIS).contains(&ts) {
            return Err(Unwindowable { ts });
        }
        let window = |start: i64, length: i64| match start.checked_add(length) {
            Some(end) if start >= MIN_MILLIS && end <= MAX_MILLIS => Ok((start, end)),
            _ => Err(Unwindowable { ts }),
        };
        match self.kind {
            WindowKind::Tumbling { size } => {
                let (start, end) = window(aligned(ts, size)?, size)?;
                each(start, end);
            }
            WindowKind::Sliding { size, slide } => {
                // The windows start at `latest`, `latest - slide`, ... while after `ts - size`:
                // `count` of them. Both ends are checked before the first is given.
                let latest = aligned(ts, slide)?;
                let reach = size - (ts - latest);
                if reach <= 0 {
                    return Ok(()); // between two windows: in none
                }
                let count = (reach - 1) / slide + 1;
                let earliest = (count - 1)
                    .checked_mul(slide)
                    .and_then(|back| latest.checked_sub(back))
                    .ok_or(Unwindowable { ts })?;
                window(earliest, size)?;
                window(latest, size)?;
                // In range: `k * slide <= (count - 1) * slide`, checked above.
                for k in 0..count {
                    let start = latest - k * slide;
                    each(start, start + size);
                }
            }
            WindowKind::Session { gap } => {
                let (start, end) = window(ts, gap)?;
                each(start, end);
            }
        }
        Ok(())
    }

    pub(crate) fn is_tumbling(&self) -> bool {
        matches!(self.kind, WindowKind::Tumbling { .. })
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
