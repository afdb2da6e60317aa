//! Windows against a reference model: records arrive shuffled within the allowed delay, the
//! watermark trails the largest event time by that delay, and the windows emitted must be
//! exactly those the model computes from the sorted records. Records far behind the watermark
//! are late and appear in no window.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;

use super::window_book::{Fold, WindowBook};
use super::window_spec::{Session, Sliding, Tumbling, WindowSpec};

/// A record: key, event time, value.
type Input = (u8, i64, i64);

/// A window as emitted: key, start, end, and its values sorted.
type Emitted = (u8, i64, i64, Vec<i64>);

const DELAY: i64 = 5_000;

fn fold() -> Fold<i64, Vec<i64>> {
    Fold {
        new: Box::new(Vec::new),
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
        if !book.insert(key, ts, epoch as u64, value, &mut fold) {
            late.push(value);
        }
        max_seen = max_seen.max(ts);
        book.advance(max_seen - DELAY, |k, start, end, acc| {
            let mut values = acc.clone();
            values.sort_unstable();
            emitted.push((*k, start, end, values));
        });
    }
    book.advance(i64::MAX, |k, start, end, acc| {
        let mut values = acc.clone();
        values.sort_unstable();
        emitted.push((*k, start, end, values));
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
    let mut emit = |_: &u8, start: i64, _: i64, acc: &Vec<i64>| fired.push((start, acc.len()));
    assert!(book.insert(1, 1_000, 0, 1, &mut fold));
    book.advance(10_000, &mut emit);
    // Within the lateness: the window fires again with both records.
    assert!(book.insert(1, 2_000, 1, 2, &mut fold));
    book.advance(12_000, &mut emit);
    assert_eq!(
        book.oldest_epoch(),
        Some(0),
        "held until the lateness has passed"
    );
    book.advance(15_000, &mut emit);
    assert_eq!(book.oldest_epoch(), None);
    // Beyond it: late.
    assert!(!book.insert(1, 3_000, 2, 3, &mut fold));
    assert_eq!(fired, vec![(0, 1), (0, 2)]);
}
