//! The window operator behind `summarize`, `aggregate` and `reduce`.

use std::collections::BTreeMap;
use std::rc::Rc;

use chrono::SecondsFormat;
use serde::Serialize;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::operators::generic::Operator;

use super::epoch_stash::{Stash, stash_by_epoch};
use super::guard;
use super::keyed::{Exchanged, Key, KeyedStream, WindowedStream, exchange};
use super::window_book::{Fold, Placed, WindowBook};
use super::window_spec::Window;
use crate::dataflow::item::{Item, Origin, Watermark, Watermarks};
use crate::dataflow::stream::Stream;
use crate::dead_letter::{DeadLetter, DeadLetterKind};
use crate::delivery::{Epoch, complete_before};
use crate::run::report::Metrics;

/// The window operator: routes records by key, applies each epoch's records and then its
/// watermarks once the epoch is complete, emits fired windows in that epoch, and holds a
/// capability for the oldest epoch an open window still holds records of.
pub(super) fn window_operator<'scope, K, T, A, R>(
    windowed: WindowedStream<'scope, K, T>,
    mut fold: Fold<T, A>,
    name: &'static str,
    mut emit: impl FnMut(&K, &Window, &A) -> Result<R, String> + 'static,
) -> Stream<'scope, R>
where
    K: Key,
    T: Exchanged,
    A: 'static,
    R: 'static,
{
    let WindowedStream { keyed, spec } = windowed;
    let described = spec.describe();
    let KeyedStream {
        inner,
        shared,
        lineage,
    } = keyed;
    if lineage.deletes {
        shared.control.fail(crate::error::Error::Config(
            super::DELETES_REFUSED.to_owned(),
        ));
    }
    if !shared.has_event_time {
        shared.control.fail(crate::error::Error::Config(
            "windows group records by event time, and the source's message has none: mark a \
             field #[message(event_time)]"
                .into(),
        ));
    }
    if !shared.input_replays_in_order {
        shared
            .control
            .fail(crate::error::Error::Config(super::REPLAY_NEEDED.to_owned()));
    }
    if lineage.windowed || shared.has_window.replace(true) {
        // The commit points follow one window operator's releases per worker.
        shared.control.fail(crate::error::Error::Config(
            "a pipeline has at most one window for now: aggregate once, then map the rows".into(),
        ));
    }
    let worker = Rc::clone(&shared);
    let source = u32::try_from(shared.index).unwrap_or(u32::MAX);
    let inner = inner.unary_frontier::<CapacityContainerBuilder<Vec<Item<R>>>, _, _, _>(
        exchange(),
        name,
        move |initial, _info| {
            let mut held = Some(initial);
            let mut stash: Stash<(K, T)> = BTreeMap::new();
            let mut book: WindowBook<K, A> = WindowBook::new(spec);
            let restored = worker.restored_watermark;
            book.resume_at(restored);
            // The last epoch whose completion was applied: fired windows went out at or before.
            let mut applied: Epoch = 0;
            worker.control.window_commits.windows_exist();
            let mut marks = Watermarks::new(worker.peers);
            let mut forwarded = i64::MIN;
            // The watermark of the last release reported to the commit points.
            let mut reported = i64::MIN;
            move |(input, frontier), output| {
                stash_by_epoch(input, &mut stash);
                let Some(cap) = held.as_mut() else {
                    stash.clear();
                    return;
                };
                let complete = complete_before(frontier.frontier());
                let shutdown = worker.control.shutdown_requested();
                let ready: Vec<Epoch> = stash.range(..complete).map(|(e, _)| *e).collect();
                let mut out = Vec::new();
                for epoch in ready {
                    applied = applied.max(epoch);
                    let (mut aggregated, mut rejected, mut replayed) = (0, 0, 0);
                    let batches = stash.remove(&epoch).unwrap_or_default();
                    let items = batches.into_iter().flatten();
                    let panics = guard::each_item(items, |item| match item {
                        Item::Record(origin, (key, record)) => {
                            let letter = match book.insert(key, origin, epoch, record, &mut fold) {
                                Placed::Added => {
                                    aggregated += 1;
                                    return;
                                }
                                Placed::Unwindowable(why) => DeadLetter::of_record(
                                    &worker.topic,
                                    origin,
                                    DeadLetterKind::EventTime,
                                    why.to_string(),
                                ),
                                Placed::Late
                                    if book.expired_at(origin.event_time, restored)
                                        && worker.read_before(&origin) =>
                                {
                                    // Read again after a restart: its window was written.
                                    replayed += 1;
                                    return;
                                }
                                Placed::Late => {
                                    late_letter(&worker.topic, origin, book.watermark())
                                }
                            };
                            rejected += 1;
                            worker.ledger.borrow_mut().reject(letter);
                        }
                        Item::Watermark(w) => marks.update(w),
                    });
                    guard::dead_letter_panics(&worker, name, panics);
                    Metrics::add(&worker.control.metrics.aggregated, aggregated);
                    Metrics::add(&worker.control.metrics.dead_lettered, rejected);
                    Metrics::add(&worker.control.metrics.replayed, replayed);
                    let reached = if complete == Epoch::MAX && stash.is_empty() && !shutdown {
                        i64::MAX
                    } else {
                        marks.merged()
                    };
                    let mut unwritten = Vec::new();
                    book.advance(reached, |key, fired| {
                        let window = Window::from_millis(fired.start, fired.end);
                        let why = match guard::call(|| emit(key, &window, fired.acc)) {
                            Ok(Ok(row)) => {
                                out.push(Item::Record(Origin::derived(fired.end - 1), row));
                                return;
                            }
                            Ok(Err(why)) => why,
                            Err(panic) => format!("`{name}` {panic}"),
                        };
                        let message = format!("{why}; {} is not written", describe(&window, key));
                        unwritten.push((fired.origin, message));
                    });
                    for (origin, message) in unwritten {
                        guard::dead_letter_window(&worker, origin, message);
                    }
                    if book.watermark() > forwarded {
                        forwarded = book.watermark();
                        out.push(Item::Watermark(Watermark {
                            source,
                            to: source,
                            millis: forwarded,
                        }));
                    }
                    // At the held capability, not this epoch: the sink's frontier then cannot
                    // pass the oldest input of a window before its row is written.
                    if !out.is_empty() {
                        output.session(cap).give_iterator(out.drain(..));
                    }
                }
                if complete == Epoch::MAX && shutdown {
                    // Open windows are dropped unwritten; their input is read again next run.
                    if let Some(oldest) = book.oldest_epoch() {
                        worker.control.hold_commits_from(oldest);
                    }
                    worker.control.window_commits.released(
                        worker.index,
                        Epoch::MAX,
                        applied,
                        book.watermark(),
                    );
                    held = None;
                    return;
                }

                let mut floor = complete;
                if let Some(first) = stash.keys().next() {
                    floor = floor.min(*first);
                }
                if let Some(oldest) = book.oldest_epoch() {
                    floor = floor.min(oldest);
                }
                if floor == Epoch::MAX {
                    // The input ended: its windows fired at an end of event time that the
                    // next run's input does not share, so no watermark is released for it.
                    held = None;
                } else if floor > *cap.time() || book.watermark() > reported {
                    // Also when only the watermark moved: an open window may hold the epoch
                    // that the fired windows' records came in (a burst read in one epoch), and
                    // the fired windows' watermark must still reach the commits.
                    reported = book.watermark();
                    worker
                        .control
                        .window_commits
                        .released(worker.index, floor, applied, reported);
                    cap.downgrade(&floor);
                }
            }
        },
    );
    let lineage = shared.step(lineage, || format!("{described} window, {name}"));
    Stream::new(inner, shared, lineage.windowed())
}

fn late_letter(topic: &str, origin: Origin, watermark: i64) -> DeadLetter {
    let message = format!(
        "late: event time {} ms is behind the watermark {} ms and its window has closed",
        origin.event_time, watermark
    );
    DeadLetter::of_record(topic, origin, DeadLetterKind::Late, message)
}

/// `the window [2026-01-01T00:00:00.000Z, 2026-01-01T00:01:00.000Z) of key 42`, the key as
/// JSON.
fn describe<K: Serialize>(window: &Window, key: &K) -> String {
    let at = |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let key = serde_json::to_string(key).unwrap_or_else(|e| format!("(not shown: {e})"));
    format!(
        "the window [{}, {}) of key {key}",
        at(&window.start),
        at(&window.end)
    )
}
