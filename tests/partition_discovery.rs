//! Partitions added to a topic while a job runs are found and read, from their beginning.

mod common;

use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use sluice_testkit::broker::{BulkProducer, create_topic};
use sluice_testkit::workload::{ORDERS_DDL, W1Checksum, W1Order};

const BEFORE: u64 = 4_000;
const AFTER: u64 = 4_000;

/// W1 orders `orders` into `topic`, order `i` to partition `partition(i)`.
fn produce(brokers: &str, topic: &str, orders: std::ops::Range<u64>, partition: fn(u64) -> i32) {
    let producer = BulkProducer::new(brokers).expect("producer");
    for i in orders {
        let order = W1Order::nth(i);
        let partition = partition(i);
        producer
            .send_to(
                topic,
                partition,
                order.key().as_bytes(),
                order.json().as_bytes(),
            )
            .expect("produce");
    }
    producer.flush().expect("flush");
}

/// Waits until the brokers' metadata shows `topic` with `partitions` partitions.
fn wait_for_partitions(brokers: &str, topic: &str, partitions: usize) {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let client: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("client");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let metadata = client
            .fetch_metadata(Some(topic), Duration::from_secs(5))
            .expect("metadata");
        if metadata.topics().first().map(|t| t.partitions().len()) == Some(partitions) {
            return;
        }
        assert!(Instant::now() < deadline, "the topic did not grow");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until the orders table holds `rows` rows.
fn wait_for_rows(database: &str, rows: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(database, "SELECT COUNT(*) FROM orders") < rows {
        assert!(
            Instant::now() < deadline,
            "fewer than {rows} rows after 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A job process, killed if the test fails before it is stopped.
struct StopOnDrop(Option<Child>);

impl StopOnDrop {
    /// SIGTERM, then the job's output once it has exited.
    fn terminate(mut self) -> Output {
        let child = self.0.take().expect("a running job");
        send_sigterm(&child);
        child.wait_with_output().expect("wait")
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn a_partition_added_mid_run_is_read_from_its_beginning() {
    let topic = "orders_growing";
    let database = fresh_database("partition_discovery");
    execute(&database, ORDERS_DDL);
    let tansu = DurableTansu::start();
    create_topic(&tansu.brokers, topic, 2).expect("topic");
    produce(&tansu.brokers, topic, 0..BEFORE, |i| (i % 2) as i32);

    let child = pipeline_command(
        "ingest",
        (&tansu.brokers, &database, topic),
        &["--workers", "2", "--partition-discovery", "300ms"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("start examples/ingest");
    let job = StopOnDrop(Some(child));
    wait_for_rows(&database, BEFORE as i64);

    tansu.grow_topic(topic, 4);
    wait_for_partitions(&tansu.brokers, topic, 4);
    // Every order after the growth goes to partitions 2 and 3, which the job did not know.
    produce(&tansu.brokers, topic, BEFORE..BEFORE + AFTER, |i| {
        2 + (i % 2) as i32
    });
    wait_for_rows(&database, (BEFORE + AFTER) as i64);

    let output = job.terminate();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(w1_checksum(&database), W1Checksum::expected(BEFORE + AFTER));
    let half = (BEFORE / 2) as i64;
    let after_half = (AFTER / 2) as i64;
    assert_eq!(
        stored_offsets(&database, "ingest.orders"),
        vec![(0, half), (1, half), (2, after_half), (3, after_half)]
    );
}
