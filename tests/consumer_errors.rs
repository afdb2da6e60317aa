//! The consumer's errors never make the source pass over a message: errors librdkafka retries
//! are counted, errors after which it would skip messages stop the run, and a stored position
//! that is gone from its partition stops the run unless the operator says where to go on.

mod common;

use common::*;
use rdkafka::types::RDKafkaRespErr;
use sluice::{Error, OffsetReset};
use sluice_testkit::broker::{EmbeddedKafka, watermarks};
use sluice_testkit::workload::{ORDERS_DDL, PARTITIONS, W1Checksum, produce_w1};

const N: u64 = 2_000;

fn setup(test: &str, topic: &str) -> (EmbeddedKafka, String) {
    let (database, kafka) = database_and_topic(test, &[ORDERS_DDL], topic, PARTITIONS);
    produce_w1(&kafka.bootstrap_servers(), topic, 0..N).expect("produce");
    (kafka, database)
}

#[test]
fn a_corrupt_message_set_stops_the_run_and_nothing_is_skipped() {
    let topic = "consumer_errors_corrupt";
    let (kafka, database) = setup("consumer_corrupt", topic);
    // The broker's log is corrupt where the first fetch reads: librdkafka reports
    // CORRUPT_MESSAGE (INVALID_MSG) instead of messages.
    kafka.fail_fetches(&[RDKafkaRespErr::RD_KAFKA_RESP_ERR_INVALID_MSG]);
    let brokers = kafka.bootstrap_servers();
    let error = ingest::run(config(&brokers, &database, topic)).expect_err("the run stops");
    let text = error.to_string();
    assert!(matches!(error, Error::Topic { .. }), "{text}");
    assert!(
        text.contains("instead of a message") && text.contains("nothing committed past them"),
        "{text}"
    );
    // Whatever was committed before the error, a restart reads everything else: nothing lost.
    let report = ingest::run(config(&brokers, &database, topic)).expect("a clean restart");
    assert!(report.reconciles(), "{}", report.summary());
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
}

#[test]
fn fetch_errors_librdkafka_retries_are_counted_and_lose_nothing() {
    let topic = "consumer_errors_transient";
    let (kafka, database) = setup("consumer_transient", topic);
    kafka.fail_fetches(&[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS; 3]);
    let report =
        ingest::run(config(&kafka.bootstrap_servers(), &database, topic)).expect("the run goes on");
    assert!(report.reconciles(), "{}", report.summary());
    assert_eq!(report.consumed, N);
    assert!(report.consumer_errors >= 1, "{}", report.summary());
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
}

#[test]
fn a_stored_position_gone_from_its_partition_stops_the_run_unless_told_where_to_go_on() {
    let topic = "consumer_errors_gone";
    let (kafka, database) = setup("consumer_gone", topic);
    let brokers = kafka.bootstrap_servers();
    ingest::run(config(&brokers, &database, topic)).expect("first run");
    // As if the topic had been recreated: partition 0's stored position lies past its end.
    execute(
        &database,
        "UPDATE sluice_offsets SET next_offset = 1000000 WHERE `partition` = 0",
    );
    execute(&database, "TRUNCATE TABLE orders");

    let error = ingest::run(config(&brokers, &database, topic)).expect_err("the run stops");
    let text = error.to_string();
    let high = watermarks(&brokers, topic, PARTITIONS).expect("watermarks")[0].high;
    assert!(
        text.contains(&format!(
            "partition 0 is at offset 1000000, but holds offsets 0 to {high}"
        )) && text.contains("--on-offset-out-of-range"),
        "{text}"
    );
    assert_eq!(count(&database, "SELECT COUNT(*) FROM orders"), 0);
    assert_eq!(
        count(
            &database,
            "SELECT next_offset FROM sluice_offsets WHERE `partition` = 0"
        ),
        1_000_000,
        "the stored position stays where it was"
    );

    let mut earliest = config(&brokers, &database, topic);
    earliest.on_offset_out_of_range = OffsetReset::Earliest;
    let report = ingest::run(earliest).expect("goes on from the first message");
    assert_eq!(report.consumed, u64::try_from(high).expect("offsets"));
    assert_eq!(count(&database, "SELECT COUNT(*) FROM orders"), high);
    assert_eq!(stored_offsets(&database, "ingest.orders")[0], (0, high));
}
