//! The job rides out what fails around it: MySQL restarted or its connections killed, the
//! broker down or restarted, a database much slower than the input. The job runs as a child
//! process (`examples/ingest`); each test checks the final table against W1's checksum.

mod common;

use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use sluice_testkit::broker::{EmbeddedKafka, create_topic};
use sluice_testkit::workload::{self, ORDERS_DDL, PARTITIONS, W1Checksum};

fn ingest(brokers: &str, database: &str, extra: &[&str]) -> Child {
    let args = [
        &[
            "--brokers",
            brokers,
            "--database-url",
            database,
            "--epoch-ms",
            "100",
        ][..],
        extra,
    ]
    .concat();
    example_command("ingest", &args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start examples/ingest")
}

/// Waits for a bounded run, failing the test if it takes longer than `limit`.
fn finish(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("poll the job").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the job did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("job output");
    assert!(output.status.success(), "the job failed: {}", output.status);
    output
}

/// The orders table in `database`, its inserts slowed down, and orders `0..n` on an embedded
/// broker (returned with its address).
fn slow_table_and_orders(database: &str, n: u64) -> (EmbeddedKafka, String) {
    execute(database, ORDERS_DDL);
    throttle_inserts(database, "orders");
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders", PARTITIONS).expect("topic");
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, "orders", 0..n).expect("produce");
    (kafka, brokers)
}

const ORDERS_WRITTEN: &str = "SELECT COUNT(*) FROM orders";

/// The fault comes while the job still has orders to write.
fn assert_mid_run(database: &str, n: u64) {
    let written = count(database, ORDERS_WRITTEN);
    assert!(
        written < n as i64,
        "the job had written all {written} orders already"
    );
}

/// Everything arrived once: the checksum, no dead letters, offsets at the end of the topic.
fn assert_exactly_once(database: &str, n: u64) {
    assert_eq!(w1_checksum(database), W1Checksum::expected(n));
    assert_eq!(
        count(database, "SELECT COUNT(*) FROM sluice_dead_letters"),
        0
    );
    let stored: i64 = stored_offsets(database, "ingest.orders")
        .iter()
        .map(|(_, o)| o)
        .sum();
    assert_eq!(stored, n as i64);
}

#[test]
fn mysql_killed_and_restarted_mid_run_loses_and_doubles_nothing() {
    const N: u64 = 20_000;
    let mut mysql = PrivateMariaDb::start("faults_mysql_restart");
    let database = mysql.url();
    let (_kafka, brokers) = slow_table_and_orders(&database, N);

    let job = ingest(
        &brokers,
        &database,
        &["--until-end", "--rows-per-statement", "1000"],
    );
    wait_for_progress(&database, ORDERS_WRITTEN);
    assert_mid_run(&database, N);
    mysql.kill();
    std::thread::sleep(Duration::from_secs(2));
    mysql.restart();
    finish(job, Duration::from_secs(300));
    assert_exactly_once(&database, N);
}

#[test]
fn killed_connections_are_retried() {
    const N: u64 = 20_000;
    let database = fresh_database("faults_kill_connection");
    let schema = database
        .rsplit('/')
        .next()
        .expect("database name")
        .to_owned();
    let (_kafka, brokers) = slow_table_and_orders(&database, N);

    let mut job = ingest(
        &brokers,
        &database,
        &["--until-end", "--rows-per-statement", "1000"],
    );
    let mut killed = 0;
    while killed < 3 && job.try_wait().expect("poll").is_none() {
        std::thread::sleep(Duration::from_millis(700));
        let ids = query_strings(
            &database,
            &format!(
                "SELECT CAST(id AS CHAR) FROM information_schema.PROCESSLIST \
                 WHERE db = '{schema}' AND id <> CONNECTION_ID()"
            ),
        );
        for id in ids {
            // A connection may end on its own meanwhile: ignore failures.
            let _ = runtime().block_on(async {
                use sqlx::Connection;
                let mut conn = sqlx::MySqlConnection::connect(&database).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("KILL CONNECTION {id}")))
                    .execute(&mut conn)
                    .await
            });
            killed += 1;
        }
    }
    assert!(
        killed >= 3,
        "only {killed} connections were killed before the job ended"
    );
    finish(job, Duration::from_secs(300));
    assert_exactly_once(&database, N);
}

/// A slow sink, a small back-pressure bound and small fetches keep the source fetching from
/// the broker while it goes away and comes back.
fn slow_reader() -> Vec<&'static str> {
    [
        &[
            "--until-end",
            "--max-rows-in-flight",
            "2000",
            "--rows-per-statement",
            "500",
        ][..],
        &SMALL_FETCHES,
    ]
    .concat()
}

#[test]
fn the_embedded_broker_down_mid_run_loses_and_doubles_nothing() {
    // Enough orders that the throttled table takes seconds after the first row, on a loaded
    // machine too: the broker goes down while most of them are still to be fetched.
    const N: u64 = 60_000;
    let database = fresh_database("faults_broker_down");
    let (kafka, brokers) = slow_table_and_orders(&database, N);

    let job = ingest(&brokers, &database, &slow_reader());
    wait_for_progress(&database, ORDERS_WRITTEN);
    assert_mid_run(&database, N);
    kafka.take_down().expect("broker down");
    std::thread::sleep(Duration::from_secs(3));
    assert!(count(&database, "SELECT COUNT(*) FROM orders") < N as i64);
    kafka.bring_up().expect("broker up");
    finish(job, Duration::from_secs(300));
    assert_exactly_once(&database, N);
}

/// The broker process is killed and started again on the same storage while the job reads.
#[test]
fn a_tansu_broker_restarted_mid_run_loses_and_doubles_nothing() {
    const N: u64 = 10_000;
    let database = fresh_database("faults_tansu_restart");
    execute(&database, ORDERS_DDL);
    // Slow inserts in small transactions hold the job mid-run however fast tansu serves it:
    // read in one epoch, all 10,000 orders once went in the first transaction, before the
    // restart.
    throttle_inserts(&database, "orders");
    let mut tansu = DurableTansu::start();
    let brokers = tansu.brokers.clone();
    create_topic(&brokers, "orders", PARTITIONS).expect("topic");
    workload::produce_w1(&brokers, "orders", 0..N).expect("produce");

    let job = ingest(
        &brokers,
        &database,
        &[
            "--until-end",
            "--rows-per-statement",
            "500",
            "--max-rows-in-flight",
            "1000",
        ],
    );
    wait_for_progress(&database, ORDERS_WRITTEN);
    assert_mid_run(&database, N);
    tansu.restart();
    finish(job, Duration::from_secs(300));
    assert_exactly_once(&database, N);
}

/// The sink is throttled to a few thousand rows per second while a million orders wait: the
/// source must pause instead of buffering them.
#[test]
fn a_slow_database_keeps_memory_bounded() {
    const N: u64 = 1_000_000;
    const LIMIT_KIB: u64 = 200 * 1024;
    let database = fresh_database("faults_slow_sink");
    execute(&database, ORDERS_DDL);
    throttle_inserts(&database, "orders");
    let tansu = Tansu::start();
    create_topic(&tansu.brokers, "orders", PARTITIONS).expect("topic");
    workload::produce_w1(&tansu.brokers, "orders", 0..N).expect("produce");

    let mut job = ingest(&tansu.brokers, &database, &[]);
    let mut peak = 0;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(8) {
        assert!(job.try_wait().expect("poll").is_none(), "the job stopped");
        peak = peak_rss_kib(job.id()).unwrap_or(peak).max(peak);
        std::thread::sleep(Duration::from_millis(100));
    }
    job.kill().expect("kill");
    job.wait().expect("reap");
    let written = count(&database, "SELECT COUNT(*) FROM orders");
    eprintln!(
        "slow sink: peak RSS {} MiB after 8 s, {written} of {N} orders written",
        peak / 1024
    );
    assert!(
        written < N as i64 / 10,
        "the sink was not slow: {written} rows"
    );
    assert!(peak > 0, "no RSS sample");
    assert!(peak < LIMIT_KIB, "peak RSS {} MiB", peak / 1024);
}
