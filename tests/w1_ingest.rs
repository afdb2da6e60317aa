//! Workload W1 end to end: Kafka → sluice → MySQL, on the embedded broker and on tansu.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use sluice_testkit::broker::{EmbeddedKafka, create_topic, group_offsets};
use sqlx::{Connection, MySqlConnection};

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

/// A keyed table's rows are committed as they arrive, not when their epoch ends: with epochs
/// of ten minutes (the first one 75 s), every order is in `orders` while no position is stored
/// yet. SIGTERM then ends the epoch and stores the positions.
#[test]
fn keyed_rows_are_committed_before_their_epoch_ends() {
    let topic = "orders_early";
    let database = fresh_database("w1_early");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic(topic, PARTITIONS).expect("topic");
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, topic, 0..N).expect("produce");

    let child = pipeline_command("ingest", (&brokers, &database, topic), &["--epoch", "600s"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start examples/ingest");
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(&database, "SELECT COUNT(*) FROM orders") < N as i64 {
        assert!(
            Instant::now() < deadline,
            "the orders were not written within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let stored: i64 = stored_offsets(&database, "ingest.orders")
        .iter()
        .map(|(_, next)| next)
        .sum();
    assert_eq!(
        stored, 0,
        "no epoch has ended, so no position is stored yet"
    );

    send_sigterm(&child);
    let output = child.wait_with_output().expect("wait for the job");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
    let stored: i64 = stored_offsets(&database, "ingest.orders")
        .iter()
        .map(|(_, next)| next)
        .sum();
    assert_eq!(
        stored, N as i64,
        "the stop stored the positions of what was read"
    );
}

#[derive(Row)]
#[row(table = "orders_log", append_only)]
struct OrderLog {
    id: u64,
    amount_cents: i64,
}

/// Appends an entry per order: the table has no key, so only the positions keep a replay out.
#[pipeline]
fn log_orders(orders: Kafka<Order>) -> MySql<OrderLog> {
    orders.map(|o| OrderLog {
        id: o.id,
        amount_cents: o.amount_cents,
    })
}

/// An append-only table's rows are committed only with their epoch's positions: in every
/// snapshot taken while orders arrive, the table holds exactly as many rows as the stored
/// positions cover (one row per order, none refused).
#[test]
fn append_only_rows_are_committed_with_their_positions() {
    let topic = "orders_log";
    let database = fresh_database("w1_append_only");
    execute(
        &database,
        "CREATE TABLE orders_log (id BIGINT UNSIGNED NOT NULL, amount_cents BIGINT NOT NULL)",
    );
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic(topic, PARTITIONS).expect("topic");
    let brokers = kafka.bootstrap_servers();

    let mut run = config(&brokers, &database, topic);
    run.until_end = false;
    run.limit = Some(N);
    run.epoch = Duration::from_millis(500);
    let job = std::thread::spawn(move || log_orders::run(run));
    let slices = 10;
    let mut snapshots = Vec::new();
    for slice in 0..slices {
        let (from, to) = (slice * N / slices, (slice + 1) * N / slices);
        workload::produce_w1(&brokers, topic, from..to).expect("produce");
        let until = Instant::now() + Duration::from_millis(300);
        while Instant::now() < until {
            snapshots.push(rows_and_positions(&database, "log_orders.orders_log"));
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let report = job.join().expect("the job thread").expect("the run");
    assert_eq!(report.written, N);
    snapshots.push(rows_and_positions(&database, "log_orders.orders_log"));
    for (rows, positions) in &snapshots {
        assert_eq!(
            rows, positions,
            "rows and positions in one snapshot: {snapshots:?}"
        );
    }
    assert_eq!(snapshots.last(), Some(&(N as i64, N as i64)));
}

/// The rows of `orders_log` and the messages the stored positions of `pipeline` cover, read
/// in one consistent snapshot.
fn rows_and_positions(database: &str, pipeline: &str) -> (i64, i64) {
    runtime().block_on(async {
        let mut conn = MySqlConnection::connect(database).await.expect("connect");
        let mut snapshot = conn.begin().await.expect("begin");
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders_log")
            .fetch_one(&mut *snapshot)
            .await
            .expect("count rows");
        let positions: Option<rust_decimal::Decimal> =
            sqlx::query_scalar("SELECT SUM(next_offset) FROM sluice_offsets WHERE pipeline = ?")
                .bind(pipeline)
                .fetch_one(&mut *snapshot)
                .await
                .expect("sum positions");
        snapshot.commit().await.expect("end the snapshot");
        let positions = positions.map_or(0, |p| i64::try_from(p).unwrap_or(i64::MAX));
        (rows, positions)
    })
}
