//! W1's orders as Avro records in Confluent's wire format (`tests/avro/w1_order.avsc`), and
//! the pipeline that writes them into `orders`: the `avro` workload runs it next to W1's JSON
//! pipeline over the same orders.

use sluice::prelude::*;
use sluice_testkit::broker::BulkProducer;
use sluice_testkit::workload::W1Order;

use super::database::BoxError;
use super::w1::OrderRow;

/// A W1 order as an Avro record.
#[derive(Message)]
#[message(
    topic = "orders_avro",
    format = "avro",
    schema = "tests/avro/w1_order.avsc",
    schema_id = 3
)]
pub struct AvroOrder {
    pub id: u64,
    pub customer_id: u32,
    pub amount_cents: i64,
    pub currency: String,
    #[message(event_time)]
    pub ts: DateTime<Utc>,
}

/// Every order becomes a row, as W1's JSON pipeline does.
#[pipeline]
pub fn avro_ingest(orders: Kafka<AvroOrder>) -> MySql<OrderRow> {
    orders.map(|o| OrderRow {
        id: o.id,
        customer_id: o.customer_id,
        amount_cents: o.amount_cents,
        currency: o.currency,
        ts: o.ts,
    })
}

/// Orders `0..orders` into `topic`, keyed as W1's JSON orders are.
pub fn produce(brokers: &str, topic: &str, orders: u64) -> Result<(), BoxError> {
    let producer = BulkProducer::new(brokers)?;
    let mut payload = Vec::new();
    for i in 0..orders {
        let order = W1Order::nth(i);
        let ts = DateTime::from_timestamp_millis(order.ts_millis).ok_or("a W1 time")?;
        payload.clear();
        AvroOrder {
            id: order.id,
            customer_id: order.customer_id,
            amount_cents: order.amount_cents,
            currency: "EUR".to_owned(),
            ts,
        }
        .encode(&mut payload)?;
        producer.send(topic, order.key().as_bytes(), &payload)?;
    }
    producer.flush()?;
    Ok(())
}
