//! W1's orders as the snapshot events (`"op": "r"`) Debezium sends when it starts capturing an
//! `orders` table, and the pipeline that applies them to `orders`: the `debezium` workload runs
//! it next to W1's JSON pipeline over the same orders.

use sluice::prelude::*;
use sluice_testkit::broker::BulkProducer;
use sluice_testkit::workload::W1Order;

use super::database::BoxError;
use super::w1::OrderRow;

/// A row of `orders`, as Debezium's MySQL connector writes its changes.
#[derive(Message)]
#[message(topic = "orders_cdc", format = "debezium")]
pub struct OrderChange {
    pub id: u64,
    pub customer_id: u32,
    pub amount_cents: i64,
    pub currency: String,
    #[message(event_time, with = "epoch_millis")]
    pub ts: DateTime<Utc>,
}

/// Every change applied to the row of its order.
#[pipeline]
pub fn debezium_ingest(changes: Kafka<OrderChange>) -> MySql<OrderRow> {
    changes.map(|o| OrderRow {
        id: o.id,
        customer_id: o.customer_id,
        amount_cents: o.amount_cents,
        currency: o.currency,
        ts: o.ts,
    })
}

/// Orders `0..orders` into `topic` as snapshot events without schemas, keyed as Debezium keys
/// them.
pub fn produce(brokers: &str, topic: &str, orders: u64) -> Result<(), BoxError> {
    let producer = BulkProducer::new(brokers)?;
    for i in 0..orders {
        let order = W1Order::nth(i);
        let event = format!(
            r#"{{"before":null,"after":{},"source":{{"version":"2.7.3.Final","connector":"mysql","name":"shop","ts_ms":{ts},"snapshot":"true","db":"shop","sequence":null,"table":"orders","server_id":0,"gtid":null,"file":"mysql-bin.000003","pos":157,"row":0,"thread":null,"query":null}},"op":"r","ts_ms":{ts},"transaction":null}}"#,
            order.json(),
            ts = order.ts_millis,
        );
        let key = format!(r#"{{"id":{}}}"#, order.id);
        producer.send(topic, key.as_bytes(), event.as_bytes())?;
    }
    producer.flush()?;
    Ok(())
}
