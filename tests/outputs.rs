//! Several outputs and the print sink: one read of a topic feeding a table and printed alerts,
//! exactly-once for the table and at-least-once for the prints across `kill -9`; a print-only
//! run that needs no database; two tables from one job.

mod common;

use std::collections::BTreeSet;
use std::process::Output;

use common::*;
use sluice_testkit::broker::{BulkProducer, EmbeddedKafka};
use sluice_testkit::workload::{self, ORDERS_DDL, PARTITIONS, W1Checksum, W1Order};

/// `examples/alerts.rs` prints orders of at least this many cents.
const LARGE_CENTS: i64 = 90_000;

fn expected_alerts(orders: std::ops::Range<u64>) -> BTreeSet<u64> {
    orders
        .filter(|&i| W1Order::nth(i).amount_cents >= LARGE_CENTS)
        .collect()
}

/// The order ids of the alert lines a run printed; each line must be a whole alert.
fn printed_alerts(stdout: &[u8]) -> Vec<u64> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| {
            let alert: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{line:?} is not one JSON alert: {e}"));
            let id = alert["order_id"].as_u64().expect("order_id");
            let order = W1Order::nth(id);
            assert_eq!(alert["amount_cents"].as_i64(), Some(order.amount_cents));
            assert_eq!(
                alert["customer_id"].as_u64(),
                Some(u64::from(order.customer_id))
            );
            id
        })
        .collect()
}

fn summary(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.starts_with('{'))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn one_read_of_the_topic_feeds_the_table_and_the_printed_alerts() {
    const N: u64 = 3_000;
    let database = fresh_database("outputs_alerts");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders", PARTITIONS).expect("topic");
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, "orders", 0..N).expect("produce");

    let output = example_command(
        "alerts",
        &[
            "--brokers",
            &brokers,
            "--database-url",
            &database,
            "--until-end",
        ],
    )
    .output()
    .expect("run examples/alerts");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
    let alerts = printed_alerts(&output.stdout);
    let expected = expected_alerts(0..N);
    assert!(!expected.is_empty());
    assert_eq!(alerts.len(), expected.len(), "each alert printed once");
    assert_eq!(alerts.into_iter().collect::<BTreeSet<_>>(), expected);
    // Every order was read once: into the table, and copied to the alerts' branch where the
    // small ones were filtered out.
    let alerts = expected.len();
    let summary = summary(&output);
    assert!(
        summary.contains(&format!(
            "consumed {N} + {N} added by flat_map or copied = {} written + 0 aggregated + {} \
             filtered + 0 dead-lettered + 0 replayed (reconciled)",
            N as usize + alerts,
            N as usize - alerts
        )),
        "{summary}"
    );
    let stored: i64 = stored_offsets(&database, "alerts.orders")
        .iter()
        .map(|(_, next)| next)
        .sum();
    assert_eq!(stored, N as i64);
}

#[test]
fn killed_while_printing_alerts_the_table_stays_exact_and_no_alert_is_lost() {
    const N: u64 = 30_000;
    const KILLS: u64 = 3;
    let mut rng = Seeded::from_env("outputs_kill");
    let database = fresh_database("outputs_kill");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders", PARTITIONS).expect("topic");
    let brokers = kafka.bootstrap_servers();
    let args = [
        "--brokers",
        &brokers,
        "--database-url",
        &database,
        "--epoch-ms",
        "50",
        "--workers",
        "2",
    ];

    let runs = kill_while_producing(
        |args| example_command("alerts", args),
        &args,
        &brokers,
        (N, KILLS),
        &mut rng,
    );
    let printed: Vec<u64> = runs.iter().flat_map(|out| printed_alerts(out)).collect();

    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
    let expected = expected_alerts(0..N);
    let seen: BTreeSet<u64> = printed.iter().copied().collect();
    assert_eq!(seen, expected, "every alert printed at least once");
    eprintln!(
        "{} alerts, {} lines printed over {} runs",
        expected.len(),
        printed.len(),
        KILLS + 1
    );
}

#[test]
fn a_print_only_run_prints_json_lines_and_needs_no_database() {
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("print_orders", 2).expect("topic");
    let brokers = kafka.bootstrap_servers();
    let producer = BulkProducer::new(&brokers).expect("producer");
    let orders = [
        r#"{"id": 1, "customer_id": 7, "amount_cents": 1500, "currency": "USD", "ts": 1767225600000}"#,
        r#"{"id": 2, "customer_id": 8, "amount_cents": 2500, "currency": "EUR", "ts": 1767225600001}"#,
        r#"{"id": 3, "customer_id": 9, "amount_cents": -40, "currency": "GBP", "ts": 1767225600002}"#,
        r#"{"id": 4, "customer_id": "#,
    ];
    for (i, order) in orders.iter().enumerate() {
        producer
            .send_to("print_orders", (i % 2) as i32, b"k", order.as_bytes())
            .expect("send");
    }
    producer.flush().expect("flush");

    let output = example_command(
        "print",
        &[
            "--brokers",
            &brokers,
            "--topic",
            "print_orders",
            "--until-end",
        ],
    )
    .env_remove("DATABASE_URL")
    .output()
    .expect("run examples/print");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with('{')).collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            r#"{"id":1,"customer_id":7,"amount_cents":1500,"currency":"USD","ts":"2026-01-01T00:00:00Z"}"#,
            r#"{"id":3,"customer_id":9,"amount_cents":-40,"currency":"GBP","ts":"2026-01-01T00:00:00.002Z"}"#,
        ]
    );
    assert!(
        stdout.contains(
            "consumed 4 = 2 written + 0 aggregated + 1 filtered + 1 dead-lettered + 0 replayed (reconciled)"
        ),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("dead letter (not stored: no output stores them)")
            && stderr.contains("offset=1"),
        "the undecodable order is logged: {stderr}"
    );
}
