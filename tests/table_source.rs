//! A MySQL table as the input (`examples/table_copy.rs`): 100,000 orders copied and transformed
//! into `order_summaries` over key ranges read by two workers, killed mid-scan and restarted,
//! ending equal to the same transformation done by MySQL.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::*;
use sluice_testkit::workload::{CUSTOMER_MINUTE_DDL, ORDERS_DDL};

const N: u64 = 100_000;

const SUMMARIES_DDL: &str = include_str!("../migrations/20260101000002_create_order_summaries.sql");

/// `orders` with ids `1..=n` (MariaDB's sequence engine), and an empty `order_summaries`.
fn orders_table(test: &str, n: u64) -> String {
    let database = fresh_database(test);
    execute(&database, ORDERS_DDL);
    execute(&database, SUMMARIES_DDL);
    execute(
        &database,
        &format!(
            "INSERT INTO orders (id, customer_id, amount_cents, currency, ts) \
             SELECT seq, (seq * 7919) % 1000, (seq * 31) % 100000, 'EUR', \
                    TIMESTAMPADD(MICROSECOND, seq * 86400, '2026-01-01 00:00:00') \
             FROM seq_1_to_{n}"
        ),
    );
    database
}

/// The summaries as MySQL computes them from `orders`, and as the job wrote them.
fn expected_and_written(database: &str) -> (Vec<String>, Vec<String>) {
    let expected = query_strings(
        database,
        "SELECT CONCAT_WS(' ', id, customer_id, amount_cents, DATE(ts)) FROM orders ORDER BY id",
    );
    let written = query_strings(
        database,
        "SELECT CONCAT_WS(' ', id, customer_id, amount_cents, day) FROM order_summaries ORDER BY id",
    );
    (expected, written)
}

fn copy_args(database: &str) -> Vec<&str> {
    vec![
        "--database-url",
        database,
        "--workers",
        "2",
        "--epoch-ms",
        "50",
    ]
}

#[test]
fn a_table_is_copied_and_transformed_over_key_ranges() {
    let database = orders_table("table_copy", N);
    let output = example_command("table_copy", &copy_args(&database))
        .output()
        .expect("run examples/table_copy");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (expected, written) = expected_and_written(&database);
    assert_eq!(expected.len(), N as usize);
    assert!(written == expected, "the copy differs from the source");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "consumed {N} = {N} written + 0 aggregated + 0 filtered + 0 dead-lettered + 0 replayed (reconciled)"
        )),
        "{stdout}"
    );
    // Two ranges, each stored as read to its end.
    let ranges = query_strings(
        &database,
        "SELECT CONCAT_WS(' ', s.range_no, s.first_key, s.last_key, o.next_offset) \
         FROM sluice_table_scans s JOIN sluice_offsets o \
           ON o.pipeline = s.pipeline AND o.topic = s.source_table AND o.`partition` = s.range_no \
         WHERE s.pipeline = 'summarize.order_summaries' ORDER BY s.range_no",
    );
    assert_eq!(ranges, ["0 1 50000 50001", "1 50001 100000 100001"]);

    // A second run finds every range read: nothing to do.
    let again = example_command("table_copy", &copy_args(&database))
        .output()
        .expect("run again");
    assert!(again.status.success());
    assert_eq!(consumed_in(&again.stdout), 0);
}

#[test]
fn a_copy_killed_mid_scan_resumes_where_it_was() {
    let mut rng = Seeded::from_env("table_copy_kill");
    let database = orders_table("table_copy_kill", N);
    // Slow enough that the scan is still under way when it is killed.
    throttle_inserts(&database, "order_summaries");
    let mut child = example_command("table_copy", &copy_args(&database))
        .stdout(Stdio::null())
        .spawn()
        .expect("start the copy");
    wait_for_progress(&database, "SELECT COUNT(*) FROM sluice_offsets");
    std::thread::sleep(Duration::from_millis(rng.between(0, 500)));
    assert!(child.try_wait().expect("poll").is_none(), "the copy ended");
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    let copied_before = count(&database, "SELECT COUNT(*) FROM order_summaries");
    assert!(copied_before < N as i64, "killed after the end");
    execute(&database, "DROP TRIGGER order_summaries_throttle");

    let output = example_command("table_copy", &copy_args(&database))
        .output()
        .expect("restart the copy");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (expected, written) = expected_and_written(&database);
    assert!(written == expected, "the copy differs from the source");
    let resumed = consumed_in(&output.stdout);
    assert!(
        resumed < N,
        "the restart read all {resumed} rows again instead of resuming"
    );
    eprintln!("killed with {copied_before} rows copied; the restart read {resumed}");
}

#[derive(Row)]
#[row(table = "customer_minute", key(customer_id, window_start))]
struct CustomerMinuteRow {
    customer_id: u32,
    window_start: DateTime<Utc>,
    orders: i64,
    amount_cents: i64,
}

/// A table with a composite key, which the table source cannot split yet.
#[pipeline]
fn copy_minutes(rows: MySqlTable<CustomerMinuteRow>) -> Print<u32> {
    rows.map(|r| r.customer_id)
}

#[test]
fn a_table_without_a_single_integer_key_is_refused_with_a_reason() {
    let database = fresh_database("table_copy_composite");
    execute(&database, CUSTOMER_MINUTE_DDL);
    let mut config = sluice::Config::default();
    config.database_url = database;
    let error = copy_minutes::run(config).expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("mark exactly one integer field #[row(key)]"),
        "{error}"
    );
}

#[derive(Message)]
#[message(topic = "order_ids")]
struct OrderId {
    #[message(key)]
    id: u64,
}

/// A table into a lone Kafka output: its positions have nowhere to go.
#[pipeline]
fn table_to_kafka(orders: MySqlTable<OrderRow>) -> Kafka<OrderId> {
    orders.map(|o| OrderId { id: o.id })
}

#[test]
fn a_table_into_a_lone_kafka_output_is_refused_with_a_reason() {
    let mut config = sluice::Config::default();
    config.brokers = "127.0.0.1:9".into();
    config.database_url = fresh_database("table_to_kafka");
    let error = table_to_kafka::run(config).expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("add a MySql<R> output, which stores this input's positions"),
        "{error}"
    );
}

#[test]
fn a_window_table_is_back_filled_from_the_history_table() {
    let database = orders_table("table_backfill", N);
    execute(&database, CUSTOMER_MINUTE_DDL);
    let output = example_command("backfill", &copy_args(&database))
        .output()
        .expect("run examples/backfill");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (written, grouped) = (
        customer_minute_lines(&database),
        customer_minutes_grouped_by_mysql(&database),
    );
    assert!(grouped.len() > 1_000, "{} windows", grouped.len());
    assert!(written == grouped, "the back-fill differs from GROUP BY");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("consumed {N} = 0 written + {N} aggregated")),
        "{stdout}"
    );
}
