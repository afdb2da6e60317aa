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

#[path = "shared/alerts.rs"]
mod alert;
#[path = "shared/w1.rs"]
mod w1;

use sluice::prelude::*;
use w1::{Order, OrderRow};

/// Every order becomes a row; the large ones also become alerts on the `alerts` topic.
#[pipeline]
fn kafka_alerts(orders: Kafka<Order>) -> (MySql<OrderRow>, Kafka<alert::Alert>) {
    let alerts = alert::large_orders(orders.clone());
    (orders.map(OrderRow::from), alerts)
}

fn main() -> sluice::Result<()> {
    kafka_alerts::main()
}
