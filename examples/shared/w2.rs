//! The W2 pipeline of `shared/bench/WORKLOADS.md`: per customer, 1-minute tumbling windows of
//! event time over the orders, counted and summed into `customer_minute`. Shared by the
//! `windowed` example and the tests (`#[path]`-included, not a crate).

use sluice::prelude::*;

use super::w1::Order;

/// One customer's orders in one minute; the window start is part of the key, so a replay
/// rewrites the same row.
#[derive(Row, Debug, PartialEq)]
#[row(
    table = "customer_minute",
    migrations = "migrations",
    key(customer_id, window_start)
)]
pub struct CustomerMinute {
    pub customer_id: u32,
    pub window_start: DateTime<Utc>,
    pub orders: i64,
    pub amount_cents: i64,
}

/// Only what the windows need crosses between workers: the customer and the amount. The
/// event time travels with every record.
#[pipeline]
pub fn per_customer(orders: Kafka<Order>) -> MySql<CustomerMinute> {
    customer_minutes(orders.map(|o| (o.customer_id, o.amount_cents)))
}

/// `(customer, amount)` pairs counted and summed per customer and minute of event time.
pub fn customer_minutes<'s>(amounts: Stream<'s, (u32, i64)>) -> Stream<'s, CustomerMinute> {
    amounts
        .key_by(|&(customer, _)| customer)
        .window(Tumbling::minutes(1))
        .summarize(
            |orders| (orders.count(), orders.sum(|&(_, amount)| amount)),
            |window, &customer_id, (orders, amount_cents)| CustomerMinute {
                customer_id,
                window_start: window.start,
                orders,
                amount_cents,
            },
        )
}
