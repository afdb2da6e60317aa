//! Kafka in, Kafka out, exactly-once for `read_committed` consumers: the large orders of the
//! `orders` topic as alerts on `alerts`, without a database.
//!
//! ```text
//! cargo run --release --example kafka_to_kafka -- --brokers 127.0.0.1:9092 --until-end
//! ```
//!
//! With Kafka as the only output, each worker's transactional producer commits the alerts of
//! its completed epochs together with the positions its source reached, into the pipeline's
//! consumer group (`kafka_to_kafka.alerts`), where a restart resumes from. A crash aborts the
//! open transaction: `read_committed` consumers never see its alerts, and the restart writes
//! them again. Needs a broker with the `orders` and `alerts` topics.

#[path = "shared/w1.rs"]
mod w1;

use sluice::prelude::*;
use w1::Order;

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
}

/// The large orders, as alerts.
#[pipeline]
fn kafka_to_kafka(orders: Kafka<Order>) -> Kafka<Alert> {
    orders
        .filter(|o| o.amount_cents >= LARGE_CENTS)
        .map(|o| Alert {
            order_id: o.id,
            customer_id: o.customer_id,
            amount_cents: o.amount_cents,
        })
}

fn main() -> sluice::Result<()> {
    kafka_to_kafka::main()
}
