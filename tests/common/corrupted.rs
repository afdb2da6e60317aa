//! W1 orders on a topic with some of them corrupted, and the dead letters they must become.

use std::collections::BTreeSet;

use sluice_testkit::broker::BulkProducer;
use sluice_testkit::workload::{PARTITIONS, W1Checksum, W1Order};

use super::query_strings;

/// What a topic of corrupted orders must leave behind: a dead letter `"partition offset kind"`
/// for each corrupted one, the other orders' checksum in `orders`.
pub struct Expected {
    pub letters: BTreeSet<String>,
    pub good: W1Checksum,
}

/// Orders `0..n` to `topic` (order `i` in partition `i % 4`, at offset `i / 4`): `corrupt(i)`'s
/// payload when it gives one (with the dead-letter kind it must become), `payload(i)` otherwise.
pub fn produce_with_corruptions(
    brokers: &str,
    topic: &str,
    n: u64,
    corrupt: impl Fn(u64) -> Option<(Vec<u8>, &'static str)>,
    payload: impl Fn(u64) -> Vec<u8>,
) -> Expected {
    let producer = BulkProducer::new(brokers).expect("producer");
    let mut expected = Expected {
        letters: BTreeSet::new(),
        good: W1Checksum::default(),
    };
    for i in 0..n {
        let order = W1Order::nth(i);
        let partition = (i % PARTITIONS as u64) as i32;
        let bytes = match corrupt(i) {
            Some((bytes, kind)) => {
                expected
                    .letters
                    .insert(format!("{partition} {} {kind}", i / 4));
                bytes
            }
            None => {
                expected.good.add(&order);
                payload(i)
            }
        };
        producer
            .send_to(topic, partition, order.key().as_bytes(), &bytes)
            .expect("send");
    }
    producer.flush().expect("flush");
    expected
}

/// The dead letters of `database` as `"partition offset kind"`.
pub fn dead_letter_places(database: &str) -> BTreeSet<String> {
    query_strings(
        database,
        "SELECT CONCAT_WS(' ', `partition`, `offset`, kind) FROM sluice_dead_letters",
    )
    .into_iter()
    .collect()
}
