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
