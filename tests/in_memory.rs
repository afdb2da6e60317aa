//! `run_in_memory`: a pipeline body over generated events, without Kafka or MySQL (workload
//! W3 of the benchmarks). Its windows must be exactly those a plain loop computes, on one
//! worker and on several.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use sluice::{InMemory, Tumbling, run_in_memory};

const EVENTS: u64 = 200_000;
const KEYS: u64 = 100;
const MINUTE: i64 = 60_000;

type Sums = BTreeMap<(u64, i64), u64>;

/// W3 at a smaller size: key `i % 100`, event time `i` ms, value `i % 100`.
fn windows_of(workers: usize) -> (sluice::RunReport, Sums) {
    let found = Arc::new(Mutex::new(Sums::new()));
    let sink = Arc::clone(&found);
    let report = run_in_memory(
        InMemory::workers(workers),
        |worker, peers| {
            (worker as u64..EVENTS)
                .step_by(peers)
                .map(|i| (i as i64, (i % KEYS, i % 100)))
        },
        move |events| {
            let sink = Arc::clone(&sink);
            events
                .key_by(|&(key, _)| key)
                .window(Tumbling::minutes(1))
                .reduce(|(key, a), (_, b)| (key, a + b))
                .inspect(move |(window, key, (_, sum))| {
                    let start = window.start.timestamp_millis();
                    let previous = sink.lock().expect("lock").insert((*key, start), *sum);
                    assert!(previous.is_none(), "window ({key}, {start}) emitted twice");
                })
        },
    )
    .expect("run");
    let sums = found.lock().expect("lock").clone();
    (report, sums)
}

fn expected() -> Sums {
    let mut sums = Sums::new();
    for i in 0..EVENTS {
        let ts = i as i64;
        *sums.entry((i % KEYS, ts - ts % MINUTE)).or_default() += i % 100;
    }
    sums
}

#[test]
fn one_worker_emits_every_window_once_with_its_sum() {
    let (report, sums) = windows_of(1);
    assert_eq!(report.consumed, EVENTS);
    assert_eq!(report.written, sums.len() as u64);
    assert_eq!(report.window_rows, report.written);
    assert_eq!(sums, expected());
}

#[test]
fn two_workers_emit_the_same_windows() {
    let (report, sums) = windows_of(2);
    assert_eq!(report.consumed, EVENTS);
    assert_eq!(sums, expected());
}

/// What a window's summaries hold: count, sum, min, max, the mean's bits, and the sum again
/// through a fold.
type Summed = (i64, i64, Option<i64>, Option<i64>, Option<u64>, i64);
type SummedWindows = BTreeMap<(u64, i64, i64), Summed>;

/// Events with gaps between bursts, so that sessions form and merge: key `i % 7`, value
/// `i % 100`, event time 37 ms apart within a burst of 500 and 90 s between bursts.
fn bursts(worker: usize, peers: usize) -> impl Iterator<Item = (i64, (u64, i64))> {
    (worker as u64..20_000).step_by(peers).map(|i| {
        (
            (i * 37 + (i / 500) * 90_000) as i64,
            (i % 7, (i % 100) as i64),
        )
    })
}

/// The windows of `spec` over the bursts, made by `summarize` (`true`) or from every record
/// by `aggregate` (`false`).
fn summed(spec: sluice::WindowSpec, summarize: bool) -> SummedWindows {
    let found = Arc::new(Mutex::new(SummedWindows::new()));
    let sink = Arc::clone(&found);
    run_in_memory(InMemory::workers(2), bursts, move |events| {
        let sink = Arc::clone(&sink);
        let windows = events.key_by(|&(key, _)| key).window(spec);
        let rows = if summarize {
            windows.summarize(
                |values| {
                    (
                        values.count(),
                        values.sum(|&(_, v)| v),
                        values.min(|&(_, v)| v),
                        values.max(|&(_, v)| v),
                        values.avg(|&(_, v)| v as f64),
                        values.fold(0, |a, &(_, v)| a + v).merged_by(|a, b| a + b),
                    )
                },
                |window, key, (n, sum, min, max, avg, folded)| {
                    (
                        *window,
                        *key,
                        (n, sum, min, max, avg.map(f64::to_bits), folded),
                    )
                },
            )
        } else {
            windows.aggregate(|window, key, values| {
                let summed = (
                    values.count(),
                    values.sum(|&(_, v)| v),
                    values.min(|&(_, v)| v),
                    values.max(|&(_, v)| v),
                    values.avg(|&(_, v)| v as f64).map(f64::to_bits),
                    values.fold(0, |a, &(_, v)| a + v),
                );
                (*window, *key, summed)
            })
        };
        rows.inspect(move |(window, key, summed)| {
            let at = (
                *key,
                window.start.timestamp_millis(),
                window.end.timestamp_millis(),
            );
            let previous = sink.lock().expect("lock").insert(at, *summed);
            assert!(previous.is_none(), "window {at:?} emitted twice");
        })
    })
    .expect("run");
    found.lock().expect("lock").clone()
}

#[test]
fn summaries_equal_the_aggregates_of_every_record_in_every_kind_of_window() {
    use sluice::{Session, Sliding};
    use std::time::Duration;
    let specs = [
        Tumbling::minutes(1),
        Sliding::of(Duration::from_secs(60), Duration::from_secs(20)),
        Session::gap(Duration::from_secs(10)),
    ];
    for spec in specs {
        let summarized = summed(spec, true);
        let aggregated = summed(spec, false);
        assert!(summarized.len() > 40, "{spec:?}: {}", summarized.len());
        assert_eq!(summarized, aggregated, "{spec:?}");
    }
}

#[test]
fn a_fold_in_session_windows_without_a_merge_stops_at_start_up() {
    use sluice::Session;
    use std::time::Duration;
    let error = run_in_memory(InMemory::workers(1), bursts, |events| {
        events
            .key_by(|&(key, _)| key)
            .window(Session::gap(Duration::from_secs(10)))
            .summarize(
                |values| values.fold(0, |a, &(_, v)| a + v),
                |_, key, sum| (*key, sum),
            )
    })
    .expect_err("a fold that cannot merge sessions");
    let text = error.to_string();
    assert!(text.contains("merged_by"), "{text}");
}

/// A sum whose closure panics on the value 7.
fn sum_refusing_seven(
    values: &sluice::Summaries<(u64, i64)>,
) -> impl sluice::Summary<(u64, i64), Output = i64> + use<> {
    values.sum(|&(_, v)| {
        assert_ne!(v, 7, "seven");
        v
    })
}

#[test]
fn a_summary_that_panics_makes_its_window_a_dead_letter_not_a_wrong_row() {
    // Two keys, a record a second: key 1's first minute holds the 7.
    let rows = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&rows);
    let report = run_in_memory(
        InMemory::workers(2),
        |worker, peers| {
            (worker as u64..240)
                .step_by(peers)
                .map(|i| ((i * 1_000) as i64, (i % 2, i as i64)))
        },
        move |events| {
            let seen = Arc::clone(&seen);
            events
                .key_by(|&(key, _)| key)
                .window(Tumbling::minutes(1))
                .summarize(
                    |values| (values.count(), sum_refusing_seven(values)),
                    |window, key, (n, sum)| (*key, window.start.timestamp_millis(), n, sum),
                )
                .inspect(move |row| seen.lock().expect("lock").push(*row))
        },
    )
    .expect("run");
    let rows = rows.lock().expect("lock").clone();
    assert!(
        rows.iter()
            .all(|&(key, start, _, _)| (key, start) != (1, 0)),
        "{rows:?}"
    );
    // 2 keys x 4 minutes, but the one with the 7; the record and its window are dead letters.
    assert_eq!(rows.len(), 7, "{rows:?}");
    assert_eq!(report.dead_lettered, 2, "{}", report.summary());
}

#[test]
fn a_session_whose_first_record_panics_is_not_written_empty() {
    use sluice::Session;
    use std::time::Duration;
    // One key, a record every 20 s: each record is a session of its own.
    let rows = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&rows);
    let report = run_in_memory(
        InMemory::workers(1),
        |_, _| (0..10u64).map(|i| ((i * 20_000) as i64, (0, i as i64))),
        move |events| {
            let seen = Arc::clone(&seen);
            events
                .key_by(|&(key, _)| key)
                .window(Session::gap(Duration::from_secs(10)))
                .summarize(
                    |values| (values.count(), sum_refusing_seven(values)),
                    |_, _, counted| counted,
                )
                .inspect(move |row| seen.lock().expect("lock").push(*row))
        },
    )
    .expect("run");
    let mut rows = rows.lock().expect("lock").clone();
    rows.sort_unstable();
    let expected: Vec<(i64, i64)> = (0..10).filter(|v| *v != 7).map(|v| (1, v)).collect();
    assert_eq!(rows, expected);
    assert_eq!(report.dead_lettered, 1, "{}", report.summary());
}
