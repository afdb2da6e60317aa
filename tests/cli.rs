//! The command line that `#[pipeline]` generates, run as a separate process (`examples/ingest`).

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::*;
use sluice::kafka::EmbeddedKafka;
use sluice::workload::{self, ORDERS_DDL, PARTITIONS, W1Checksum};

/// `cargo test` builds the examples next to the test binaries.
fn ingest_binary() -> PathBuf {
    let mut path = std::env::current_exe().expect("test binary path");
    path.pop();
    if path.ends_with("deps") {
        path.pop();
    }
    path.join("examples")
        .join(format!("ingest{}", std::env::consts::EXE_SUFFIX))
}

fn ingest(args: &[&str]) -> Output {
    let binary = ingest_binary();
    assert!(
        binary.exists(),
        "{} is built by `cargo test`",
        binary.display()
    );
    Command::new(binary)
        .args(args)
        .env_remove("SLUICE_BROKERS")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run examples/ingest")
}

fn stderr_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The process failed and said why in exactly one line, which contains `needle`.
fn assert_fails_with_one_line(output: &Output, needle: &str) {
    assert!(!output.status.success());
    let lines = stderr_lines(output);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(needle), "{lines:?}");
}

#[test]
fn runs_to_the_end_of_the_topic_from_the_command_line() {
    let database = fresh_database("cli_run");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders_cli", PARTITIONS).expect("topic");
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, "orders_cli", 0..2_000).expect("produce");

    let output = ingest(&[
        "--brokers",
        &brokers,
        "--database-url",
        &database,
        "--topic",
        "orders_cli",
        "--until-end",
        "--workers",
        "3",
    ]);
    assert!(output.status.success(), "{:?}", stderr_lines(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("consumed 2000 messages, wrote 2000 rows"),
        "{stdout}"
    );
    assert_eq!(w1_checksum(&database), W1Checksum::expected(2_000));
}

#[test]
fn missing_brokers_is_one_clear_line_and_a_failure() {
    let output = ingest(&["--until-end"]);
    assert_fails_with_one_line(&output, "no Kafka brokers: pass --brokers");
}

#[test]
fn an_unreachable_database_is_one_clear_line_and_a_failure() {
    let output = ingest(&[
        "--brokers",
        "127.0.0.1:9",
        "--database-url",
        "mysql://root@127.0.0.1:9/test",
    ]);
    assert_fails_with_one_line(&output, "Error: mysql: ");
}

#[test]
fn help_lists_the_options() {
    let output = ingest(&["--help"]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for option in [
        "--brokers",
        "--database-url",
        "--workers",
        "--from",
        "--pipeline-id",
        "--until-end",
        "SLUICE_BROKERS",
        "DATABASE_URL",
    ] {
        assert!(
            help.contains(option),
            "--help does not mention {option}:\n{help}"
        );
    }
}

#[test]
fn an_unknown_topic_is_one_clear_line_and_a_failure() {
    let database = fresh_database("cli_unknown_topic");
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    let output = ingest(&[
        "--brokers",
        &kafka.bootstrap_servers(),
        "--database-url",
        &database,
        "--topic",
        "no_such_topic",
    ]);
    assert_fails_with_one_line(&output, "kafka topic `no_such_topic`");
}
