//! Kafka as an output beside MySQL: one job writes the orders table and an `alerts` topic;
//! the alerts are keyed and partitioned as Kafka's Java client would, carry the position of
//! the order they came from, and survive `kill -9` at least once while the table stays exact.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use std::time::Duration;

use common::*;
use rdkafka::config::ClientConfig;
use sluice_testkit::broker::{EmbeddedKafka, create_topic};
use sluice_testkit::workload::{self, ORDERS_DDL, PARTITIONS, W1Checksum, W1Order};

/// `examples/kafka_alerts.rs` turns orders of at least this many cents into alerts.
const LARGE_CENTS: i64 = 90_000;
const ALERT_PARTITIONS: i32 = 5;

/// Kafka's Java `Utils.murmur2`, which its default partitioner applies to record keys.
fn murmur2(data: &[u8]) -> i32 {
    const M: u32 = 0x5bd1_e995;
    let mut h: u32 = 0x9747_b28c ^ data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> 24;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M) ^ k;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        for (i, byte) in rest.iter().enumerate().rev() {
            h ^= u32::from(*byte) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

fn java_partition(key: &[u8], partitions: i32) -> i32 {
    (murmur2(key) & 0x7fff_ffff) % partitions
}

/// One alert as read back.
#[derive(Debug)]
struct Received {
    partition: i32,
    key: String,
    order_id: u64,
    source: String,
}

/// Every alert of `topic` as a `read_committed` consumer sees it.
fn read_all(brokers: &str, topic: &str, partitions: i32) -> Vec<Received> {
    read_topic(brokers, topic, partitions)
        .into_iter()
        .map(|record| {
            let alert: serde_json::Value = serde_json::from_slice(&record.payload).expect("JSON");
            let source = record
                .header("sluice-source")
                .expect("a sluice-source header");
            Received {
                partition: record.partition,
                key: String::from_utf8_lossy(record.key.as_deref().expect("a key")).into_owned(),
                order_id: alert["order_id"]
                    .as_u64()
                    .or_else(|| alert["id"].as_u64())
                    .expect("an id"),
                source,
            }
        })
        .collect()
}

fn expected_alerts(n: u64) -> BTreeSet<u64> {
    (0..n)
        .filter(|&i| W1Order::nth(i).amount_cents >= LARGE_CENTS)
        .collect()
}

fn kafka_with_topics() -> (EmbeddedKafka, String) {
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders", PARTITIONS).expect("topic");
    kafka
        .create_topic("alerts", ALERT_PARTITIONS)
        .expect("topic");
    let brokers = kafka.bootstrap_servers();
    (kafka, brokers)
}

#[test]
fn the_murmur2_of_this_test_is_javas() {
    // Values from Kafka's own `UtilsTest.testMurmur2`.
    assert_eq!(murmur2(b"21"), -973_932_308);
    assert_eq!(murmur2(b"foobar"), -790_332_482);
    assert_eq!(murmur2(b"a-little-bit-long-string"), -985_981_536);
    assert_eq!(murmur2(b"a-little-bit-longer-string"), -1_486_304_829);
}

#[test]
fn one_job_writes_the_table_and_keyed_alerts_partitioned_as_java_does() {
    const N: u64 = 3_000;
    let database = fresh_database("kafka_sink_alerts");
    execute(&database, ORDERS_DDL);
    let (_kafka, brokers) = kafka_with_topics();
    workload::produce_w1(&brokers, "orders", 0..N).expect("produce");

    let output = example_command(
        "kafka_alerts",
        &[
            "--brokers",
            &brokers,
            "--database-url",
            &database,
            "--until-end",
        ],
    )
    .output()
    .expect("run examples/kafka_alerts");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));

    let received = read_all(&brokers, "alerts", ALERT_PARTITIONS);
    let expected = expected_alerts(N);
    assert_eq!(received.len(), expected.len(), "each alert once");
    let ids: BTreeSet<u64> = received.iter().map(|r| r.order_id).collect();
    assert_eq!(ids, expected);
    let partitions: BTreeSet<i32> = received.iter().map(|r| r.partition).collect();
    assert!(partitions.len() > 1, "keys spread over partitions");
    for alert in &received {
        assert_eq!(alert.key, alert.order_id.to_string());
        assert_eq!(
            alert.partition,
            java_partition(alert.key.as_bytes(), ALERT_PARTITIONS),
            "{alert:?}"
        );
        let source: Vec<&str> = alert.source.split('/').collect();
        let (partition, offset): (i32, i64) = match source.as_slice() {
            ["orders", partition, offset] => (
                partition.parse().expect("a partition"),
                offset.parse().expect("an offset"),
            ),
            _ => panic!("{alert:?}"),
        };
        assert!(
            (0..PARTITIONS).contains(&partition) && offset >= 0,
            "{alert:?}"
        );
    }
    let stored: i64 = stored_offsets(&database, "kafka_alerts.orders")
        .iter()
        .map(|(_, next)| next)
        .sum();
    assert_eq!(stored, N as i64);
}

#[test]
fn killed_mid_run_the_table_stays_exact_and_every_alert_is_sent_at_least_once() {
    const N: u64 = 30_000;
    const KILLS: u64 = 3;
    let mut rng = Seeded::from_env("kafka_sink_kill");
    let database = fresh_database("kafka_sink_kill");
    execute(&database, ORDERS_DDL);
    let (_kafka, brokers) = kafka_with_topics();
    let args = [
        "--brokers",
        &brokers,
        "--database-url",
        &database,
        "--epoch-ms",
        "50",
        "--workers",
        "2",
    ];
    kill_while_producing(
        |args| example_command("kafka_alerts", args),
        &args,
        &brokers,
        (N, KILLS),
        &mut rng,
    );
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
    let received = read_all(&brokers, "alerts", ALERT_PARTITIONS);
    let ids: BTreeSet<u64> = received.iter().map(|r| r.order_id).collect();
    let expected = expected_alerts(N);
    assert_eq!(ids, expected, "every alert at least once");
    // A duplicate is the same order read again: its source header says so.
    let mut by_source: BTreeMap<&str, BTreeSet<u64>> = BTreeMap::new();
    for alert in &received {
        by_source
            .entry(&alert.source)
            .or_default()
            .insert(alert.order_id);
    }
    assert!(by_source.values().all(|ids| ids.len() == 1));
    eprintln!("{} alerts, {} messages", expected.len(), received.len());
}

/// A tansu broker with the `orders` and `alerts` topics: the embedded mock cluster does not
/// keep the offsets a transaction commits to a consumer group.
fn tansu_with_topics() -> (Tansu, String) {
    let tansu = Tansu::start();
    let brokers = tansu.brokers.clone();
    create_topic(&brokers, "orders", PARTITIONS).expect("topic");
    create_topic(&brokers, "alerts", ALERT_PARTITIONS).expect("topic");
    (tansu, brokers)
}

#[test]
fn kafka_to_kafka_alone_is_exactly_once_for_read_committed_consumers() {
    const N: u64 = 3_000;
    let (_tansu, brokers) = tansu_with_topics();
    workload::produce_w1(&brokers, "orders", 0..N).expect("produce");
    let output = example_command("kafka_to_kafka", &["--brokers", &brokers, "--until-end"])
        .env_remove("DATABASE_URL")
        .output()
        .expect("run examples/kafka_to_kafka");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let received = read_all(&brokers, "alerts", ALERT_PARTITIONS);
    let expected = expected_alerts(N);
    assert_eq!(received.len(), expected.len(), "each alert once");
    let ids: BTreeSet<u64> = received.iter().map(|r| r.order_id).collect();
    assert_eq!(ids, expected);
    // The positions are in the pipeline's consumer group: a second run has nothing to read.
    let again = example_command("kafka_to_kafka", &["--brokers", &brokers, "--until-end"])
        .env_remove("DATABASE_URL")
        .output()
        .expect("run again");
    assert!(again.status.success());
    assert_eq!(consumed_in(&again.stdout), 0);
    assert_eq!(
        read_all(&brokers, "alerts", ALERT_PARTITIONS).len(),
        expected.len()
    );
}

#[test]
fn kafka_to_kafka_killed_mid_run_loses_no_alert_and_doubles_none_where_the_broker_hides_aborts() {
    const N: u64 = 30_000;
    const KILLS: u64 = 3;
    let mut rng = Seeded::from_env("kafka_to_kafka_kill");
    let (_tansu, brokers) = tansu_with_topics();
    let args = ["--brokers", &brokers, "--epoch-ms", "50", "--workers", "2"];
    let without_database = |args: &[&str]| {
        let mut command = example_command("kafka_to_kafka", args);
        command.env_remove("DATABASE_URL");
        command
    };
    kill_while_producing(without_database, &args, &brokers, (N, KILLS), &mut rng);
    let received = read_all(&brokers, "alerts", ALERT_PARTITIONS);
    let expected = expected_alerts(N);
    let ids: BTreeSet<u64> = received.iter().map(|r| r.order_id).collect();
    assert_eq!(ids, expected, "every alert");
    if broker_hides_aborted_transactions(&brokers) {
        assert_eq!(received.len(), expected.len(), "and each once");
    } else {
        // The killed runs' open transactions were aborted (a restart fences them), but this
        // broker still hands their records to read_committed consumers.
        eprintln!(
            "this broker shows aborted transactions' records: {} alerts read for {} orders \
             (exactly-once needs a broker that filters them)",
            received.len(),
            expected.len()
        );
    }
}

#[derive(Message)]
#[message(topic = "ratios")]
struct Ratio {
    #[message(key)]
    id: u64,
    value: f64,
}

/// Every order into the table, and its amount divided by its customer id to `ratios`: the
/// orders of customer 0 divide by zero.
#[pipeline]
fn ratios(orders: Kafka<Order>) -> (MySql<OrderRow>, Kafka<Ratio>) {
    let ratios = orders.clone().map(|o| Ratio {
        id: o.id,
        value: o.amount_cents as f64 / f64::from(o.customer_id),
    });
    let rows = orders.map(OrderRow::from);
    (rows, ratios)
}

#[test]
fn a_record_with_no_json_form_is_a_dead_letter_not_a_lost_message() {
    const N: u64 = 2_000;
    let database = fresh_database("kafka_sink_nan");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders", PARTITIONS).expect("topic");
    kafka.create_topic("ratios", 2).expect("topic");
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, "orders", 0..N).expect("produce");

    let report = ratios::run(config(&brokers, &database, "orders")).expect("run");
    let infinite: BTreeSet<u64> = (0..N)
        .filter(|&i| {
            let order = W1Order::nth(i);
            order.customer_id == 0 && order.amount_cents != 0
        })
        .collect();
    let undefined = (0..N)
        .filter(|&i| W1Order::nth(i).customer_id == 0 && W1Order::nth(i).amount_cents == 0)
        .count() as u64;
    let refused = infinite.len() as u64 + undefined;
    assert!(refused > 0);
    assert_eq!(report.dead_lettered, refused, "{}", report.summary());
    assert!(report.reconciles(), "{}", report.summary());
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
    let letters = query_strings(
        &database,
        "SELECT CONCAT(kind, ' ', message) FROM sluice_dead_letters ORDER BY `offset` LIMIT 1",
    );
    assert!(
        letters[0].starts_with("convert cannot encode the record for `ratios`: field `value`"),
        "{letters:?}"
    );
    let sent = read_all(&brokers, "ratios", 2);
    assert_eq!(sent.len() as u64, N - refused);
}

/// Whether the broker hides the records of an aborted transaction from `read_committed`
/// consumers, which exactly-once across a crash needs. Neither broker the tests can run does
/// (measured: librdkafka's mock cluster and tansu both return them).
fn broker_hides_aborted_transactions(brokers: &str) -> bool {
    use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
    create_topic(brokers, "abort_probe", 1).expect("topic");
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("transactional.id", "sluice-abort-probe")
        .create()
        .expect("producer");
    let timeout = Duration::from_secs(10);
    producer.init_transactions(timeout).expect("init");
    producer.begin_transaction().expect("begin");
    let header = rdkafka::message::OwnedHeaders::new().insert(rdkafka::message::Header {
        key: "sluice-source",
        value: Some("probe"),
    });
    producer
        .send(
            BaseRecord::to("abort_probe")
                .key("0")
                .payload(r#"{"order_id": 0}"#)
                .headers(header),
        )
        .map_err(|(e, _)| e)
        .expect("send");
    producer.flush(timeout).expect("flush");
    producer.abort_transaction(timeout).expect("abort");
    read_all(brokers, "abort_probe", 1).is_empty()
}
