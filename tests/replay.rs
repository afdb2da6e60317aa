//! After a restart, whether a record is a replay is decided by its offset: records the earlier
//! run had read before its windows fired are replays; a new record whose windows have closed
//! is late, and a dead letter, whatever the stored watermark says.

mod common;

use std::process::{Command, Stdio};

use common::*;
use sluice::kafka::{BulkProducer, EmbeddedKafka};
use sluice::workload::{CUSTOMER_MINUTE_DDL, FIRST_TS_MILLIS};

const TOPIC: &str = "replay_orders";
const PIPELINE: &str = "replay_test";
/// Orders one second of event time apart: windows close and are written while the job runs.
const ORDERS: i64 = 600;

fn order(id: i64, ts: i64) -> String {
    format!(
        r#"{{"id": {id}, "customer_id": {}, "amount_cents": {}, "currency": "EUR", "ts": {ts}}}"#,
        id % 7,
        id * 3
    )
}

fn produce(producer: &BulkProducer, ids: std::ops::Range<i64>, ts: impl Fn(i64) -> i64) {
    for id in ids {
        producer
            .send_to(
                TOPIC,
                0,
                id.to_string().as_bytes(),
                order(id, ts(id)).as_bytes(),
            )
            .expect("produce");
    }
    producer.flush().expect("flush");
}

fn job(brokers: &str, database: &str, extra: &[&str]) -> Command {
    let mut args = vec![
        "--brokers",
        brokers,
        "--database-url",
        database,
        "--topic",
        TOPIC,
        "--pipeline-id",
        PIPELINE,
        "--workers",
        "2",
        "--epoch-ms",
        "20",
        "--idle-timeout-ms",
        "100000",
    ];
    args.extend_from_slice(extra);
    let mut command = example_command("customer_minute", &args);
    command.stdout(Stdio::piped());
    command
}

#[test]
fn a_new_record_behind_the_restored_watermark_is_late_not_replayed() {
    let database = fresh_database("replay_late");
    execute(&database, CUSTOMER_MINUTE_DDL);
    let kafka = EmbeddedKafka::start().expect("embedded kafka");
    kafka.create_topic(TOPIC, 1).expect("topic");
    let brokers = kafka.bootstrap_servers();
    let producer = BulkProducer::new(&brokers).expect("producer");
    produce(&producer, 0..ORDERS, |id| FIRST_TS_MILLIS + id * 1_000);

    // A streaming run, stopped by SIGTERM once windows well past the first minutes are written:
    // the last minute's window is open, so its records' offsets stay uncommitted.
    let child = job(&brokers, &database, &SMALL_FETCHES)
        .spawn()
        .expect("start the job");
    wait_for_progress(
        &database,
        &format!(
            "SELECT COUNT(*) FROM sluice_watermarks WHERE pipeline = '{PIPELINE}' AND watermark > {}",
            FIRST_TS_MILLIS + 300_000
        ),
    );
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(sent.success());
    let output = child.wait_with_output().expect("wait for the job");
    assert!(output.status.success(), "after SIGTERM: {}", output.status);
    let committed = stored_offsets(&database, PIPELINE);
    assert_eq!(committed.len(), 1);
    assert!(
        committed[0].1 < ORDERS,
        "the open window's records stay uncommitted: {committed:?}"
    );

    // A new order, never read before, in the first minute: its window was written long ago.
    produce(&producer, ORDERS..ORDERS + 1, |_| FIRST_TS_MILLIS + 5_000);
    let output = job(&brokers, &database, &["--until-end"])
        .output()
        .expect("run to the end");
    assert!(output.status.success(), "restart: {}", output.status);
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(summary.contains("reconciled"), "{summary}");

    let late = query_strings(
        &database,
        &format!(
            "SELECT CONCAT(`partition`, '@', `offset`, ':', kind) FROM sluice_dead_letters \
             WHERE pipeline = '{PIPELINE}' ORDER BY `offset`"
        ),
    );
    assert_eq!(late, vec![format!("0@{ORDERS}:late")]);
    // Every window holds exactly the orders of the first run's topic: nothing twice, the late
    // order in none.
    let windows = dump(
        &database,
        "customer_minute",
        "customer_id, window_start, orders, amount_cents",
        "customer_id, window_start",
    );
    let mut expected = std::collections::BTreeMap::new();
    for id in 0..ORDERS {
        let minute = (FIRST_TS_MILLIS + id * 1_000) / 60_000 * 60_000;
        let entry = expected.entry((id % 7, minute)).or_insert((0, 0));
        entry.0 += 1;
        entry.1 += id * 3;
    }
    let expected: Vec<String> = expected
        .into_iter()
        .map(|((customer, minute), (n, sum))| {
            let start = chrono::DateTime::from_timestamp_millis(minute).expect("a time");
            format!(
                "{customer}|{}|{n}|{sum}",
                start.format("%Y-%m-%d %H:%M:%S%.3f")
            )
        })
        .collect();
    assert_eq!(windows, expected);
}
