//! Values the DDL says a column cannot hold are set aside before they reach MySQL: `orders`
//! declares `currency CHAR(3)`, so an order in "EUROS" becomes a `convert` dead letter named by
//! its offset, and every other order is written.

mod common;

use common::*;
use sluice_testkit::broker::{BulkProducer, EmbeddedKafka};
use sluice_testkit::workload::{ORDERS_DDL, W1Order};

const N: u64 = 2_000;

fn too_long(i: u64) -> bool {
    i % 100 == 7
}

#[test]
fn a_value_longer_than_its_column_is_a_dead_letter_with_its_offset() {
    let database = fresh_database("limits_currency");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    // One partition, so that message `i` is at offset `i`.
    kafka.create_topic("orders_limits", 1).expect("topic");
    let producer = BulkProducer::new(&kafka.bootstrap_servers()).expect("producer");
    for i in 0..N {
        let order = W1Order::nth(i);
        let mut json = order.json();
        if too_long(i) {
            json = json.replace(r#""currency": "EUR""#, r#""currency": "EUROS""#);
        }
        producer
            .send("orders_limits", order.key().as_bytes(), json.as_bytes())
            .expect("send");
    }
    producer.flush().expect("flush");

    let report = ingest::run(config(
        &kafka.bootstrap_servers(),
        &database,
        "orders_limits",
    ))
    .expect("run");
    let rejected: Vec<u64> = (0..N).filter(|i| too_long(*i)).collect();
    assert_eq!(report.consumed, N);
    assert_eq!(report.dead_lettered, rejected.len() as u64);
    assert_eq!(report.written, N - rejected.len() as u64);

    let letters = query_strings(
        &database,
        "SELECT CONCAT(`offset`, ' ', kind, ' ', message) FROM sluice_dead_letters \
         ORDER BY `offset`",
    );
    let expected: Vec<String> = rejected
        .iter()
        .map(|i| {
            format!(
                "{i} convert column `currency`: \"EUROS\" has 5 characters and the column holds at most 3"
            )
        })
        .collect();
    assert_eq!(letters, expected);

    let written = query_strings(
        &database,
        "SELECT CAST(COUNT(*) AS CHAR) FROM orders WHERE currency = 'EUR'",
    );
    assert_eq!(written, [(N - rejected.len() as u64).to_string()]);
    let missing = query_strings(
        &database,
        "SELECT CAST(COUNT(*) AS CHAR) FROM orders WHERE id % 100 = 7",
    );
    assert_eq!(missing, ["0"]);
}
