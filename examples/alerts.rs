//! Several outputs in one job: every order into the `orders` table, and the large ones printed
//! as JSON lines (`Print`), from one read of the topic.
//!
//! ```text
//! cargo run --release --example alerts -- --brokers 127.0.0.1:9092 --until-end --migrate
//! ```
//!
//! MySQL is the output that stores the positions; it commits an epoch's positions once the
//! alerts of that epoch are printed too, so a crash prints again (at-least-once) what the
//! table had not committed, and the table stays exact. Needs a broker holding the `orders`
//! topic and a database (`--database-url` or `DATABASE_URL`).

#[path = "shared/w1.rs"]
mod w1;

use serde::Serialize;
use sluice::prelude::*;
use w1::{Order, OrderRow};

/// Orders of at least this many cents are printed as alerts.
const LARGE_CENTS: i64 = 90_000;

/// A large order, printed as one JSON line.
#[derive(Debug, Serialize)]
struct Alert {
    order_id: u64,
    customer_id: u32,
    amount_cents: i64,
}

/// Every order becomes a row; the large ones also become alerts.
#[pipeline]
fn alerts(orders: Kafka<Order>) -> (MySql<OrderRow>, Print<Alert>) {
    let alerts = orders
        .clone()
        .filter(|o| o.amount_cents >= LARGE_CENTS)
        .map(|o| Alert {
            order_id: o.id,
            customer_id: o.customer_id,
            amount_cents: o.amount_cents,
        });
    let rows = orders.map(|o| OrderRow {
        id: o.id,
        customer_id: o.customer_id,
        amount_cents: o.amount_cents,
        currency: o.currency,
        ts: o.ts,
    });
    (rows, alerts)
}

fn main() -> sluice::Result<()> {
    alerts::main()
}
