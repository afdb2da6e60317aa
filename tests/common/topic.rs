//! Reading a topic back to its end, as a `read_committed` consumer sees it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message as _};
use rdkafka::{Offset, TopicPartitionList};
use sluice_testkit::broker::watermarks;

/// One record read back.
#[derive(Debug)]
pub struct Record {
    pub partition: i32,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

impl Record {
    /// The value of header `key`, as text.
    pub fn header(&self, key: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }
}

/// Every record of `topic`'s partitions `0..partitions`, from the start to the ends they had
/// when this was called.
pub fn read_topic(brokers: &str, topic: &str, partitions: i32) -> Vec<Record> {
    let ends: BTreeMap<i32, i64> = watermarks(brokers, topic, partitions)
        .expect("watermarks")
        .into_iter()
        .map(|w| (w.partition, w.high))
        .collect();
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "sluice_tests_read_topic")
        .set("isolation.level", "read_committed")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut assignment = TopicPartitionList::new();
    for partition in 0..partitions {
        assignment
            .add_partition_offset(topic, partition, Offset::Beginning)
            .expect("assign");
    }
    consumer.assign(&assignment).expect("assign");
    let mut records = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    // The consumer's position, not the offsets of the messages read: transaction markers take
    // offsets of their own and are never delivered.
    let behind = |consumer: &BaseConsumer| {
        let position = consumer.position().expect("position");
        ends.iter().any(|(partition, end)| {
            let at = position
                .find_partition(topic, *partition)
                .and_then(|p| p.offset().to_raw())
                .unwrap_or(0);
            at < *end
        })
    };
    while behind(&consumer) {
        assert!(Instant::now() < deadline, "not at the end of {ends:?}");
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let message = message.expect("a message");
        let headers = message
            .headers()
            .map(|h| {
                h.iter()
                    .map(|h| {
                        let value = h.value.map(String::from_utf8_lossy).unwrap_or_default();
                        (h.key.to_owned(), value.into_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        records.push(Record {
            partition: message.partition(),
            key: message.key().map(<[u8]>::to_vec),
            payload: message.payload().unwrap_or_default().to_vec(),
            headers,
        });
    }
    records
}
