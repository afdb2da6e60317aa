//! W1's orders read from a RabbitMQ queue instead of a Kafka topic: into the keyed `orders`
//! table, and appended to `order_audit`, which has no key. Shared by the RabbitMQ examples and
//! the tests (`#[path]`-included, not a crate).

use sluice::prelude::*;

use super::w1::{Order, OrderRow};

/// One order as `order_audit` appends it.
#[derive(Row, Debug)]
#[row(table = "order_audit", migrations = "migrations", append_only)]
pub struct OrderAudit {
    pub order_id: u64,
    pub customer_id: u32,
    pub amount_cents: i64,
}

/// Every order of the queue (`--queue`, default `orders`) becomes a row of `orders`.
#[pipeline]
pub fn queue_ingest(orders: RabbitMq<Order>) -> MySql<OrderRow> {
    orders.map(OrderRow::from)
}

/// Every order of the queue is appended to `order_audit`.
#[pipeline]
pub fn queue_audit(orders: RabbitMq<Order>) -> MySql<OrderAudit> {
    orders.map(|o| OrderAudit {
        order_id: o.id,
        customer_id: o.customer_id,
        amount_cents: o.amount_cents,
    })
}
/// The orders of a stream queue (read by offset) become rows of `orders`.
#[pipeline]
pub fn stream_ingest(orders: RabbitMqStream<Order>) -> MySql<OrderRow> {
    orders.map(OrderRow::from)
}
