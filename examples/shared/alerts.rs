//! The alert of the several-output examples (`alerts`, `kafka_alerts`, `kafka_to_kafka`): a
//! large order, as a Kafka message keyed by its id or as a printed JSON line.
//! `#[path]`-included, not a crate.

use sluice::prelude::*;

use super::w1::Order;

/// Orders of at least this many cents become alerts.
pub const LARGE_CENTS: i64 = 90_000;

/// A large order.
#[derive(Message, Debug, serde::Serialize)]
#[message(topic = "alerts", format = "json")]
pub struct Alert {
    #[message(key)]
    pub order_id: u64,
    pub customer_id: u32,
    pub amount_cents: i64,
    #[message(with = "epoch_millis")]
    pub ts: DateTime<Utc>,
}

/// The large orders, as alerts.
pub fn large_orders<'s>(orders: Stream<'s, Order>) -> Stream<'s, Alert> {
    orders
        .filter(|o| o.amount_cents >= LARGE_CENTS)
        .map(|o| Alert {
            order_id: o.id,
            customer_id: o.customer_id,
            amount_cents: o.amount_cents,
            ts: o.ts,
        })
}
