//! A record dated further ahead of the wall clock than `max_future` is a dead letter and does
//! not move the watermark: one absurd clock does not make every later record late.

mod common;

use std::collections::BTreeMap;

use common::*;
use sluice_testkit::broker::{BulkProducer, create_topic};
use sluice_testkit::workload::{CUSTOMER_MINUTE_DDL, W1Order};

const N: u64 = 3_000;
/// The order dated two days ahead of now.
const ABSURD: u64 = 1_000;

/// Produces `N` W1 orders into `topic`, the order at offset `ABSURD` dated `ahead_ms` past the
/// wall clock; returns the windows of every other order, as `dump` shows them.
fn orders_with_one_ahead(brokers: &str, topic: &str, ahead_ms: i64) -> Vec<String> {
    let producer = BulkProducer::new(brokers).expect("producer");
    let ahead = chrono::Utc::now().timestamp_millis() + ahead_ms;
    let mut expected: BTreeMap<(u32, i64), (i64, i64)> = BTreeMap::new();
    for i in 0..N {
        let mut order = W1Order::nth(i);
        if i == ABSURD {
            order.ts_millis = ahead;
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
    expected
        .into_iter()
        .map(|((customer, minute), (n, sum))| format!("{customer}|{minute}.000|{n}|{sum}"))
        .collect()
}

/// The one dead letter is the future-dated order, and every other window is exact.
fn assert_only_the_absurd_order_is_a_dead_letter(database: &str, expected: &[String]) {
    let letters = query_strings(
        database,
        "SELECT CONCAT(`partition`, '@', `offset`, ':', kind, ':', LENGTH(payload) > 0) \
         FROM sluice_dead_letters",
    );
    assert_eq!(letters, vec![format!("0@{ABSURD}:future:1")]);
    let windows = dump(
        database,
        "customer_minute",
        "customer_id, UNIX_TIMESTAMP(window_start) * 1000, orders, amount_cents",
        "customer_id, window_start",
    );
    assert_eq!(windows, expected);
}

#[test]
fn a_record_far_ahead_of_the_wall_clock_is_a_dead_letter_and_later_records_are_not_late() {
    let topic = "future_orders";
    let (database, kafka) =
        database_and_topic("future_event_time", &[CUSTOMER_MINUTE_DDL], topic, 1);
    let brokers = kafka.bootstrap_servers();
    let expected = orders_with_one_ahead(&brokers, topic, 2 * 86_400_000);

    let report = per_customer::run(config(&brokers, &database, topic)).expect("run");
    assert!(report.reconciles(), "{}", report.summary());
    assert_eq!(report.dead_lettered, 1, "{}", report.summary());
    assert_only_the_absurd_order_is_a_dead_letter(&database, &expected);
}

/// Half an hour ahead is within the default bound (1 hour); `--max-future 10m` on the command
/// line of the generated `main()` makes it a dead letter. On tansu.
#[test]
fn max_future_from_the_command_line_tightens_the_bound() {
    let topic = "future_orders_cli";
    let database = fresh_database("future_event_time_cli");
    execute(&database, CUSTOMER_MINUTE_DDL);
    let tansu = Tansu::start();
    create_topic(&tansu.brokers, topic, 1).expect("topic");
    let expected = orders_with_one_ahead(&tansu.brokers, topic, 30 * 60_000);

    let output = pipeline_command(
        "customer_minute",
        (&tansu.brokers, &database, topic),
        &["--until-end", "--max-future", "10m"],
    )
    .output()
    .expect("run examples/customer_minute");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("1 dead-lettered"), "{stdout}");
    assert_only_the_absurd_order_is_a_dead_letter(&database, &expected);
}
