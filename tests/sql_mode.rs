//! A lax server cannot corrupt rows silently: sink sessions add a strict `sql_mode` to the
//! server's. On a MariaDB started with an empty `sql_mode`, a `latin1` column given characters
//! it cannot hold would store `?` in their place; through sluice the row becomes a
//! `constraint` dead letter under its offset, and every other row is written as sent.

mod common;

use common::*;
use sluice_testkit::broker::BulkProducer;
use sluice_testkit::workload::{ORDERS_DDL, W1Order};

const N: u64 = 500;

/// Orders whose currency `latin1` cannot hold (three characters: the struct's check passes).
fn not_latin1(i: u64) -> bool {
    i % 50 == 13
}

#[test]
fn a_lax_server_cannot_replace_characters_a_column_cannot_hold() {
    let server = PrivateMariaDb::start_with("sql_mode", &["--sql-mode="]);
    let database = server.url();
    let ddl = ORDERS_DDL.replace(
        "currency CHAR(3) NOT NULL",
        "currency CHAR(3) CHARACTER SET latin1 NOT NULL",
    );
    assert_ne!(ddl, ORDERS_DDL);
    execute(&database, &ddl);
    // The server is lax indeed: a session of its own stores `?` without an error.
    execute(
        &database,
        "SET SESSION sql_mode = ''; \
         INSERT INTO orders VALUES (999999, 1, 1, '円円円', '2024-01-01 00:00:00')",
    );
    assert_eq!(
        query_strings(&database, "SELECT currency FROM orders WHERE id = 999999"),
        ["???"]
    );
    execute(&database, "DELETE FROM orders");

    let kafka = Tansu::start();
    // One partition, so that message `i` is at offset `i`.
    kafka.create_topic("orders_sql_mode", 1).expect("topic");
    let producer = BulkProducer::new(&kafka.bootstrap_servers()).expect("producer");
    for i in 0..N {
        let order = W1Order::nth(i);
        let mut json = order.json();
        if not_latin1(i) {
            json = json.replace(r#""currency": "EUR""#, r#""currency": "円円円""#);
        }
        producer
            .send("orders_sql_mode", order.key().as_bytes(), json.as_bytes())
            .expect("send");
    }
    producer.flush().expect("flush");

    let report = ingest::run(config(
        &kafka.bootstrap_servers(),
        &database,
        "orders_sql_mode",
    ))
    .expect("run");
    let rejected: Vec<u64> = (0..N).filter(|i| not_latin1(*i)).collect();
    assert_eq!(report.consumed, N);
    assert_eq!(report.written, N - rejected.len() as u64);
    assert_eq!(report.dead_lettered, rejected.len() as u64);

    let letters = query_strings(
        &database,
        "SELECT CONCAT(`offset`, ' ', kind) FROM sluice_dead_letters ORDER BY `offset`",
    );
    let expected: Vec<String> = rejected.iter().map(|i| format!("{i} constraint")).collect();
    assert_eq!(letters, expected);
    // Every order was sent in EUR: nothing else, `?` included, may be stored.
    assert_eq!(
        count(
            &database,
            "SELECT COUNT(*) FROM orders WHERE currency <> 'EUR'"
        ),
        0
    );
}
