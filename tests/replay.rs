//! After a restart, whether a record is a replay is decided by its offset: records the earlier
//! run had read before its windows fired are replays; a new record whose windows have closed
//! is late, and a dead letter, whatever the stored watermark says.

mod common;

use std::process::{Child, Command, Stdio};

use common::*;
use sluice_testkit::broker::BulkProducer;
use sluice_testkit::workload::{CUSTOMER_MINUTE_DDL, FIRST_TS_MILLIS};

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

fn job(brokers: &str, database: &str, epoch_ms: &str, extra: &[&str]) -> Command {
    let mut args = vec![
        "--pipeline-id",
        PIPELINE,
        "--workers",
        "2",
        "--epoch-ms",
        epoch_ms,
        "--idle-timeout-ms",
        "100000",
    ];
    args.extend_from_slice(extra);
    let mut command = pipeline_command("customer_minute", (brokers, database, TOPIC), &args);
    command.stdout(Stdio::piped());
    command
}

/// A child job that is killed if the test fails before it stops it.
struct KillOnDrop(Option<Child>);

impl KillOnDrop {
    /// `kill -9`, and waits for the process to be gone.
    fn kill(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.kill();
    }
}

#[test]
fn a_new_record_behind_the_restored_watermark_is_late_not_replayed() {
    let (database, kafka) =
        database_and_tansu_topic("replay_late", &[CUSTOMER_MINUTE_DDL], TOPIC, 1);
    let brokers = kafka.bootstrap_servers();
    let producer = BulkProducer::new(&brokers).expect("producer");
    let ts = |id| FIRST_TS_MILLIS + id * 1_000;
    let stored_state = format!(
        "SELECT CONCAT(COALESCE(o.next_offset, '-'), ' ', w.watermark - {FIRST_TS_MILLIS}, ' ', \
         r.read_until) AS state FROM sluice_watermarks w \
         JOIN sluice_watermark_offsets r USING (pipeline) \
         LEFT JOIN sluice_offsets o USING (pipeline, topic, `partition`) \
         WHERE pipeline = '{PIPELINE}'"
    );
    let reached = |state: &str| {
        wait_for_progress(
            &database,
            &format!("SELECT COUNT(*) FROM ({stored_state}) s WHERE s.state = '{state}'"),
        )
    };

    // Five minutes of orders, all read in the first epoch (it lasts five seconds): the first
    // four minutes' windows fire and are written, the fifth holds the epoch, so the watermark
    // is stored without offsets.
    produce(&producer, 0..ORDERS / 2, ts);
    let mut child = KillOnDrop(Some(
        job(&brokers, &database, "40000", &[])
            .spawn()
            .expect("start the job"),
    ));
    reached("- 299000 300");
    // Five more minutes and one order two minutes later, read in one later epoch: the fifth
    // minute's window fires, which commits the first epoch's offsets with the watermark the
    // later epoch reached, while the last order's window holds that epoch.
    produce(&producer, ORDERS / 2..ORDERS, ts);
    produce(&producer, ORDERS..ORDERS + 1, |_| FIRST_TS_MILLIS + 660_000);
    reached("300 660000 601");
    child.kill();
    let stored = query_strings(&database, &stored_state);
    assert_eq!(stored, ["300 660000 601"]);

    // A new order, never read before, in the first minute: its window was written long ago.
    produce(&producer, ORDERS + 1..ORDERS + 2, |_| {
        FIRST_TS_MILLIS + 5_000
    });
    let output = job(&brokers, &database, "20", &["--until-end"])
        .output()
        .expect("run to the end");
    assert!(output.status.success(), "restart: {}", output.status);
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(summary.contains("reconciled"), "{summary}");
    // Read again from offset 300: minutes 5 to 9 were written: replays. The last order's
    // window is built again; the new order is late.
    assert_eq!(consumed_in(&output.stdout), 302);
    assert!(
        summary.contains("+ 1 dead-lettered + 300 replayed"),
        "{summary}"
    );

    let late = query_strings(
        &database,
        &format!(
            "SELECT CONCAT(`partition`, '@', `offset`, ':', kind) FROM sluice_dead_letters \
             WHERE pipeline = '{PIPELINE}' ORDER BY `offset`"
        ),
    );
    assert_eq!(late, vec![format!("0@{}:late", ORDERS + 1)]);
    // Every window holds exactly the orders of the first run's topic: nothing twice, the late
    // order in none.
    let windows = dump(
        &database,
        "customer_minute",
        "customer_id, window_start, orders, amount_cents",
        "customer_id, window_start",
    );
    let mut expected = std::collections::BTreeMap::new();
    for id in 0..=ORDERS {
        let at = if id < ORDERS {
            ts(id)
        } else {
            FIRST_TS_MILLIS + 660_000
        };
        let minute = at / 60_000 * 60_000;
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
