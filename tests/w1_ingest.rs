//! Workload W1 end to end: Kafka → sluice → MySQL, on the embedded broker and on tansu.

mod common;

use common::*;
use sluice_testkit::broker::{EmbeddedKafka, create_topic, group_offsets};

use sluice_testkit::workload::{self, ORDERS_DDL, PARTITIONS, W1Checksum};

const N: u64 = 10_000;

/// Runs `ingest` to the end of `topic` twice: the first run writes every order, the second
/// finds nothing new. After each, the pipeline's Kafka consumer group holds the positions
/// stored in MySQL (for lag tools).
fn ingest_twice(brokers: &str, database: &str, topic: &str) {
    execute(database, ORDERS_DDL);
    workload::produce_w1(brokers, topic, 0..N).expect("produce");

    let first = ingest::run(config(brokers, database, topic)).expect("first run");
    assert_eq!(first.consumed, N);
    assert_eq!(first.written, N);
    assert_eq!(first.dead_lettered, 0);
    assert_eq!(w1_checksum(database), W1Checksum::expected(N));
    let offsets = stored_offsets(database, "ingest.orders");
    assert_eq!(offsets.len(), PARTITIONS as usize);
    assert_eq!(offsets.iter().map(|(_, o)| *o as u64).sum::<u64>(), N);
    assert_eq!(
        group_offsets(brokers, "ingest.orders", topic, PARTITIONS).expect("group offsets"),
        offsets,
        "the consumer group shows what MySQL stores"
    );

    let second = ingest::run(config(brokers, database, topic)).expect("second run");
    assert_eq!(
        second.consumed, 0,
        "the second run must start at the stored offsets"
    );
    assert_eq!(second.written, 0);
    assert_eq!(w1_checksum(database), W1Checksum::expected(N));
    assert_eq!(stored_offsets(database, "ingest.orders"), offsets);
}

#[test]
fn w1_on_the_embedded_broker() {
    let database = fresh_database("w1_embedded");
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders_w1", PARTITIONS).expect("topic");
    ingest_twice(&kafka.bootstrap_servers(), &database, "orders_w1");
}

#[test]
fn w1_on_a_tansu_broker() {
    let database = fresh_database("w1_tansu");
    let tansu = Tansu::start();
    create_topic(&tansu.brokers, "orders_w1_tansu", PARTITIONS).expect("topic");
    ingest_twice(&tansu.brokers, &database, "orders_w1_tansu");
}

#[test]
fn a_stopped_run_resumes_without_gaps_or_duplicates() {
    let database = fresh_database("w1_restart");
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka
        .create_topic("orders_restart", PARTITIONS)
        .expect("topic");
    let brokers = kafka.bootstrap_servers();
    execute(&database, ORDERS_DDL);
    workload::produce_w1(&brokers, "orders_restart", 0..N).expect("produce");

    let mut half = config(&brokers, &database, "orders_restart");
    half.limit = Some(N / 2);
    let first = ingest::run(half).expect("first half");
    assert_eq!(first.consumed, N / 2);
    let partial = w1_checksum(&database);
    assert_eq!(
        partial.count,
        N / 2,
        "the stopped run committed what it read"
    );

    let rest = ingest::run(config(&brokers, &database, "orders_restart")).expect("rest");
    assert_eq!(
        rest.consumed,
        N - N / 2,
        "the restart reads only what the first run did not"
    );
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
    let ends: Vec<(i32, i64)> =
        sluice_testkit::broker::watermarks(&brokers, "orders_restart", PARTITIONS)
            .expect("watermarks")
            .iter()
            .map(|w| (w.partition, w.high))
            .collect();
    assert_eq!(
        stored_offsets(&database, "ingest.orders"),
        ends,
        "offsets at the partitions' ends"
    );
}

/// Rows are first written with a plain INSERT; a key that already exists makes the sink upsert
/// instead, so reading the topic again from the beginning rewrites the rows it finds (here one
/// that was changed behind the pipeline's back) and refuses none.
#[test]
fn reading_again_into_a_full_table_rewrites_rows_instead_of_refusing_them() {
    let database = fresh_database("w1_reread");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka
        .create_topic("orders_reread", PARTITIONS)
        .expect("topic");
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, "orders_reread", 0..N).expect("produce");
    let first = ingest::run(config(&brokers, &database, "orders_reread")).expect("first run");
    assert_eq!(first.written, N);
    execute(
        &database,
        "UPDATE orders SET amount_cents = -1, currency = 'XXX' WHERE id = 42",
    );

    let mut again = config(&brokers, &database, "orders_reread");
    again.from = sluice::StartFrom::Earliest;
    let second = ingest::run(again).expect("second run");
    assert_eq!(second.consumed, N);
    assert_eq!(second.written, N);
    assert_eq!(second.dead_lettered, 0);
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
    assert_eq!(
        query_strings(&database, "SELECT currency FROM orders WHERE id = 42"),
        ["EUR"]
    );
    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM sluice_dead_letters"),
        0
    );
}
