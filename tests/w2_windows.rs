//! Workload W2 end to end: per customer and minute of event time, the count and the sum of the
//! orders, through `key_by` / `window` / `aggregate`, into `customer_minute`.

mod common;

use std::time::{Duration, Instant};

use common::*;
use sluice_testkit::broker::{BulkProducer, EmbeddedKafka};
use sluice_testkit::workload::{self, CUSTOMER_MINUTE_DDL, ORDERS_DDL, PARTITIONS, W1Order};

fn with_workers(mut config: sluice::Config, workers: usize) -> sluice::Config {
    config.workers = workers;
    config
}

#[test]
fn w2_equals_the_group_by_over_the_same_orders_with_one_and_two_workers() {
    const N: u64 = 100_000;
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders_w2", PARTITIONS).expect("topic");
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, "orders_w2", 0..N).expect("produce");

    let two = fresh_database("w2_two_workers");
    execute(&two, ORDERS_DDL);
    execute(&two, CUSTOMER_MINUTE_DDL);
    ingest::run(config(&brokers, &two, "orders_w2")).expect("W1 into orders");
    let report = per_customer::run(with_workers(config(&brokers, &two, "orders_w2"), 2))
        .expect("W2 with 2 workers");
    assert_eq!(report.consumed, N);
    assert_eq!(report.aggregated, N, "every order counted in a window");
    assert_eq!(report.dead_lettered, 0);
    let expected = customer_minutes_grouped_by_mysql(&two);
    assert_eq!(
        expected.len(),
        2_000,
        "1,000 customers over 2 minutes of event time"
    );
    assert_eq!(report.written, expected.len() as u64);
    assert_eq!(customer_minute_lines(&two), expected);

    let one = fresh_database("w2_one_worker");
    execute(&one, CUSTOMER_MINUTE_DDL);
    per_customer::run(with_workers(config(&brokers, &one, "orders_w2"), 1))
        .expect("W2 with 1 worker");
    assert_eq!(
        customer_minute_lines(&one),
        customer_minute_lines(&two),
        "1 and 2 workers write the same table"
    );

    // Offsets are committed once the windows are written: a second run finds nothing to do.
    let again = per_customer::run(config(&brokers, &two, "orders_w2")).expect("rerun");
    assert_eq!(again.consumed, 0);
    let offsets: i64 = stored_offsets(&two, "per_customer.customer_minute")
        .iter()
        .map(|(_, o)| o)
        .sum();
    assert_eq!(offsets as u64, N);
}

/// Runs `per_customer` in the background until it has read `limit` messages.
fn run_in_background(
    config: sluice::Config,
    limit: u64,
) -> std::thread::JoinHandle<sluice::Result<sluice::RunReport>> {
    let mut config = config;
    config.until_end = false;
    config.limit = Some(limit);
    config.idle_timeout = Duration::from_millis(300);
    std::thread::spawn(move || per_customer::run(config))
}

/// Waits up to 30 s for `customer_minute` to hold `rows` rows.
fn wait_for_windows(database: &str, rows: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if customer_minute_lines(database).len() >= rows {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn send_order(producer: &BulkProducer, topic: &str, partition: i32, order: &W1Order, ts: i64) {
    let json = order.json().replace(
        &format!("\"ts\": {}", order.ts_millis),
        &format!("\"ts\": {ts}"),
    );
    producer
        .send_to(topic, partition, order.key().as_bytes(), json.as_bytes())
        .expect("send");
}

#[test]
fn an_idle_partition_does_not_keep_windows_open() {
    let database = fresh_database("w2_idle_partition");
    execute(&database, CUSTOMER_MINUTE_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders_idle", 4).expect("topic");
    let brokers = kafka.bootstrap_servers();
    let producer = BulkProducer::new(&brokers).expect("producer");
    // Three minutes of orders for customer `i % 10`, on partitions 0 to 2; partition 3 gets
    // nothing. Every order is on the customer's own partition, so its event times increase.
    let base = 1_767_225_600_000i64;
    let n = 1_800u64;
    for i in 0..n {
        let mut order = W1Order::nth(i);
        order.customer_id = (i % 9) as u32;
        send_order(
            &producer,
            "orders_idle",
            (i % 9 % 3) as i32,
            &order,
            base + i as i64 * 100,
        );
    }
    producer.flush().expect("flush");

    let running = run_in_background(config(&brokers, &database, "orders_idle"), n + 1);
    // 9 customers × the 2 minutes the watermark has passed (the third stays open).
    let closed = wait_for_windows(&database, 18);
    let last = W1Order::nth(n);
    send_order(&producer, "orders_idle", 0, &last, base + 10 * 60_000);
    producer.flush().expect("flush");
    let report = running.join().expect("pipeline thread").expect("run");
    assert!(closed, "windows closed while partition 3 had no data");
    assert_eq!(report.consumed, n + 1);
}

#[test]
fn records_later_than_their_window_are_dead_letters_and_in_no_window() {
    let database = fresh_database("w2_late");
    execute(&database, CUSTOMER_MINUTE_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders_late", 1).expect("topic");
    let brokers = kafka.bootstrap_servers();
    let producer = BulkProducer::new(&brokers).expect("producer");
    let base = 1_767_225_600_000i64;
    // Two minutes and a bit of orders for customer 1.
    let n = 130u64;
    for i in 0..n {
        let mut order = W1Order::nth(i);
        order.customer_id = 1;
        send_order(&producer, "orders_late", 0, &order, base + i as i64 * 1_000);
    }
    producer.flush().expect("flush");

    let late = 3u64;
    let running = run_in_background(config(&brokers, &database, "orders_late"), n + late);
    assert!(
        wait_for_windows(&database, 2),
        "the first two minutes closed"
    );
    // Now orders from the first minute: its window has closed, they are late.
    for i in 0..late {
        let mut order = W1Order::nth(n + i);
        order.customer_id = 1;
        send_order(&producer, "orders_late", 0, &order, base + 5_000);
    }
    producer.flush().expect("flush");
    let report = running.join().expect("pipeline thread").expect("run");

    assert_eq!(report.consumed, n + late);
    assert_eq!(report.dead_lettered, late);
    assert_eq!(report.aggregated, n);
    let letters = query_strings(
        &database,
        "SELECT CONCAT(`offset`, ' ', kind) FROM sluice_dead_letters ORDER BY `offset`",
    );
    let expected: Vec<String> = (n..n + late).map(|o| format!("{o} late")).collect();
    assert_eq!(letters, expected);
    // The first minute holds its 60 on-time orders only.
    assert_eq!(
        customer_minute_lines(&database),
        [
            "1 2026-01-01 00:00:00.000 60 54870",
            "1 2026-01-01 00:01:00.000 60 166470",
            "1 2026-01-01 00:02:00.000 10 38595",
        ]
    );
}

#[derive(Message)]
#[message(topic = "orders")]
struct Untimed {
    customer_id: u32,
}

#[pipeline]
fn untimed_windows(orders: Kafka<Untimed>) -> MySql<CustomerMinute> {
    orders
        .map(|o| o.customer_id)
        .key_by(|c| *c)
        .window(Tumbling::minutes(1))
        .aggregate(|window, &customer_id, orders| CustomerMinute {
            customer_id,
            window_start: window.start,
            orders: orders.count(),
            amount_cents: 0,
        })
}

#[test]
fn windows_over_a_message_without_event_time_stop_at_start_up() {
    let database = fresh_database("w2_untimed");
    execute(&database, CUSTOMER_MINUTE_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders_untimed", 2).expect("topic");
    workload::produce_w1(&kafka.bootstrap_servers(), "orders_untimed", 0..100).expect("produce");
    let error = untimed_windows::run(config(
        &kafka.bootstrap_servers(),
        &database,
        "orders_untimed",
    ))
    .expect_err("no event time");
    assert!(
        error
            .to_string()
            .contains("mark a field #[message(event_time)]"),
        "{error}"
    );
    assert!(customer_minute_lines(&database).is_empty());
}
