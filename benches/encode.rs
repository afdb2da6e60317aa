//! Row batch encoding: binding a 10,000-row statement's values the way the sink does (the
//! `bind` that `#[derive(Row)]` generates, into one `MySqlArguments`, with the statement text
//! built once), against sqlx's `QueryBuilder::push_values`, which a hand-written consumer uses
//! and which builds the text and the arguments for every batch.
//!
//! `cargo bench --bench encode`

use std::hint::black_box;

use chrono::DateTime;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sluice::Row;
use sluice_testkit::workload::W1Order;
use sqlx::mysql::MySqlArguments;
use sqlx::{Arguments, MySql, QueryBuilder};

#[path = "../examples/shared/w1.rs"]
#[allow(dead_code)]
mod w1;

use w1::OrderRow;

const ROWS: u64 = 10_000;

fn rows() -> Vec<OrderRow> {
    (0..ROWS)
        .map(|i| {
            let order = W1Order::nth(i);
            OrderRow {
                id: order.id,
                customer_id: order.customer_id,
                amount_cents: order.amount_cents,
                currency: "EUR".to_owned(),
                ts: DateTime::from_timestamp_millis(order.ts_millis).unwrap_or_default(),
            }
        })
        .collect()
}

fn encode(c: &mut Criterion) {
    let rows = rows();
    let mut group = c.benchmark_group("encode 10,000 W1 rows");
    group.throughput(Throughput::Elements(ROWS));
    group.bench_function("sluice Row::bind", |b| {
        b.iter(|| {
            let mut arguments = MySqlArguments::default();
            arguments.reserve(rows.len() * OrderRow::COLUMNS.len(), rows.len() * 40);
            for row in &rows {
                row.bind(&mut arguments).ok();
            }
            black_box(arguments)
        })
    });
    group.bench_function("sqlx QueryBuilder::push_values", |b| {
        b.iter(|| {
            let mut insert = QueryBuilder::<MySql>::new(
                "INSERT INTO orders (id, customer_id, amount_cents, currency, ts) ",
            );
            insert.push_values(&rows, |mut row, order| {
                row.push_bind(order.id)
                    .push_bind(order.customer_id)
                    .push_bind(order.amount_cents)
                    .push_bind(order.currency.as_str())
                    .push_bind(order.ts);
            });
            black_box(insert.into_string())
        })
    });
    group.finish();
}

criterion_group!(benches, encode);
criterion_main!(benches);
