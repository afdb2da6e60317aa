//! Kafka in, MySQL and Kafka out: every order into the `orders` table, and the large ones as
//! JSON messages on the `alerts` topic, keyed by order id.
//!
//! ```text
//! cargo run --release --example kafka_alerts -- --brokers 127.0.0.1:9092 --until-end --migrate
//! ```
//!
//! MySQL stores the input's positions, once the alerts of an epoch are acknowledged by the
//! brokers: the table is exact, and a crash sends again the alerts the table had not committed
//! (at-least-once; each carries a `sluice-source` header, `orders/partition/offset`, for
//! consumers to deduplicate). Needs a broker with the `orders` and `alerts` topics and a
//! database (`--database-url` or `DATABASE_URL`).

#[path = "shared/w1.rs"]
mod w1;

use sluice::prelude::*;
use w1::{Order, OrderRow};

/// Orders of at least this many cents become alerts.
const LARGE_CENTS: i64 = 90_000;

/// A large order, written to the `alerts` topic.
#[derive(Message, Debug)]
#[message(topic = "alerts", format = "json")]
struct Alert {
    #[message(key)]
    order_id: u64,
    customer_id: u32,
    amount_cents: i64,
    #[message(with = "epoch_millis")]
    ts: DateTime<Utc>,
}

/// Every order becomes a row; the large ones also become alerts.
#[pipeline]
fn kafka_alerts(orders: Kafka<Order>) -> (MySql<OrderRow>, Kafka<Alert>) {
    let alerts = orders
        .clone()
        .filter(|o| o.amount_cents >= LARGE_CENTS)
        .map(|o| Alert {
            order_id: o.id,
            customer_id: o.customer_id,
            amount_cents: o.amount_cents,
            ts: o.ts,
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
    kafka_alerts::main()
}
