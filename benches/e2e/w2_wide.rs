//! W2 over ten times W1's customers: the orders of WORKLOADS.md with `customer_id = (i * 7919)
//! % 10000`, for the windows' memory with 10,000 keys. The shared topic producer
//! (`sluice_testkit::workload::produce_w1`) has W1's 1,000 customers fixed, so the loop is
//! repeated here.

use sluice_testkit::broker::BulkProducer;
use sluice_testkit::workload::W1Order;

use super::database::BoxError;

pub const CUSTOMERS: u64 = 10_000;

/// Orders `0..orders` into `topic`, keyed by id, W1's except for the customer.
pub fn produce(brokers: &str, topic: &str, orders: u64) -> Result<(), BoxError> {
    let producer = BulkProducer::new(brokers)?;
    for i in 0..orders {
        let order = W1Order::nth(i);
        let json = format!(
            r#"{{"id": {}, "customer_id": {}, "amount_cents": {}, "currency": "EUR", "ts": {}}}"#,
            order.id,
            (i * 7919) % CUSTOMERS,
            order.amount_cents,
            order.ts_millis
        );
        producer.send(topic, order.key().as_bytes(), json.as_bytes())?;
    }
    producer.flush()?;
    Ok(())
}
