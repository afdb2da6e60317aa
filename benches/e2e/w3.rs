//! W3: 10,000,000 in-memory events (key = i % 1000, ts = i ms, value = i % 100), per-key sums
//! in one-minute tumbling windows, outputs counted and dropped.

use std::collections::HashMap;
use std::hint::black_box;

use sluice::{InMemory, Tumbling, run_in_memory};

const KEYS: u64 = 1_000;
const MINUTE: i64 = 60_000;

/// The sluice pipeline as `plan` runs it (this process's part of it, in a cluster): the events
/// its workers generated and the windows they emitted.
pub fn sluice_in(plan: InMemory, events: u64) -> sluice::Result<(u64, u64)> {
    let report = run_in_memory(
        plan,
        move |worker, peers| {
            (worker as u64..events)
                .step_by(peers)
                .map(|i| (i as i64, (i % KEYS, i % 100)))
        },
        |events| {
            events
                .key_by(|&(key, _)| key)
                .window(Tumbling::minutes(1))
                .reduce(|(key, a), (_, b)| (key, a + b))
        },
    )?;
    Ok((report.consumed, report.written))
}

/// The same windows with one HashMap on one thread: every window is emitted once event time
/// has passed its end, as the watermark does.
pub fn hash_map_loop(events: u64) -> u64 {
    let mut open: HashMap<(u64, i64), u64> = HashMap::new();
    let (mut emitted, mut current) = (0u64, i64::MIN);
    for i in 0..events {
        let (key, ts, value) = (i % KEYS, i as i64, i % 100);
        let start = ts - ts.rem_euclid(MINUTE);
        if start > current {
            for window in open.drain() {
                black_box(window);
                emitted += 1;
            }
            current = start;
        }
        *open.entry((key, start)).or_insert(0) += value;
    }
    for window in open.drain() {
        black_box(window);
        emitted += 1;
    }
    emitted
}
