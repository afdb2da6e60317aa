//! A record dated further ahead of the wall clock than `max_future` is a dead letter and does
//! not move the watermark: one absurd clock does not make every later record late.

mod common;

use std::collections::BTreeMap;

use common::*;
use sluice_testkit::broker::BulkProducer;
use sluice_testkit::workload::{CUSTOMER_MINUTE_DDL, W1Order};

const N: u64 = 3_000;
/// The order dated two days ahead of now.
const ABSURD: u64 = 1_000;

#[test]
fn a_record_far_ahead_of_the_wall_clock_is_a_dead_letter_and_later_records_are_not_late() {
    let topic = "future_orders";
    let (database, kafka) =
        database_and_topic("future_event_time", &[CUSTOMER_MINUTE_DDL], topic, 1);
    let brokers = kafka.bootstrap_servers();
    let producer = BulkProducer::new(&brokers).expect("producer");
    let two_days_ahead = chrono::Utc::now().timestamp_millis() + 2 * 86_400_000;
    let mut expected: BTreeMap<(u32, i64), (i64, i64)> = BTreeMap::new();
    for i in 0..N {
        let mut order = W1Order::nth(i);
        if i == ABSURD {
            order.ts_millis = two_days_ahead;
        } else {
            let minute = order.ts_millis.div_euclid(60_000) * 60_000;
            let window = expected.entry((order.customer_id, minute)).or_default();
            window.0 += 1;
            window.1 += order.amount_cents;
        }
        producer
            .send(topic, order.key().as_bytes(), order.json().as_bytes())
            .expect("produce");
    }
    producer.flush().expect("flush");

    let report = per_customer::run(config(&brokers, &database, topic)).expect("run");
    assert!(report.reconciles(), "{}", report.summary());
    assert_eq!(report.dead_lettered, 1, "{}", report.summary());
    let letters = query_strings(
        &database,
        "SELECT CONCAT(`partition`, '@', `offset`, ':', kind, ':', LENGTH(payload) > 0) \
         FROM sluice_dead_letters",
    );
    assert_eq!(letters, vec![format!("0@{ABSURD}:future:1")]);
    let windows = dump(
        &database,
        "customer_minute",
        "customer_id, UNIX_TIMESTAMP(window_start) * 1000, orders, amount_cents",
        "customer_id, window_start",
    );
    let expected: Vec<String> = expected
        .into_iter()
        .map(|((customer, minute), (n, sum))| format!("{customer}|{minute}.000|{n}|{sum}"))
        .collect();
    assert_eq!(windows, expected);
}
