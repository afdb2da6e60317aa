//! Running totals per customer, kept by `map_with_state`: every order updates its customer's
//! count and sum, and the new totals are upserted into `customer_totals`. The state is stored
//! with the rows (`sluice_keyed_state`) and a restart, with any number of workers or processes,
//! goes on from it.
//!
//! ```text
//! cargo run --release --example running_totals -- --brokers 127.0.0.1:9092 --migrate
//! ```

#[path = "shared/w1.rs"]
#[allow(dead_code)]
mod w1;

use sluice::prelude::*;
use w1::Order;

/// A customer's orders so far and their sum.
#[derive(Row, Debug)]
#[row(table = "customer_totals", migrations = "migrations", key(customer_id))]
pub struct CustomerTotal {
    pub customer_id: u32,
    pub orders: i64,
    pub amount_cents: i64,
}

#[pipeline]
pub fn running_totals(orders: Kafka<Order>) -> MySql<CustomerTotal> {
    orders
        .map(|order| (order.customer_id, order.amount_cents))
        .key_by(|&(customer, _)| customer)
        .map_with_state(|totals: &mut (i64, i64), &customer_id, (_, amount)| {
            *totals = (totals.0 + 1, totals.1 + amount);
            Some(CustomerTotal {
                customer_id,
                orders: totals.0,
                amount_cents: totals.1,
            })
        })
}

fn main() -> sluice::Result<()> {
    running_totals::main()
}
