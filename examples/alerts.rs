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

#[path = "shared/alerts.rs"]
mod alert;
#[path = "shared/w1.rs"]
mod w1;

use sluice::prelude::*;
use w1::{Order, OrderRow};

/// Every order becomes a row; the large ones also become printed alerts.
#[pipeline]
fn alerts(orders: Kafka<Order>) -> (MySql<OrderRow>, Print<alert::Alert>) {
    let alerts = alert::large_orders(orders.clone());
    (orders.map(OrderRow::from), alerts)
}

fn main() -> sluice::Result<()> {
    alerts::main()
}
