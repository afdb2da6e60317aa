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

#[path = "shared/alerts.rs"]
mod alert;
#[path = "shared/w1.rs"]
mod w1;

use sluice::prelude::*;
use w1::Order;

/// The large orders, as alerts.
#[pipeline]
fn kafka_to_kafka(orders: Kafka<Order>) -> Kafka<alert::Alert> {
    alert::large_orders(orders)
}

fn main() -> sluice::Result<()> {
    kafka_to_kafka::main()
}
