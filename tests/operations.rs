//! Operator safeguards: a ceiling on the share of dead letters with a warning while they
//! accumulate, and pipeline ids that two different pipelines cannot share by accident.

mod common;

use std::process::Output;

use common::*;
use sluice_testkit::broker::BulkProducer;
use sluice_testkit::workload::{CUSTOMER_MINUTE_DDL, ORDERS_DDL, PARTITIONS, W1Order, produce_w1};

const N: u64 = 2_000;

/// W1 orders where every tenth payload is not JSON.
fn orders_with_garbage(kafka: &Tansu, topic: &str) {
    kafka.create_topic(topic, PARTITIONS).expect("topic");
    let producer = BulkProducer::new(&kafka.bootstrap_servers()).expect("producer");
    for i in 0..N {
        let order = W1Order::nth(i);
        let payload = if i % 10 == 3 {
            "not json".to_owned()
        } else {
            order.json()
        };
        producer
            .send(topic, order.key().as_bytes(), payload.as_bytes())
            .expect("produce");
    }
    producer.flush().expect("flush");
}

fn run_ingest(brokers: &str, database: &str, topic: &str, extra: &[&str]) -> Output {
    let mut args = vec!["--until-end", "--epoch-ms", "50"];
    args.extend_from_slice(extra);
    pipeline_command("ingest", (brokers, database, topic), &args)
        .output()
        .expect("run the ingest binary")
}

#[test]
fn dead_letters_past_the_ceiling_stop_the_run_and_below_it_a_warning_says_where_they_are() {
    let database = fresh_database("dead_letter_ceiling");
    execute(&database, ORDERS_DDL);
    let kafka = Tansu::start();
    let topic = "garbage_orders";
    orders_with_garbage(&kafka, topic);
    let brokers = kafka.bootstrap_servers();

    let stopped = run_ingest(
        &brokers,
        &database,
        topic,
        &["--max-dead-letter-ratio", "0.05"],
    );
    let stderr = String::from_utf8_lossy(&stopped.stderr);
    assert_eq!(stopped.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("messages are dead letters, more than --max-dead-letter-ratio 0.05"),
        "{stderr}"
    );
    // The positions stored before the ceiling was crossed are those of whole epochs (every
    // message in them a row or a dead letter), and the run stopped before the end of the
    // 2,000 messages. Keyed rows of the epochs after them may be written already: the next
    // run reads those messages again and rewrites the same rows.
    let committed = count(
        &database,
        "SELECT CAST(COALESCE(SUM(next_offset), 0) AS SIGNED) FROM sluice_offsets",
    );
    let accounted = count(
        &database,
        "SELECT (SELECT COUNT(*) FROM orders) + (SELECT COUNT(*) FROM sluice_dead_letters)",
    );
    assert!(
        committed <= accounted,
        "{committed} committed, {accounted} accounted for"
    );
    assert!(committed < 2_000, "{committed} messages committed");

    let tolerated = run_ingest(
        &brokers,
        &database,
        topic,
        &["--max-dead-letter-ratio", "0.2"],
    );
    let stderr = String::from_utf8_lossy(&tolerated.stderr);
    assert!(tolerated.status.success(), "{stderr}");
    assert!(
        stderr.contains("dead letters so far") && stderr.contains("sluice_dead_letters"),
        "a warning line names the table: {stderr}"
    );
    assert_eq!(
        count(
            &database,
            "SELECT COUNT(*) FROM sluice_dead_letters WHERE kind = 'decode'"
        ),
        200
    );
    assert_eq!(count(&database, "SELECT COUNT(*) FROM orders"), 1_800);
}

#[test]
fn two_pipelines_never_share_offsets_by_accident() {
    let topic = "identity_orders";
    let (database, kafka) = database_and_topic(
        "pipeline_identity",
        &[ORDERS_DDL, CUSTOMER_MINUTE_DDL],
        topic,
        PARTITIONS,
    );
    let brokers = kafka.bootstrap_servers();
    produce_w1(&brokers, topic, 0..N).expect("produce");

    // By default, the two pipelines over the same topic keep their own offsets.
    ingest::run(config(&brokers, &database, topic)).expect("ingest");
    let windows = per_customer::run(config(&brokers, &database, topic)).expect("per_customer");
    assert_eq!(windows.consumed, N, "per_customer read everything itself");
    let ids = query_strings(
        &database,
        "SELECT DISTINCT pipeline FROM sluice_offsets ORDER BY pipeline",
    );
    assert_eq!(ids, ["ingest.orders", "per_customer.customer_minute"]);

    // The same id given to a different pipeline is refused before anything is read.
    let mut shared = config(&brokers, &database, topic);
    shared.pipeline_id = Some("ingest.orders".to_owned());
    let error = per_customer::run(shared).expect_err("refused");
    let text = error.to_string();
    assert!(
        text.contains(
            "pipeline id `ingest.orders` belongs to a pipeline that reads `identity_orders` into `orders`"
        ) && text.contains("--pipeline-id"),
        "{text}"
    );
}
