//! Windows against a reference model: records arrive shuffled within the allowed delay, the
//! watermark trails the largest event time by that delay, and the windows emitted must be
//! exactly those the model computes from the sorted records. Records far behind the watermark
//! are late and appear in no window.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;

use super::window_book::{Fired, Fold, Placed, WindowBook};
use super::window_spec::{MAX_MILLIS, MIN_MILLIS, Session, Sliding, Tumbling, WindowSpec};
use crate::dataflow::item::{NO_EVENT_TIME, Origin};

/// A record: key, event time, value.
type Input = (u8, i64, i64);

/// A window as emitted: key, start, end, and its values sorted.
type Emitted = (u8, i64, i64, Vec<i64>);

const DELAY: i64 = 5_000;

/// The origin of a record at event time `ts`.
fn at(ts: i64) -> Origin {
    Origin::read(0, 0, ts)
}

fn fold() -> Fold<i64, Vec<i64>> {
    Fold {
        new: Box::new(Vec::new),
        add_shared: Box::new(|acc: &mut Vec<i64>, v: &i64| acc.push(*v)),
        add: Box::new(|acc: &mut Vec<i64>, v| acc.push(v)),
        merge: Box::new(|acc: &mut Vec<i64>, mut other| acc.append(&mut other)),
    }
}

/// Feeds `arrivals` (key, event time, value) one per epoch, advancing the watermark to the
/// largest event time seen minus `DELAY` after each; returns the windows and the late values.
fn run(spec: WindowSpec, arrivals: &[(u8, i64, i64)]) -> (Vec<Emitted>, Vec<i64>) {
    let mut book: WindowBook<u8, Vec<i64>> = WindowBook::new(spec);
    let mut fold = fold();
    let mut emitted = Vec::new();
    let mut late = Vec::new();
    let mut max_seen = i64::MIN;
    for (epoch, &(key, ts, value)) in arrivals.iter().enumerate() {
        match book.insert(key, at(ts), epoch as u64, value, &mut fold) {
            Placed::Added => {}
            Placed::Late => late.push(value),
            Placed::Unwindowable(why) => panic!("{why}"),
        }
        max_seen = max_seen.max(ts);
        book.advance(max_seen - DELAY, |k, fired| {
            let mut values = fired.acc.clone();
            values.sort_unstable();
            emitted.push((*k, fired.start, fired.end, values));
        });
    }
    book.advance(i64::MAX, |k, fired| {
        let mut values = fired.acc.clone();
        values.sort_unstable();
        emitted.push((*k, fired.start, fired.end, values));
    });
    assert_eq!(book.oldest_epoch(), None, "every window was released");
    emitted.sort();
    (emitted, late)
}

/// The reference: windows computed from all records at once.
fn model(spec: &Model, records: &[(u8, i64, i64)]) -> Vec<Emitted> {
    let mut windows: BTreeMap<(u8, i64, i64), Vec<i64>> = BTreeMap::new();
    match *spec {
        Model::Tumbling(size) => {
            for &(k, ts, v) in records {
                let start = ts.div_euclid(size) * size;
                windows.entry((k, start, start + size)).or_default().push(v);
            }
        }
        Model::Sliding(size, slide) => {
            for &(k, ts, v) in records {
                let mut start = ts.div_euclid(slide) * slide;
                while start > ts - size {
                    windows.entry((k, start, start + size)).or_default().push(v);
                    start -= slide;
                }
            }
        }
        Model::Session(gap) => {
            let mut by_key: BTreeMap<u8, Vec<(i64, i64)>> = BTreeMap::new();
            for &(k, ts, v) in records {
                by_key.entry(k).or_default().push((ts, v));
            }
            for (k, mut events) in by_key {
                events.sort_unstable();
                let mut current: Option<(i64, i64, Vec<i64>)> = None;
                for (ts, v) in events {
                    current = match current {
                        Some((start, last, mut values)) if ts < last + gap => {
                            values.push(v);
                            Some((start, last.max(ts), values))
                        }
                        other => {
                            if let Some((start, last, values)) = other {
                                windows.insert((k, start, last + gap), values);
                            }
                            Some((ts, ts, vec![v]))
                        }
                    };
                }
                if let Some((start, last, values)) = current {
                    windows.insert((k, start, last + gap), values);
                }
            }
        }
    }
    windows
        .into_iter()
        .map(|((k, s, e), mut values)| {
            values.sort_unstable();
            (k, s, e, values)
        })
        .collect()
}

#[derive(Debug, Clone, Copy)]
enum Model {
    Tumbling(i64),
    Sliding(i64, i64),
    Session(i64),
}

impl Model {
    fn spec(self) -> WindowSpec {
        let ms = |n: i64| Duration::from_millis(n as u64);
        match self {
            Model::Tumbling(size) => Tumbling::of(ms(size)),
            Model::Sliding(size, slide) => Sliding::of(ms(size), ms(slide)),
            Model::Session(gap) => Session::gap(ms(gap)),
        }
    }
}

fn models() -> impl Strategy<Value = Model> {
    prop_oneof![
        (1_000i64..20_000).prop_map(Model::Tumbling),
        (1i64..5, 500i64..5_000).prop_map(|(n, slide)| Model::Sliding(n * slide, slide)),
        (100i64..5_000).prop_map(Model::Session),
    ]
}

/// Records with increasing event times, then shuffled: each arrives at `ts + jitter` with a
/// jitter up to `DELAY`, so none is behind the watermark when it arrives.
/// The records in event-time order, and in arrival order.
fn arrivals() -> impl Strategy<Value = (Vec<Input>, Vec<Input>)> {
    prop::collection::vec((0u8..4, 0i64..3_000, 0i64..=DELAY), 1..200).prop_map(|steps| {
        let mut ts = 1_767_225_600_000i64;
        let mut records = Vec::new();
        let mut order = Vec::new();
        for (i, (key, step, jitter)) in steps.into_iter().enumerate() {
            ts += step;
            records.push((key, ts, i as i64));
            order.push((ts + jitter, i));
        }
        order.sort_unstable();
        let shuffled = order.iter().map(|&(_, i)| records[i]).collect();
        (records, shuffled)
    })
}

proptest! {
    #[test]
    fn windows_equal_the_model_whatever_the_arrival_order(
        model_spec in models(),
        (records, shuffled) in arrivals(),
    ) {
        let (emitted, late) = run(model_spec.spec(), &shuffled);
        prop_assert!(late.is_empty(), "nothing arrives behind the watermark: {late:?}");
        prop_assert_eq!(emitted, model(&model_spec, &records));
    }

    #[test]
    fn records_behind_closed_windows_are_late_and_in_no_window(
        model_spec in models(),
        (records, shuffled) in arrivals(),
        stragglers in prop::collection::vec(0u8..4, 1..5),
    ) {
        // After everything, records a day older than anything seen: their windows are gone.
        let mut all = shuffled.clone();
        let oldest = records.iter().map(|r| r.1).min().unwrap_or(0);
        let late_values: Vec<i64> = (0..stragglers.len() as i64).map(|i| 1_000_000 + i).collect();
        for (i, key) in stragglers.iter().enumerate() {
            all.push((*key, oldest - 86_400_000, late_values[i]));
        }
        // Push the watermark well past the last record first.
        let newest = records.iter().map(|r| r.1).max().unwrap_or(0);
        all.insert(shuffled.len(), (9, newest + 10 * DELAY + 86_400_000, -1));
        let (emitted, late) = run(model_spec.spec(), &all);
        prop_assert_eq!(&late, &late_values);
        for (_, _, _, values) in &emitted {
            prop_assert!(values.iter().all(|v| *v < 1_000_000));
        }
        let mut expected_input = records.clone();
        expected_input.push((9, newest + 10 * DELAY + 86_400_000, -1));
        prop_assert_eq!(emitted, model(&model_spec, &expected_input));
    }
}

#[test]
fn allowed_lateness_updates_a_fired_window_then_drops_it() {
    let spec = Tumbling::of(Duration::from_secs(10)).allowed_lateness(Duration::from_secs(5));
    let mut book: WindowBook<u8, Vec<i64>> = WindowBook::new(spec);
    let mut fold = fold();
    let mut fired = Vec::new();
    let mut emit = |_: &u8, f: Fired<'_, Vec<i64>>| fired.push((f.start, f.acc.len()));
    assert_eq!(book.insert(1, at(1_000), 0, 1, &mut fold), Placed::Added);
    book.advance(10_000, &mut emit);
    // Within the lateness: the window fires again with both records.
    assert_eq!(book.insert(1, at(2_000), 1, 2, &mut fold), Placed::Added);
    book.advance(12_000, &mut emit);
    assert_eq!(
        book.oldest_epoch(),
        Some(0),
        "held until the lateness has passed"
    );
    book.advance(15_000, &mut emit);
    assert_eq!(book.oldest_epoch(), None);
    // Beyond it: late.
    assert_eq!(book.insert(1, at(3_000), 2, 3, &mut fold), Placed::Late);
    assert_eq!(fired, vec![(0, 1), (0, 2)]);
}

/// The windows `spec` gives a record at `ts`, or `None` when it cannot be windowed.
fn windows_of(spec: WindowSpec, ts: i64) -> Option<Vec<(i64, i64)>> {
    let mut windows = Vec::new();
    let assigned = spec.assign(ts, |start, end| windows.push((start, end)));
    match assigned {
        Ok(()) => Some(windows),
        Err(why) => {
            assert_eq!(why.ts, ts);
            assert!(windows.is_empty(), "no window is given before the error");
            None
        }
    }
}

const MINUTE: Duration = Duration::from_secs(60);

#[test]
fn extreme_event_times_cannot_be_windowed_under_any_spec() {
    let specs = [
        Tumbling::of(MINUTE),
        Sliding::of(MINUTE, Duration::from_secs(10)),
        Session::gap(Duration::from_secs(30)),
    ];
    let extremes = [
        NO_EVENT_TIME,
        i64::MIN + 1,
        MIN_MILLIS - 1,
        MAX_MILLIS + 1,
        i64::MAX - 1,
        i64::MAX,
    ];
    for spec in specs {
        for ts in extremes {
            assert_eq!(windows_of(spec, ts), None, "{spec:?} at {ts}");
        }
    }
    // Windows too long for any date: every record, whatever its time.
    let endless = [
        Tumbling::of(Duration::MAX),
        Sliding::of(Duration::MAX, Duration::from_millis(1)),
        Sliding::of(Duration::MAX, Duration::MAX),
        Session::gap(Duration::MAX),
    ];
    for spec in endless {
        for ts in [0, -1, 1_767_225_600_000, MIN_MILLIS, MAX_MILLIS] {
            assert_eq!(windows_of(spec, ts), None, "{spec:?} at {ts}");
        }
    }
}

#[test]
fn windows_at_the_edges_of_the_range_of_dates() {
    // The range starts at a midnight and ends a millisecond before one.
    assert_eq!(MIN_MILLIS.rem_euclid(60_000), 0);
    assert_eq!((MAX_MILLIS + 1).rem_euclid(60_000), 0);

    let tumbling = Tumbling::of(MINUTE);
    assert_eq!(
        windows_of(tumbling, MIN_MILLIS),
        Some(vec![(MIN_MILLIS, MIN_MILLIS + 60_000)])
    );
    assert_eq!(
        windows_of(tumbling, MAX_MILLIS - 60_000),
        Some(vec![(MAX_MILLIS + 1 - 120_000, MAX_MILLIS + 1 - 60_000)])
    );
    assert_eq!(
        windows_of(tumbling, MAX_MILLIS),
        None,
        "ends past the range"
    );

    let sliding = Sliding::of(MINUTE, Duration::from_secs(10));
    let from_min = |ts| windows_of(sliding, MIN_MILLIS + ts);
    assert_eq!(
        from_min(50_000),
        Some(
            (0..6)
                .map(|k| (
                    MIN_MILLIS + 50_000 - k * 10_000,
                    MIN_MILLIS + 110_000 - k * 10_000
                ))
                .collect()
        )
    );
    assert_eq!(
        from_min(49_999),
        None,
        "its first window starts before the range"
    );
    // A window's end is an instant too: `MAX_MILLIS + 1` is not one.
    assert_eq!(
        windows_of(sliding, MAX_MILLIS - 60_000).map(|w| w[0]),
        Some((MAX_MILLIS + 1 - 70_000, MAX_MILLIS + 1 - 10_000))
    );
    assert_eq!(windows_of(sliding, MAX_MILLIS - 59_999), None);

    let session = Session::gap(Duration::from_secs(30));
    assert_eq!(
        windows_of(session, MAX_MILLIS - 30_000),
        Some(vec![(MAX_MILLIS - 30_000, MAX_MILLIS)])
    );
    assert_eq!(windows_of(session, MAX_MILLIS - 29_999), None);
}

proptest! {
    /// Against windows computed in `i128`, where nothing overflows: the same windows when all
    /// of them lie in the range of dates, an error otherwise; never a panic.
    #[test]
    fn assignment_equals_the_i128_model_for_any_event_time(
        ts in prop_oneof![any::<i64>(), (MIN_MILLIS - 10_000_000)..(MIN_MILLIS + 10_000_000),
                          (MAX_MILLIS - 10_000_000)..(MAX_MILLIS + 10_000_000)],
        slide in prop_oneof![1i64..100_000, 1i64..=(i64::MAX / 64)],
        windows in 1i64..64,
        shortfall in 0i64..2,
        kind in 0u8..3,
    ) {
        let size = (slide * windows - shortfall).max(1);
        let ms = |n: i64| Duration::from_millis(n as u64);
        let spec = match kind {
            0 => Tumbling::of(ms(size)),
            1 => Sliding::of(ms(size), ms(slide)),
            _ => Session::gap(ms(size)),
        };
        let (t, size, slide) = (i128::from(ts), i128::from(size), i128::from(slide));
        let model: Vec<(i128, i128)> = match kind {
            0 => {
                let start = t - t.rem_euclid(size);
                vec![(start, start + size)]
            }
            1 => {
                let mut start = t - t.rem_euclid(slide);
                let mut all = Vec::new();
                while start > t - size {
                    all.push((start, start + size));
                    start -= slide;
                }
                all
            }
            _ => vec![(t, t + size)],
        };
        let fits = model.iter().all(|&(s, e)| {
            s >= i128::from(MIN_MILLIS) && e <= i128::from(MAX_MILLIS)
        }) && (i128::from(MIN_MILLIS)..=i128::from(MAX_MILLIS)).contains(&t);
        let expected = fits.then(|| {
            model.iter().map(|&(s, e)| (s as i64, e as i64)).collect::<Vec<_>>()
        });
        prop_assert_eq!(windows_of(spec, ts), expected);
    }
}

#[test]
fn a_record_that_cannot_be_windowed_joins_nothing_and_holds_nothing() {
    let mut book: WindowBook<u8, Vec<i64>> = WindowBook::new(Tumbling::of(MINUTE));
    let mut fold = fold();
    for ts in [NO_EVENT_TIME, i64::MAX] {
        assert!(matches!(
            book.insert(1, at(ts), 0, 1, &mut fold),
            Placed::Unwindowable(why) if why.ts == ts
        ));
    }
    assert_eq!(book.oldest_epoch(), None);
    assert_eq!(book.watermark(), i64::MIN, "the watermark does not move");
    let mut fired = 0;
    book.advance(i64::MAX, |_, _| fired += 1);
    assert_eq!(fired, 0);
}

/// A fold like `reduce`'s: combining a value with a non-empty accumulator runs "user code",
/// which panics when either is negative and leaves the accumulator `LOST`.
fn panicking_fold() -> Fold<i64, Vec<i64>> {
    const LOST: i64 = i64::MIN;
    fn combine(acc: &mut Vec<i64>, value: i64) {
        if acc.contains(&LOST) || value == LOST {
            *acc = vec![LOST];
            return;
        }
        if !acc.is_empty() && (value < 0 || acc.iter().any(|v| *v < 0)) {
            *acc = vec![LOST];
            panic!("negative value");
        }
        acc.push(value);
    }
    Fold {
        new: Box::new(Vec::new),
        add_shared: Box::new(|acc: &mut Vec<i64>, value: &i64| combine(acc, *value)),
        add: Box::new(combine),
        merge: Box::new(|acc: &mut Vec<i64>, other: Vec<i64>| {
            for value in other {
                combine(acc, value);
            }
        }),
    }
}

#[test]
fn a_fold_that_panics_leaves_the_book_consistent() {
    for spec in [
        Tumbling::of(MINUTE),
        Sliding::of(MINUTE, Duration::from_secs(20)),
        Session::gap(MINUTE),
    ] {
        let mut book: WindowBook<u8, Vec<i64>> = WindowBook::new(spec);
        let mut fold = panicking_fold();
        assert_eq!(book.insert(1, at(1_000), 0, 1, &mut fold), Placed::Added);
        assert_eq!(book.insert(1, at(100_000), 1, 2, &mut fold), Placed::Added);
        // Joins (or merges) the windows above: the fold panics on it.
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            book.insert(1, at(50_000), 2, -1, &mut fold)
        }));
        assert!(panicked.is_err(), "{spec:?}");
        assert_eq!(book.insert(1, at(2_000), 3, 3, &mut fold), Placed::Added);
        let mut fired = Vec::new();
        book.advance(i64::MAX, |_, f| fired.push((f.start, f.end)));
        assert!(!fired.is_empty(), "{spec:?}");
        assert_eq!(
            book.oldest_epoch(),
            None,
            "{spec:?}: every epoch is released"
        );
    }
}
