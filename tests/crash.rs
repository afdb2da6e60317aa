//! Exactly-once when the job stops abruptly or is asked to stop. The job runs as a child
//! process; under `kill -9` at seeded random moments while orders keep arriving, and after a
//! SIGTERM, restarts must end with the table a clean run writes from the same topic.

mod common;

use std::process::{Child, Stdio};
use std::time::Duration;

use common::*;
use sluice_testkit::broker::EmbeddedKafka;
use sluice_testkit::workload::{self, CUSTOMER_MINUTE_DDL, ORDERS_DDL, PARTITIONS, W1Checksum};

const KILLS: u64 = 5;

struct Job {
    example: &'static str,
    pipeline: &'static str,
    table: &'static str,
    ddl: &'static str,
    columns: &'static str,
    order_by: &'static str,
    /// Kills land this many milliseconds after the start, at random.
    kill_after_ms: (u64, u64),
}

const W1: Job = Job {
    example: "ingest",
    pipeline: "ingest.orders",
    table: "orders",
    ddl: ORDERS_DDL,
    columns: "id, customer_id, amount_cents, currency, ts",
    order_by: "id",
    kill_after_ms: (50, 900),
};

const W2: Job = Job {
    example: "customer_minute",
    pipeline: "per_customer.customer_minute",
    table: "customer_minute",
    ddl: CUSTOMER_MINUTE_DDL,
    columns: "customer_id, window_start, orders, amount_cents",
    order_by: "customer_id, window_start",
    // A run re-reads from the oldest open window: give it time to get past one.
    kill_after_ms: (300, 2_500),
};

fn spawn(job: &Job, brokers: &str, database: &str, until_end: bool, extra: &[&str]) -> Child {
    let mut args = vec![
        "--brokers",
        brokers,
        "--database-url",
        database,
        "--workers",
        "2",
    ];
    if !extra.contains(&"--epoch-ms") {
        args.extend(["--epoch-ms", "50"]);
    }
    if until_end {
        args.push("--until-end");
    }
    args.extend_from_slice(extra);
    example_command(job.example, &args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the job")
}

/// Runs the job to the end of the topic; returns how many messages it consumed.
fn run_to_end(job: &Job, brokers: &str, database: &str) -> u64 {
    let output = spawn(job, brokers, database, true, &[])
        .wait_with_output()
        .expect("wait for the job");
    assert!(
        output.status.success(),
        "{} exited with {}",
        job.example,
        output.status
    );
    consumed_in(&output.stdout)
}

/// Orders `0..n` arrive in `KILLS + 1` slices. While each of the first `KILLS` slices is being
/// produced, the job (a streaming run) is started and killed with SIGKILL after a random delay;
/// then the last slice arrives and a final run reads to the end. Returns the database.
fn crash_run(job: &Job, test: &str, n: u64) -> String {
    let mut rng = Seeded::from_env(test);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders", PARTITIONS).expect("topic");
    let brokers = kafka.bootstrap_servers();
    let database = fresh_database(test);
    execute(&database, job.ddl);

    let slice = n / (KILLS + 1);
    for k in 0..KILLS {
        let mut child = spawn(job, &brokers, &database, false, &[]);
        workload::produce_w1(&brokers, "orders", k * slice..(k + 1) * slice).expect("produce");
        let delay = rng.between(job.kill_after_ms.0, job.kill_after_ms.1);
        std::thread::sleep(Duration::from_millis(delay));
        assert!(
            child.try_wait().expect("poll the job").is_none(),
            "a streaming run ended by itself"
        );
        child.kill().expect("kill -9");
        child.wait().expect("reap the job");
        eprintln!("{test}: kill {} after {delay} ms", k + 1);
    }
    workload::produce_w1(&brokers, "orders", KILLS * slice..n).expect("produce");
    run_to_end(job, &brokers, &database);
    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM sluice_dead_letters"),
        0
    );
    let stored: i64 = stored_offsets(&database, job.pipeline)
        .iter()
        .map(|(_, next)| next)
        .sum();
    assert_eq!(
        stored, n as i64,
        "the stored offsets cover every order once"
    );
    database
}

/// A fresh database with the job's table, and a broker holding orders `0..n`.
fn topic_and_table(job: &Job, test: &str, n: u64) -> (EmbeddedKafka, String) {
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders", PARTITIONS).expect("topic");
    workload::produce_w1(&kafka.bootstrap_servers(), "orders", 0..n).expect("produce");
    let database = fresh_database(test);
    execute(&database, job.ddl);
    (kafka, database)
}

fn clean_run(job: &Job, test: &str, n: u64) -> Vec<String> {
    let (kafka, database) = topic_and_table(job, test, n);
    run_to_end(job, &kafka.bootstrap_servers(), &database);
    dump(&database, job.table, job.columns, job.order_by)
}

/// Starts a streaming run, sends it SIGTERM once `progress` (a count) is positive, and expects
/// exit status 0. Returns how many messages it consumed.
fn terminate(job: &Job, brokers: &str, database: &str, progress: &str, extra: &[&str]) -> u64 {
    let child = spawn(job, brokers, database, false, extra);
    wait_for_progress(database, progress);
    send_sigterm(&child);
    let output = child.wait_with_output().expect("wait for the job");
    assert!(output.status.success(), "after SIGTERM: {}", output.status);
    consumed_in(&output.stdout)
}

#[test]
fn w1_killed_five_times_equals_a_clean_run() {
    const N: u64 = 50_000;
    let database = crash_run(&W1, "crash_w1", N);
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
    let crashed = dump(&database, W1.table, W1.columns, W1.order_by);
    assert!(
        crashed == clean_run(&W1, "crash_w1_clean", N),
        "the tables differ"
    );
}

/// 150,000 orders span two and a half minutes of event time, so windows close (and are
/// written) while the job runs and between kills, not only at the end.
#[test]
fn w2_killed_five_times_equals_a_clean_run() {
    const N: u64 = 150_000;
    let database = crash_run(&W2, "crash_w2", N);
    let crashed = dump(&database, W2.table, W2.columns, W2.order_by);
    let clean = clean_run(&W2, "crash_w2_clean", N);
    assert_eq!(clean.len(), 3_000);
    assert!(crashed == clean, "the tables differ");
}

#[test]
fn w1_stopped_by_sigterm_commits_what_it_read_and_a_restart_reads_the_rest() {
    const N: u64 = 30_000;
    let (kafka, database) = topic_and_table(&W1, "sigterm_w1", N);
    let brokers = kafka.bootstrap_servers();
    // A slow table and a small back-pressure bound: the job is mid-run when the signal comes.
    throttle_inserts(&database, "orders");
    let slow = [
        &[
            "--max-rows-in-flight",
            "2000",
            "--rows-per-statement",
            "500",
        ][..],
        &SMALL_FETCHES,
    ]
    .concat();
    let first = terminate(
        &W1,
        &brokers,
        &database,
        "SELECT COUNT(*) FROM orders",
        &slow,
    );
    assert!(
        first > 0 && first < N,
        "SIGTERM came mid-run: {first} of {N} read"
    );
    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM orders"),
        first as i64
    );
    let stored: i64 = stored_offsets(&database, W1.pipeline)
        .iter()
        .map(|(_, o)| o)
        .sum();
    assert_eq!(
        stored, first as i64,
        "offsets committed for every row written"
    );

    let rest = run_to_end(&W1, &brokers, &database);
    assert_eq!(first + rest, N, "the restart read nothing twice");
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
}

#[test]
fn w2_stopped_by_sigterm_leaves_open_windows_to_the_restart() {
    const N: u64 = 150_000;
    let (kafka, database) = topic_and_table(&W2, "sigterm_w2", N);
    let brokers = kafka.bootstrap_servers();
    // Long epochs: the whole backlog is read in the first one, so the windows that fire and
    // the one left open hold records of the same epoch. The watermark is stored all the same
    // once the first minutes' windows are written, while the last minute's stays open.
    let first = terminate(
        &W2,
        &brokers,
        &database,
        "SELECT COUNT(*) FROM sluice_watermarks",
        &["--epoch-ms", "16000"],
    );
    assert!(first > 0, "SIGTERM came before any message was read");
    run_to_end(&W2, &brokers, &database);
    let stopped = dump(&database, W2.table, W2.columns, W2.order_by);
    assert!(
        stopped == clean_run(&W2, "sigterm_w2_clean", N),
        "the tables differ"
    );
}
