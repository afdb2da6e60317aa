//! Workload W1 as a deployable binary: the `ingest` pipeline behind the generated command line.
//!
//! ```text
//! cargo run --release --example ingest -- --help
//! cargo run --release --example ingest -- --brokers 127.0.0.1:9092 --until-end
//! ```
//!
//! It needs a broker (`--brokers` or `SLUICE_BROKERS`) holding the `orders` topic and the
//! `orders` table of WORKLOADS.md in the database (`--database-url` or `DATABASE_URL`).

use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders", format = "json")]
struct Order {
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: String,
    #[message(event_time, with = "epoch_millis")]
    ts: DateTime<Utc>,
}

#[derive(Row)]
#[row(table = "orders")]
struct OrderRow {
    #[row(key)]
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: String,
    ts: DateTime<Utc>,
}

#[pipeline]
fn ingest(orders: Kafka<Order>) -> MySql<OrderRow> {
    orders.map(|o| OrderRow {
        id: o.id,
        customer_id: o.customer_id,
        amount_cents: o.amount_cents,
        currency: o.currency,
        ts: o.ts,
    })
}

fn main() -> sluice::Result<()> {
    ingest::main()
}
