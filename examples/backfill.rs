//! A back-fill: the per-customer, per-minute table of W2 (`customer_minute`) computed from the
//! `orders` table instead of the topic, with the same window code.
//!
//! ```text
//! cargo run --release --example backfill -- --workers 2 --migrate
//! ```
//!
//! `#[row(event_time)]` gives each row read from `orders` its event time. The scan is bounded
//! and in key order, not time order, so every window stays open until the whole table is read,
//! then all of them close (the source's watermark jumps to the end of time). A killed back-fill
//! starts over: its windows held every position. Needs the `orders` table (`quickstart` fills
//! it) and a database (`--database-url` or `DATABASE_URL`).

#[path = "shared/w1.rs"]
mod w1;
#[path = "shared/w2.rs"]
mod w2;

use sluice::prelude::*;
use w2::{CustomerMinute, customer_minutes};

/// A row of `orders`, with its time as the event time.
#[derive(Row, Debug)]
#[row(table = "orders", migrations = "migrations")]
struct HistoricOrder {
    #[row(key)]
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: String,
    #[row(event_time)]
    ts: DateTime<Utc>,
}

/// Orders and amounts per customer and minute, from the history, through W2's windows.
#[pipeline]
fn backfill(orders: MySqlTable<HistoricOrder>) -> MySql<CustomerMinute> {
    customer_minutes(orders.map(|o| (o.customer_id, o.amount_cents)))
}

fn main() -> sluice::Result<()> {
    backfill::main()
}
