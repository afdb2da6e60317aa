//! Bad input never stops the job and is never lost: 1% of W1's messages are corrupted in each
//! way WORKLOADS.md lists, plus rows MySQL itself refuses (a CHECK constraint the struct cannot
//! know about). Each bad message is in `sluice_dead_letters` once, under its own offset and
//! kind; every other order is in `orders`; the run's counters reconcile.

mod common;

use std::collections::BTreeSet;

use common::*;
use sluice_testkit::broker::{BulkProducer, EmbeddedKafka};
use sluice_testkit::workload::{ORDERS_DDL, PARTITIONS, W1Order};

const N: u64 = 10_000;

/// How message `i` is corrupted, if it is: the payload and the dead-letter kind expected.
fn corruption(i: u64) -> Option<(String, &'static str)> {
    let order = W1Order::nth(i);
    let json = order.json();
    let bad = match i % 100 {
        11 => (json[..json.len() / 2].to_owned(), "decode"),
        23 => (json.replace(r#", "currency": "EUR""#, ""), "decode"),
        37 => (
            json.replace(
                &format!(r#""amount_cents": {}"#, order.amount_cents),
                r#""amount_cents": "12.50""#,
            ),
            "decode",
        ),
        41 => (
            json.replace(
                &format!(r#""customer_id": {}"#, order.customer_id),
                r#""customer_id": 4294967296"#,
            ),
            "decode",
        ),
        59 => (json.replace(r#""EUR""#, r#""EUROS""#), "convert"),
        73 => (
            json.replace(
                &format!(r#""amount_cents": {}"#, order.amount_cents),
                r#""amount_cents": -100"#,
            ),
            "constraint",
        ),
        _ => return None,
    };
    Some(bad)
}

#[test]
fn every_bad_message_is_a_dead_letter_once_and_every_good_one_a_row() {
    let database = fresh_database("bad_input");
    execute(&database, ORDERS_DDL);
    execute(
        &database,
        "ALTER TABLE orders ADD CONSTRAINT amount_not_negative CHECK (amount_cents >= 0)",
    );
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders_bad", PARTITIONS).expect("topic");
    let producer = BulkProducer::new(&kafka.bootstrap_servers()).expect("producer");
    let mut expected_letters = BTreeSet::new();
    let mut good_ids = 0u64;
    for i in 0..N {
        let order = W1Order::nth(i);
        // Message `i` goes to partition `i % 4` at offset `i / 4`.
        let partition = (i % PARTITIONS as u64) as i32;
        let payload = match corruption(i) {
            Some((payload, kind)) => {
                expected_letters.insert(format!("{partition} {} {kind}", i / 4));
                payload
            }
            None => {
                good_ids += i;
                order.json()
            }
        };
        producer
            .send_to(
                "orders_bad",
                partition,
                order.key().as_bytes(),
                payload.as_bytes(),
            )
            .expect("send");
    }
    producer.flush().expect("flush");

    let report = ingest::run(config(&kafka.bootstrap_servers(), &database, "orders_bad"))
        .expect("the run survives bad input");
    let bad = expected_letters.len() as u64;
    assert_eq!(bad, N / 100 * 6);
    assert_eq!(report.consumed, N);
    assert_eq!(report.dead_lettered, bad);
    assert_eq!(report.written, N - bad);
    assert!(report.reconciles(), "{report:?}");

    let letters: BTreeSet<String> = query_strings(
        &database,
        "SELECT CONCAT_WS(' ', `partition`, `offset`, kind) FROM sluice_dead_letters",
    )
    .into_iter()
    .collect();
    assert_eq!(letters, expected_letters);
    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM sluice_dead_letters"),
        bad as i64,
        "each bad message once"
    );
    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM orders"),
        (N - bad) as i64
    );
    assert_eq!(
        count(&database, "SELECT CAST(SUM(id) AS SIGNED) FROM orders"),
        good_ids as i64
    );
    // Undecodable messages keep their raw bytes and key; every letter says why.
    assert_eq!(
        count(
            &database,
            "SELECT COUNT(*) FROM sluice_dead_letters WHERE kind = 'decode' \
             AND (payload IS NULL OR `key` IS NULL)"
        ),
        0
    );
    let refused = query_strings(
        &database,
        "SELECT message FROM sluice_dead_letters WHERE kind = 'constraint' LIMIT 1",
    );
    assert!(
        refused[0].contains("amount_not_negative"),
        "the reason names the constraint: {refused:?}"
    );
}
