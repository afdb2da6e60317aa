//! Window aggregation per event: the W3 pipeline (keyed one-minute tumbling sums, 1,000 keys)
//! on one worker, including its in-memory source and the exchange, against the same windows
//! kept in one HashMap.
//!
//! `cargo bench --bench window`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "e2e/w3.rs"]
mod w3;

const EVENTS: u64 = 1_000_000;

fn window(c: &mut Criterion) {
    let mut group = c.benchmark_group("tumbling window sum per event");
    group.throughput(Throughput::Elements(EVENTS));
    group.sample_size(20);
    group.bench_function("sluice, 1 worker", |b| {
        b.iter(|| w3::sluice_in(sluice::InMemory::workers(1), EVENTS).ok())
    });
    group.bench_function("HashMap loop", |b| b.iter(|| w3::hash_map_loop(EVENTS)));
    group.finish();
}

criterion_group!(benches, window);
criterion_main!(benches);
