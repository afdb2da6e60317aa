//! The connectors of issue 14, each against its reference in the same run:
//!
//! - `scan`: `orders` copied into `order_summaries` with each order's day, by a `MySqlTable`
//!   pipeline, against MySQL's own `INSERT INTO order_summaries SELECT ... FROM orders`;
//! - `k2k`: the W1 topic copied into another topic by a Kafka-only pipeline (Kafka
//!   transactions carrying the positions), against a hand-written rdkafka consume, decode,
//!   encode and produce loop (idempotent producer, no transactions).

use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use serde::Serialize;
use sluice::prelude::*;

use super::database::BoxError;
use super::handwritten;
use super::w1::Order;

/// `order_summaries`, as `examples/table_copy.rs` writes it.
pub const ORDER_SUMMARIES_DDL: &str =
    include_str!("../../migrations/20260101000002_create_order_summaries.sql");

/// The topic the `k2k` runs write to.
pub const COPY_TOPIC: &str = "bench_order_copies";

/// An order as copied to [`COPY_TOPIC`].
#[derive(Message, Debug, Serialize)]
#[message(topic = "bench_order_copies", format = "json")]
pub struct OrderCopy {
    #[message(key)]
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: String,
    #[message(with = "epoch_millis")]
    #[serde(with = "chrono::serde::ts_milliseconds")]
    ts: DateTime<Utc>,
}

/// Every order, to [`COPY_TOPIC`].
#[pipeline]
pub fn copy_orders(orders: Kafka<Order>) -> Kafka<OrderCopy> {
    orders.map(|o| OrderCopy {
        id: o.id,
        customer_id: o.customer_id,
        amount_cents: o.amount_cents,
        currency: o.currency,
        ts: o.ts,
    })
}

/// The hand-written copy: consume and decode (serde), encode (serde) and produce, one thread;
/// returns the messages copied once every one is acknowledged.
pub fn consume_produce(brokers: &str, topic: &str, partitions: i32) -> Result<u64, BoxError> {
    let producer: ThreadedProducer<_> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "5")
        .create()?;
    let mut failed = None;
    let copied = handwritten::consume(brokers, topic, partitions, |order| {
        let payload = match serde_json::to_vec(&order) {
            Ok(payload) => payload,
            Err(error) => {
                failed.get_or_insert(error.to_string());
                return;
            }
        };
        let key = order.id.to_string();
        let mut record = BaseRecord::to(COPY_TOPIC).key(&key).payload(&payload);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((
                    rdkafka::error::KafkaError::MessageProduction(
                        rdkafka::types::RDKafkaErrorCode::QueueFull,
                    ),
                    back,
                )) => {
                    record = back;
                    producer.poll(std::time::Duration::from_millis(5));
                }
                Err((error, _)) => {
                    failed.get_or_insert(error.to_string());
                    break;
                }
            }
        }
    })?;
    producer.flush(std::time::Duration::from_secs(60))?;
    match failed {
        Some(error) => Err(error.into()),
        None => Ok(copied),
    }
}
