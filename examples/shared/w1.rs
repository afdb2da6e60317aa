//! The W1 pipeline of `shared/bench/WORKLOADS.md`: JSON orders from Kafka into the `orders`
//! table. Shared by the examples and the tests (`#[path]`-included, not a crate).

use sluice::prelude::*;

/// One order, as produced by `sluice_testkit::workload::produce_w1`.
#[derive(Message, Debug, Clone, PartialEq, serde::Serialize)]
#[message(topic = "orders", format = "json")]
pub struct Order {
    pub id: u64,
    pub customer_id: u32,
    pub amount_cents: i64,
    pub currency: String,
    #[message(event_time, with = "epoch_millis")]
    pub ts: DateTime<Utc>,
}

/// One row of `orders`, checked at compile time against `migrations/`; `id` is its primary key.
#[derive(Row, Debug)]
#[row(table = "orders", migrations = "migrations")]
pub struct OrderRow {
    #[row(key)]
    pub id: u64,
    pub customer_id: u32,
    pub amount_cents: i64,
    pub currency: String,
    pub ts: DateTime<Utc>,
}

impl From<Order> for OrderRow {
    fn from(o: Order) -> Self {
        OrderRow {
            id: o.id,
            customer_id: o.customer_id,
            amount_cents: o.amount_cents,
            currency: o.currency,
            ts: o.ts,
        }
    }
}

/// Every order becomes a row.
#[pipeline]
pub fn ingest(orders: Kafka<Order>) -> MySql<OrderRow> {
    orders.map(OrderRow::from)
}
