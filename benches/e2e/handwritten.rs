//! What a competent engineer writes without sluice: an rdkafka consumer with explicit
//! assignment and tuned fetching, serde_json with a derived `Deserialize`, and batched
//! multi-row upserts with sqlx on one or several connections.

use std::sync::Arc;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use sqlx::{MySqlConnection, QueryBuilder};
use tokio::sync::{Mutex, mpsc};

use super::database::{self, BoxError};
use super::serde_order::SerdeOrder;

/// Rows per INSERT, as sluice's default.
const BATCH: usize = 10_000;

/// Reads every partition of `topic` from offset 0 to its end and hands each decoded order to
/// `each`; returns how many messages were read.
pub fn consume(
    brokers: &str,
    topic: &str,
    partitions: i32,
    mut each: impl FnMut(SerdeOrder),
) -> Result<u64, BoxError> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "sluice-bench-handwritten")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("queued.min.messages", "100000")
        .set("fetch.queue.backoff.ms", "5")
        .set("fetch.wait.max.ms", "10")
        .create()?;
    let mut assignment = TopicPartitionList::new();
    for partition in 0..partitions {
        assignment.add_partition_offset(topic, partition, Offset::Offset(0))?;
    }
    consumer.assign(&assignment)?;
    let (mut read, mut at_end) = (0u64, vec![false; partitions as usize]);
    while at_end.iter().any(|done| !done) {
        match consumer.poll(std::time::Duration::from_millis(100)) {
            None => {}
            Some(Ok(message)) => {
                read += 1;
                let payload = message.payload().ok_or("a message without payload")?;
                each(serde_json::from_slice(payload)?);
            }
            Some(Err(KafkaError::PartitionEOF(partition))) => {
                if let Some(done) = at_end.get_mut(partition as usize) {
                    *done = true;
                }
            }
            Some(Err(error)) => return Err(error.into()),
        }
    }
    Ok(read)
}

/// W1 by hand: one thread consumes and decodes into batches, `connections` tasks upsert them.
pub fn ingest(
    runtime: &tokio::runtime::Runtime,
    brokers: &str,
    topic: &str,
    partitions: i32,
    connections: usize,
) -> Result<u64, BoxError> {
    let (batches, receiver) = mpsc::channel::<Vec<SerdeOrder>>(connections * 2);
    let receiver = Arc::new(Mutex::new(receiver));
    let writers: Vec<_> = (0..connections)
        .map(|_| {
            let receiver = Arc::clone(&receiver);
            runtime.spawn(async move {
                let mut db = database::connect().await?;
                loop {
                    let Some(batch) = receiver.lock().await.recv().await else {
                        return Ok::<_, BoxError>(());
                    };
                    upsert(&mut db, &batch).await?;
                }
            })
        })
        .collect();
    let mut batch = Vec::with_capacity(BATCH);
    let read = consume(brokers, topic, partitions, |order| {
        batch.push(order);
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            // The writers only stop early on an error, which the join below reports.
            let _ = batches.blocking_send(full);
        }
    })?;
    if !batch.is_empty() {
        let _ = batches.blocking_send(batch);
    }
    drop(batches);
    for writer in writers {
        runtime.block_on(writer)??;
    }
    Ok(read)
}

async fn upsert(db: &mut MySqlConnection, orders: &[SerdeOrder]) -> Result<(), BoxError> {
    let mut insert =
        QueryBuilder::new("INSERT INTO orders (id, customer_id, amount_cents, currency, ts) ");
    insert.push_values(orders, |mut row, order| {
        row.push_bind(order.id)
            .push_bind(order.customer_id)
            .push_bind(order.amount_cents)
            .push_bind(order.currency.as_str())
            .push_bind(order.ts);
    });
    insert.push(
        " ON DUPLICATE KEY UPDATE customer_id = VALUES(customer_id), \
         amount_cents = VALUES(amount_cents), currency = VALUES(currency), ts = VALUES(ts)",
    );
    insert.build().execute(db).await?;
    Ok(())
}
