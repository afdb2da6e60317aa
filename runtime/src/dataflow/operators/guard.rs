//! Panic isolation for the operators that run user closures: a closure that panics on a record
//! makes that record a dead letter of kind `panic` and the operator goes on with the next one,
//! so a bad record cannot put a job into a crash loop (crash, restart, read it again, crash).
//!
//! Cost: one `catch_unwind` per batch of records, not per record. Unwinding is zero-cost until a
//! panic happens; the loop only notes the origin of the record in hand (a 24-byte copy) so that
//! after a panic it knows which record failed and resumes with the one after it.
//!
//! The panic hook: a caught panic is not printed by the process's hook (the default one writes
//! two lines to stderr for every panic, outside the job's log format and filters). Instead the
//! hook notes where the panic happened, the dead letter keeps that and the message, and the job
//! logs it through `tracing`. Panics outside these guarded calls go to the hook that was
//! installed before, unchanged; the hook is installed once per process, on first use.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::dataflow::item::{Item, Origin};
use crate::dataflow::worker::WorkerShared;
use crate::dead_letter::{DeadLetter, DeadLetterKind};
use crate::run::report::Metrics;

/// A user closure panicked on the record from `origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Panicked {
    pub origin: Origin,
    pub panic: Caught,
}

/// A caught panic: where it happened and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caught {
    /// `src/main.rs:12:9`, when the panic hook saw it.
    pub location: Option<String>,
    pub text: String,
}

impl std::fmt::Display for Caught {
    /// `panicked at src/main.rs:12:9: id 7 is not valid`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.location {
            Some(location) => write!(f, "panicked at {location}: {}", self.text),
            None => write!(f, "panicked: {}", self.text),
        }
    }
}

thread_local! {
    /// How many guarded calls this thread is inside.
    static GUARDED: Cell<u32> = const { Cell::new(0) };
    /// Where the last panic inside a guarded call happened, noted by the hook.
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Runs `each` on every item, isolating panics: when `each` panics on a record, the record is
/// reported in the result and the loop goes on with the next item. A panic on a watermark is
/// sluice's own bug, not a record's, and is not caught.
pub(crate) fn each_item<T>(
    items: impl Iterator<Item = Item<T>>,
    mut each: impl FnMut(Item<T>),
) -> Vec<Panicked> {
    let mut items = items;
    let mut panics = Vec::new();
    let mut at: Option<Origin> = None;
    loop {
        let run = guarded(|| {
            for item in items.by_ref() {
                at = match &item {
                    Item::Record(origin, _) => Some(*origin),
                    Item::Watermark(_) => None,
                };
                each(item);
            }
        });
        match run {
            Ok(()) => return panics,
            Err((payload, location)) => match at.take() {
                Some(origin) => panics.push(Panicked {
                    origin,
                    panic: caught(&*payload, location),
                }),
                None => {
                    tracing::error!("{}", caught(&*payload, location));
                    panic::resume_unwind(payload)
                }
            },
        }
    }
}

/// Calls `f` once, its panic turned into text.
pub(crate) fn call<R>(f: impl FnOnce() -> R) -> Result<R, Caught> {
    guarded(f).map_err(|(payload, location)| caught(&*payload, location))
}

type Payload = Box<dyn Any + Send + 'static>;

fn guarded<R>(f: impl FnOnce() -> R) -> Result<R, (Payload, Option<String>)> {
    HOOK.call_once(install_hook);
    LOCATION.with(|l| l.borrow_mut().take());
    GUARDED.with(|g| g.set(g.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(g.get().saturating_sub(1)));
    result.map_err(|payload| (payload, LOCATION.with(|l| l.borrow_mut().take())))
}

fn install_hook() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if GUARDED.with(Cell::get) > 0 {
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            LOCATION.with(|l| *l.borrow_mut() = location);
        } else {
            previous(info);
        }
    }));
}

fn caught(payload: &(dyn Any + Send), location: Option<String>) -> Caught {
    Caught {
        location,
        text: panic_text(payload),
    }
}

/// What a panic said.
pub(crate) fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic whose payload is not text".to_owned()
    }
}

/// Caught panics are logged at `warn` up to this many per process, then at `debug`: every one
/// is in the dead-letter table anyway.
const LOGGED_AT_WARN: u64 = 100;
static LOGGED: AtomicU64 = AtomicU64::new(0);

/// Files each record a closure of `operator` panicked on as a dead letter.
pub(crate) fn dead_letter_panics(worker: &WorkerShared, operator: &str, panics: Vec<Panicked>) {
    if panics.is_empty() {
        return;
    }
    Metrics::add(&worker.control.metrics.dead_lettered, panics.len() as u64);
    let mut ledger = worker.ledger.borrow_mut();
    for Panicked { origin, panic } in panics {
        let message = format!("`{operator}` {panic}");
        log(&worker.topic, &origin, &message);
        let letter = DeadLetter::of_record(&worker.topic, origin, DeadLetterKind::Panic, message);
        ledger.reject(letter);
    }
}

/// Files a dead letter of kind `panic` for a window that could not be turned into a record,
/// under `origin`, a record of that window.
pub(crate) fn dead_letter_window(worker: &WorkerShared, origin: Origin, message: String) {
    Metrics::add(&worker.control.metrics.dead_lettered, 1);
    log(&worker.topic, &origin, &message);
    let letter = DeadLetter::of_record(&worker.topic, origin, DeadLetterKind::Panic, message);
    worker.ledger.borrow_mut().reject(letter);
}

fn log(topic: &str, origin: &Origin, message: &str) {
    let (partition, offset) = (origin.partition, origin.offset);
    match LOGGED.fetch_add(1, Ordering::Relaxed) {
        n if n < LOGGED_AT_WARN => {
            tracing::warn!(topic, partition, offset, "dead letter (panic): {message}")
        }
        LOGGED_AT_WARN => tracing::warn!(
            "{LOGGED_AT_WARN} panics logged: later ones only at debug level and in the \
             dead-letter table"
        ),
        _ => tracing::debug!(topic, partition, offset, "dead letter (panic): {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(offset: i64, value: i64) -> Item<i64> {
        Item::Record(Origin::read(0, offset, 0), value)
    }

    #[test]
    fn a_panic_skips_its_record_and_the_loop_goes_on() {
        let items = vec![record(0, 1), record(1, -1), record(2, 2), record(3, -2)];
        let mut seen = Vec::new();
        let panics = each_item(items.into_iter(), |item| {
            if let Item::Record(_, v) = item {
                assert!(v >= 0, "negative value {v}");
                seen.push(v);
            }
        });
        assert_eq!(seen, vec![1, 2]);
        let offsets: Vec<i64> = panics.iter().map(|p| p.origin.offset).collect();
        assert_eq!(offsets, vec![1, 3]);
        assert_eq!(panics[0].panic.text, "negative value -1");
        let location = panics[0].panic.location.as_deref().unwrap_or_default();
        assert!(
            location.starts_with("runtime/src/dataflow/operators/guard.rs:"),
            "{location}"
        );
    }

    #[test]
    fn payloads_that_are_not_text_are_named() {
        let caught = call(|| std::panic::panic_any(42u8)).expect_err("panics");
        assert_eq!(caught.text, "a panic whose payload is not text");
        assert_eq!(
            call(|| panic!("boom {}", 1)).map_err(|c| c.text),
            Err("boom 1".to_owned())
        );
        assert_eq!(call(|| 7), Ok(7));
    }
}
