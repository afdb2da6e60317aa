//! One job as two processes of timely's cluster mode on loopback (`--processes 2 --process I
//! --hostfile FILE`, one worker each): the tables equal a one-process run's; a process killed
//! with SIGKILL makes the other exit with an error, and starting both again ends with exact
//! tables; a process that fails stops the other with its reason.

mod common;

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use sluice_testkit::broker::EmbeddedKafka;
use sluice_testkit::workload::{self, CUSTOMER_MINUTE_DDL, ORDERS_DDL, PARTITIONS, W1Checksum};

const N: u64 = 50_000;

/// Process `process` of two running `example` from `brokers`' `topic` into `database`.
fn process_command(
    example: &str,
    (brokers, database, topic): (&str, &str, &str),
    hostfile: &Hostfile,
    process: usize,
    extra: &[&str],
) -> Command {
    let process = process.to_string();
    let hostfile = hostfile.arg();
    let mut args = if extra.contains(&"--workers") {
        vec![]
    } else {
        vec!["--workers", "1"]
    };
    args.extend([
        "--processes",
        "2",
        "--process",
        &process,
        "--hostfile",
        hostfile,
        "--epoch",
        "50ms",
    ]);
    args.extend_from_slice(extra);
    let mut command = pipeline_command(example, (brokers, database, topic), &args);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

fn spawn_both(
    example: &str,
    target: (&str, &str, &str),
    hostfile: &Hostfile,
    extra: &[&str],
) -> Vec<Child> {
    (0..2)
        .map(|process| {
            process_command(example, target, hostfile, process, extra)
                .spawn()
                .expect("start a process")
        })
        .collect()
}

/// Runs both processes to the end of the topic; each must succeed. Returns what they consumed
/// together.
fn run_both_to_end(example: &str, target: (&str, &str, &str), test: &str) -> u64 {
    let hostfile = Hostfile::for_two(test);
    let outputs: Vec<Output> = spawn_both(example, target, &hostfile, &["--until-end"])
        .into_iter()
        .map(|child| child.wait_with_output().expect("wait for a process"))
        .collect();
    for (process, output) in outputs.iter().enumerate() {
        assert!(
            output.status.success(),
            "process {process} exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    outputs.iter().map(|o| consumed_in(&o.stdout)).sum()
}

/// Waits up to `limit` for `child` to exit.
fn exit_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().expect("poll a process") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn stderr_of(child: Child) -> String {
    let output = child.wait_with_output().expect("reap a process");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn total_offsets(database: &str, pipeline: &str) -> i64 {
    stored_offsets(database, pipeline)
        .iter()
        .map(|(_, next)| next)
        .sum()
}

#[test]
fn w1_and_w2_on_two_processes_write_the_tables_of_one_process() {
    let kafka = broker();
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, "orders", 0..N).expect("produce");

    let cluster = fresh_database("cluster_two_processes");
    execute(&cluster, ORDERS_DDL);
    execute(&cluster, CUSTOMER_MINUTE_DDL);
    let target = (brokers.as_str(), cluster.as_str(), "orders");
    assert_eq!(run_both_to_end("ingest", target, "cluster_w1"), N);
    assert_eq!(w1_checksum(&cluster), W1Checksum::expected(N));
    assert_eq!(total_offsets(&cluster, "ingest.orders"), N as i64);
    assert_eq!(
        count(&cluster, "SELECT COUNT(*) FROM sluice_offsets"),
        i64::from(PARTITIONS),
        "one offsets table, a row per partition"
    );

    assert_eq!(run_both_to_end("customer_minute", target, "cluster_w2"), N);
    let expected = customer_minutes_grouped_by_mysql(&cluster);
    assert_eq!(
        expected.len(),
        1_000,
        "1,000 customers over 1 minute of event time"
    );
    assert_eq!(customer_minute_lines(&cluster), expected);
    assert_eq!(
        total_offsets(&cluster, "per_customer.customer_minute"),
        N as i64
    );

    let alone = fresh_database("cluster_one_process");
    execute(&alone, CUSTOMER_MINUTE_DDL);
    succeeded(&mut pipeline_command(
        "customer_minute",
        (&brokers, &alone, "orders"),
        &["--workers", "2", "--until-end"],
    ));
    assert_eq!(
        customer_minute_lines(&alone),
        customer_minute_lines(&cluster)
    );
    assert_eq!(
        count(&cluster, "SELECT COUNT(*) FROM sluice_dead_letters"),
        0
    );
}

/// Kills per test: each lands at a seeded moment while orders arrive.
const KILLS: u64 = 3;

/// Orders arrive on `brokers` in `KILLS + 1` slices. While each of the first `KILLS` arrives,
/// both processes run and, after a seeded delay, one of them is killed with SIGKILL: the other
/// must exit with an error within seconds. Then the last slice arrives and both are started
/// again, to the end.
fn kill_one_and_restart(example: &str, test: &str, brokers: &str, database: &str) {
    let mut rng = Seeded::from_env(test);
    let target = (brokers, database, "orders");
    let slice = N / (KILLS + 1);
    for k in 0..KILLS {
        let hostfile = Hostfile::for_two(test);
        let mut children = spawn_both(
            example,
            target,
            &hostfile,
            &["--cluster-join-timeout", "5s"],
        );
        workload::produce_w1(brokers, "orders", k * slice..(k + 1) * slice).expect("produce");
        let delay = rng.between(100, 1_500);
        std::thread::sleep(Duration::from_millis(delay));
        let victim = rng.between(0, 2) as usize;
        eprintln!("{test}: SIGKILL to process {victim} after {delay} ms");
        for child in children.iter_mut() {
            assert!(
                child.try_wait().expect("poll").is_none(),
                "a streaming process ended"
            );
        }
        children[victim].kill().expect("kill -9");
        let mut survivor = children.remove(1 - victim);
        let status = exit_within(&mut survivor, Duration::from_secs(30));
        let _ = survivor.kill();
        let stderr = stderr_of(survivor);
        let status =
            status.unwrap_or_else(|| panic!("the other process is still running: {stderr}"));
        assert!(
            !status.success(),
            "the other process exited with success: {stderr}"
        );
        // Killed after the cluster formed, or (a kill within milliseconds) before.
        assert!(
            stderr.contains("cluster: the connection to another process of the cluster was lost")
                || stderr.contains("(--cluster-join-timeout) for process(es)"),
            "{stderr}"
        );
    }
    workload::produce_w1(brokers, "orders", KILLS * slice..N).expect("produce");
    assert!(run_both_to_end(example, target, test) <= N);
}

/// A broker holding an empty `orders` topic.
fn broker() -> EmbeddedKafka {
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders", PARTITIONS).expect("topic");
    kafka
}

#[test]
fn a_killed_process_stops_the_other_and_a_restart_of_both_is_exact_for_w1() {
    let kafka = broker();
    let database = fresh_database("cluster_kill_w1");
    execute(&database, ORDERS_DDL);
    kill_one_and_restart(
        "ingest",
        "cluster_kill_w1",
        &kafka.bootstrap_servers(),
        &database,
    );
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
    assert_eq!(total_offsets(&database, "ingest.orders"), N as i64);
    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM sluice_dead_letters"),
        0
    );
}

#[test]
fn a_killed_process_stops_the_other_and_a_restart_of_both_is_exact_for_w2() {
    let kafka = broker();
    let brokers = kafka.bootstrap_servers();
    let database = fresh_database("cluster_kill_w2");
    execute(&database, CUSTOMER_MINUTE_DDL);
    kill_one_and_restart("customer_minute", "cluster_kill_w2", &brokers, &database);
    assert_eq!(
        total_offsets(&database, "per_customer.customer_minute"),
        N as i64
    );
    // The same orders into `orders` by one process, for MySQL's GROUP BY.
    orders_from_topic(&brokers, &database);
    let expected = customer_minutes_grouped_by_mysql(&database);
    assert_eq!(
        expected.len(),
        1_000,
        "1,000 customers over 1 minute of event time"
    );
    assert_eq!(customer_minute_lines(&database), expected);
    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM sluice_dead_letters"),
        0
    );
}

#[test]
fn a_process_that_fails_stops_the_other_with_its_reason() {
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders", 2).expect("topic");
    let brokers = kafka.bootstrap_servers();
    let database = fresh_database("cluster_failure");
    execute(&database, ORDERS_DDL);
    // Partition 1 belongs to the worker of process 1: it is the one to read the bad messages.
    let producer = sluice_testkit::broker::BulkProducer::new(&brokers).expect("producer");
    for i in 0..3_000u32 {
        producer
            .send_to("orders", 1, format!("{i}").as_bytes(), b"not json")
            .expect("produce");
    }
    producer.flush().expect("flush");
    let hostfile = Hostfile::for_two("cluster_failure");
    let target = (brokers.as_str(), database.as_str(), "orders");
    let mut children = spawn_both(
        "ingest",
        target,
        &hostfile,
        &["--max-dead-letter-ratio", "0.1"],
    );
    let failing = children.remove(1);
    let mut other = children.remove(0);
    let status = exit_within(&mut other, Duration::from_secs(60));
    let _ = other.kill();
    let stderr = stderr_of(other);
    assert!(
        status.is_some_and(|s| !s.success()),
        "process 0: {status:?}: {stderr}"
    );
    assert!(
        stderr.contains("cluster: process 1 stopped:") && stderr.contains("dead letters"),
        "process 0 names process 1 and its reason: {stderr}"
    );
    let failing_stderr = stderr_of(failing);
    assert!(failing_stderr.contains("dead letters"), "{failing_stderr}");
}

#[test]
fn a_process_whose_peer_never_comes_gives_up_after_the_join_timeout() {
    let kafka = broker();
    let brokers = kafka.bootstrap_servers();
    let database = fresh_database("cluster_join_timeout");
    execute(&database, ORDERS_DDL);
    let hostfile = Hostfile::for_two("cluster_join_timeout");
    let target = (brokers.as_str(), database.as_str(), "orders");
    // Process 0 waits for a connection, process 1 tries to make one: each alone.
    for process in 0..2 {
        let started = Instant::now();
        let output = process_command(
            "ingest",
            target,
            &hostfile,
            process,
            &["--cluster-join-timeout", "2s"],
        )
        .output()
        .expect("a process alone");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(started.elapsed() < Duration::from_secs(30), "gave up late");
        let other = 1 - process;
        assert!(
            stderr.contains(&format!(
                "cluster: process {process} waited 2s (--cluster-join-timeout) for process(es) {other} (127.0.0.1:"
            )),
            "{stderr}"
        );
        assert!(
            String::from_utf8_lossy(&output.stdout).trim().is_empty(),
            "nothing on stdout while waiting: {}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}

#[test]
fn processes_of_different_shapes_refuse_each_other() {
    let kafka = broker();
    let brokers = kafka.bootstrap_servers();
    let database = fresh_database("cluster_shapes");
    execute(&database, ORDERS_DDL);
    let hostfile = Hostfile::for_two("cluster_shapes");
    let target = (brokers.as_str(), database.as_str(), "orders");
    let first = process_command(
        "ingest",
        target,
        &hostfile,
        0,
        &["--cluster-join-timeout", "20s"],
    )
    .spawn()
    .expect("process 0");
    // Process 1 has two workers, process 0 one.
    let second = process_command(
        "ingest",
        target,
        &hostfile,
        1,
        &["--cluster-join-timeout", "20s", "--workers", "2"],
    )
    .spawn()
    .expect("process 1");
    for (process, child) in [first, second].into_iter().enumerate() {
        let output = child.wait_with_output().expect("a process");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "process {process}: {stderr}");
        assert!(
            stderr.contains("as 2 processes of 2 worker(s)")
                && stderr.contains("as 2 processes of 1 worker(s)")
                && stderr.contains("the same job with the same options"),
            "process {process}: {stderr}"
        );
    }
}

#[test]
fn a_signal_to_one_process_stops_both_gracefully_and_a_restart_is_exact() {
    // Two and a half minutes of event time: windows are written while the job runs.
    const ORDERS: u64 = 150_000;
    let kafka = broker();
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, "orders", 0..ORDERS).expect("produce");
    let database = fresh_database("cluster_sigterm");
    execute(&database, CUSTOMER_MINUTE_DDL);
    let target = (brokers.as_str(), database.as_str(), "orders");
    let hostfile = Hostfile::for_two("cluster_sigterm");
    let children = spawn_both("customer_minute", target, &hostfile, &[]);
    wait_for_progress(&database, "SELECT COUNT(*) FROM sluice_watermarks");
    send_sigterm(&children[1]);
    let mut first = 0;
    for (process, child) in children.into_iter().enumerate() {
        let output = child.wait_with_output().expect("a process");
        assert!(
            output.status.success(),
            "process {process} after SIGTERM to process 1: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        first += consumed_in(&output.stdout);
    }
    assert!(first > 0, "the signal came before anything was read");
    let again = run_both_to_end("customer_minute", target, "cluster_sigterm");
    eprintln!("cluster_sigterm: {first} read before the signal, {again} after");
    assert!(again > 0, "the open windows' records are read again");
    assert_eq!(
        total_offsets(&database, "per_customer.customer_minute"),
        ORDERS as i64
    );
    orders_from_topic(&brokers, &database);
    let expected = customer_minutes_grouped_by_mysql(&database);
    assert_eq!(expected.len(), 3_000, "1,000 customers over 3 minutes");
    assert_eq!(customer_minute_lines(&database), expected);
}
