//! Kafka helpers for examples, tests and benches: an embedded broker, topic creation and a
//! fast producer. Pipelines themselves need none of this.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, DefaultProducerContext, Producer};

use sluice_runtime::{Error, Result};

/// librdkafka's mock cluster: a Kafka-protocol broker inside this process, reachable over
/// TCP on 127.0.0.1 for as long as this value lives. Good for examples and tests that should
/// need nothing but MySQL; it keeps everything in memory.
///
/// Its partitions keep only their most recent log segments (a few megabytes): produce much
/// more than that before consuming and the oldest messages are gone.
/// [`watermarks`] tells whether that happened.
pub struct EmbeddedKafka {
    cluster: MockCluster<'static, DefaultProducerContext>,
}

impl std::fmt::Debug for EmbeddedKafka {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedKafka")
            .field("bootstrap_servers", &self.bootstrap_servers())
            .finish()
    }
}

impl EmbeddedKafka {
    /// Starts a mock cluster of one broker.
    pub fn start() -> Result<Self> {
        let cluster = MockCluster::new(1).map_err(|e| kafka_error("embedded", e))?;
        Ok(EmbeddedKafka { cluster })
    }

    /// The `host:port` list to give clients.
    pub fn bootstrap_servers(&self) -> String {
        self.cluster.bootstrap_servers()
    }

    /// Takes the broker offline, as an outage would: its connections are closed and new ones
    /// refused; what it stores is kept.
    pub fn take_down(&self) -> Result<()> {
        self.cluster
            .broker_down(1)
            .map_err(|e| kafka_error(&self.bootstrap_servers(), e))
    }

    /// Brings the broker back after [`EmbeddedKafka::take_down`].
    pub fn bring_up(&self) -> Result<()> {
        self.cluster
            .broker_up(1)
            .map_err(|e| kafka_error(&self.bootstrap_servers(), e))
    }

    /// Makes the broker answer its next fetch requests with these errors, one request each,
    /// as a broker with a corrupt log or a moving leader would: for fault tests.
    pub fn fail_fetches(&self, errors: &[rdkafka::types::RDKafkaRespErr]) {
        self.cluster
            .request_errors(rdkafka::types::RDKafkaApiKey::Fetch, errors);
    }

    /// Creates `topic` with `partitions` partitions.
    pub fn create_topic(&self, topic: &str, partitions: i32) -> Result<()> {
        self.cluster
            .create_topic(topic, partitions, 1)
            .map_err(|e| kafka_error(&self.bootstrap_servers(), e))
    }
}

/// Creates `topic` on a real broker; an existing topic is not an error.
pub fn create_topic(brokers: &str, topic: &str, partitions: i32) -> Result<()> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .map_err(|e| kafka_error(brokers, e))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Worker(format!("cannot start a tokio runtime: {e}")))?;
    let new_topic = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = runtime
        .block_on(admin.create_topics([&new_topic], &options))
        .map_err(|e| kafka_error(brokers, e))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(Error::Topic {
                    topic: name,
                    brokers: brokers.to_owned(),
                    reason: format!("cannot create: {code}"),
                });
            }
        }
    }
    Ok(())
}

/// A producer tuned for loading test data quickly; partitions are chosen by key hash unless
/// given.
#[allow(missing_debug_implementations)]
pub struct BulkProducer {
    producer: BaseProducer,
    brokers: String,
}

impl BulkProducer {
    /// Connects to `brokers`.
    pub fn new(brokers: &str) -> Result<Self> {
        let producer: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("linger.ms", "5")
            .set("batch.num.messages", "10000")
            .set("queue.buffering.max.messages", "1000000")
            .set("queue.buffering.max.kbytes", "1048576")
            .set("message.timeout.ms", "60000")
            .create()
            .map_err(|e| kafka_error(brokers, e))?;
        Ok(BulkProducer {
            producer,
            brokers: brokers.to_owned(),
        })
    }

    /// Queues one message, waiting for room when the local queue is full.
    pub fn send(&self, topic: &str, key: &[u8], payload: &[u8]) -> Result<()> {
        self.queue(BaseRecord::to(topic).key(key).payload(payload))
    }

    /// Queues one message for `partition`, whatever its key.
    pub fn send_to(&self, topic: &str, partition: i32, key: &[u8], payload: &[u8]) -> Result<()> {
        self.queue(
            BaseRecord::to(topic)
                .partition(partition)
                .key(key)
                .payload(payload),
        )
    }

    /// Queues a tombstone (the key without a payload) for `partition`.
    pub fn send_tombstone_to(&self, topic: &str, partition: i32, key: &[u8]) -> Result<()> {
        self.queue(BaseRecord::to(topic).partition(partition).key(key))
    }

    fn queue(&self, mut record: BaseRecord<'_, [u8], [u8]>) -> Result<()> {
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    self.producer.poll(Duration::from_millis(10));
                }
                Err((error, _)) => return Err(kafka_error(&self.brokers, error)),
            }
        }
    }

    /// Waits until every queued message is acknowledged by the broker.
    pub fn flush(&self) -> Result<()> {
        self.producer
            .flush(Duration::from_secs(120))
            .map_err(|e| kafka_error(&self.brokers, e))
    }
}

/// The offsets a partition holds: `low` is the first still stored (0 unless the broker deleted
/// old messages), `high` the next to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermarks {
    /// The partition.
    pub partition: i32,
    /// First stored offset.
    pub low: i64,
    /// Offset the next message will get.
    pub high: i64,
}

/// The watermarks of partitions `0..partitions` of `topic`.
pub fn watermarks(brokers: &str, topic: &str, partitions: i32) -> Result<Vec<Watermarks>> {
    let consumer: rdkafka::consumer::BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .map_err(|e| kafka_error(brokers, e))?;
    (0..partitions)
        .map(|partition| {
            rdkafka::consumer::Consumer::fetch_watermarks(
                &consumer,
                topic,
                partition,
                Duration::from_secs(10),
            )
            .map(|(low, high)| Watermarks {
                partition,
                low,
                high,
            })
            .map_err(|e| kafka_error(brokers, e))
        })
        .collect()
}

/// The positions consumer group `group` has committed for `topic`'s partitions `0..partitions`,
/// as `(partition, next offset)`; partitions without one are left out.
pub fn group_offsets(
    brokers: &str,
    group: &str,
    topic: &str,
    partitions: i32,
) -> Result<Vec<(i32, i64)>> {
    let consumer: rdkafka::consumer::BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .map_err(|e| kafka_error(brokers, e))?;
    let mut wanted = rdkafka::TopicPartitionList::new();
    for partition in 0..partitions {
        wanted.add_partition(topic, partition);
    }
    let committed =
        rdkafka::consumer::Consumer::committed_offsets(&consumer, wanted, Duration::from_secs(10))
            .map_err(|e| kafka_error(brokers, e))?;
    Ok(committed
        .elements()
        .iter()
        .filter_map(|element| match element.offset() {
            rdkafka::Offset::Offset(next) => Some((element.partition(), next)),
            _ => None,
        })
        .collect())
}

fn kafka_error(brokers: &str, source: KafkaError) -> Error {
    Error::Kafka {
        brokers: brokers.to_owned(),
        source,
    }
}
