//! Development: print what a pipeline makes of a topic, as JSON lines, without a database.
//!
//! ```text
//! cargo run --example print -- --brokers 127.0.0.1:9092 --until-end --from earliest
//! ```
//!
//! With `Print` as the only output nothing is stored: no positions (every run starts where
//! `--from` says) and no dead letters (they are logged on stderr).

#[path = "shared/w1.rs"]
mod w1;

use sluice::prelude::*;
use w1::Order;

/// Orders in a currency other than EUR, as they were decoded.
#[pipeline]
fn foreign_orders(orders: Kafka<Order>) -> Print<Order> {
    orders.filter(|o| o.currency != "EUR")
}

fn main() -> sluice::Result<()> {
    foreign_orders::main()
}
