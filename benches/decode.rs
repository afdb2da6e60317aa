//! The generated JSON decoder of `#[derive(Message)]` against `serde_json::from_slice` with a
//! derived `Deserialize`, owned and borrowed, on the W1 message of WORKLOADS.md.
//!
//! `cargo bench --bench decode`

use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::Deserialize;
use serde_order::SerdeOrder;
use sluice::Message;
use sluice_testkit::workload::W1Order;

#[path = "e2e/serde_order.rs"]
mod serde_order;
#[path = "../examples/shared/w1.rs"]
#[allow(dead_code)]
mod w1;

/// The same, borrowing the currency from the payload instead of allocating it.
#[derive(Deserialize)]
#[allow(dead_code)]
struct SerdeOrderBorrowed<'a> {
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: &'a str,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    ts: DateTime<Utc>,
}

fn payloads() -> Vec<Vec<u8>> {
    (0..1_024u64)
        .map(|i| W1Order::nth(i * 977).json().into_bytes())
        .collect()
}

fn decode(c: &mut Criterion) {
    let payloads = payloads();
    let mut group = c.benchmark_group("decode W1 order");
    group.throughput(Throughput::Elements(payloads.len() as u64));
    group.bench_function("sluice generated", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(w1::Order::decode(black_box(payload)).ok());
            }
        })
    });
    group.bench_function("serde_json derive, owned String", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(serde_json::from_slice::<SerdeOrder>(black_box(payload)).ok());
            }
        })
    });
    group.bench_function("serde_json derive, borrowed &str", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(
                    serde_json::from_slice::<SerdeOrderBorrowed<'_>>(black_box(payload)).ok(),
                );
            }
        })
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
