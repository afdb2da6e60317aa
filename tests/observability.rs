//! What an operator sees of a running job: the Prometheus endpoint, the live progress line on
//! a terminal, plain log lines (no escape codes) when piped, JSON logs for log shippers.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use sluice_testkit::workload::{self, ORDERS_DDL, PARTITIONS, W1Checksum};

const N: u64 = 20_000;

/// A database with the orders table and a tansu topic holding `N` W1 orders.
fn orders(test: &str, topic: &str) -> (String, Tansu) {
    let (database, tansu) = database_and_tansu_topic(test, &[ORDERS_DDL], topic, PARTITIONS);
    workload::produce_w1(&tansu.brokers, topic, 0..N).expect("produce");
    (database, tansu)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The body of `GET /metrics`, or `None` while nothing answers.
fn scrape(port: u16) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
}

/// The value of the sample whose name and labels start with `series` (labels in the
/// exporter's order), summed over every matching line.
fn sample(body: &str, series: &str) -> Option<f64> {
    let values: Vec<f64> = body
        .lines()
        .filter(|line| !line.starts_with('#') && line.starts_with(series))
        .filter_map(|line| line.rsplit(' ').next()?.parse().ok())
        .collect();
    (!values.is_empty()).then(|| values.iter().sum())
}

#[test]
fn the_metrics_endpoint_counts_what_the_job_wrote() {
    let topic = "orders_metrics";
    let (database, tansu) = orders("observability_metrics", topic);
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let child = pipeline_command(
        "ingest",
        (&tansu.brokers, &database, topic),
        &["--metrics-addr", &address],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("start examples/ingest");

    // Scraped while the job runs (it never ends by itself): until every order is written and
    // every partition's lag is reported as zero.
    let deadline = Instant::now() + Duration::from_secs(60);
    let body = loop {
        assert!(Instant::now() < deadline, "no complete scrape within 60 s");
        // The histogram is recorded as each transaction commits, the counters are read once
        // a second: a scrape may fall between the two.
        if let Some(body) = scrape(port)
            && sample(&body, "sluice_sink_rows_total{") == Some(N as f64)
            && body.matches("sluice_lag_messages{").count() == PARTITIONS as usize
            && sample(&body, "sluice_lag_messages{") == Some(0.0)
            && sample(&body, "sluice_transaction_seconds_count{")
                == sample(&body, "sluice_sink_transactions_total{")
        {
            break body;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    send_sigterm(&child);
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "{output:?}");

    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
    assert_eq!(
        sample(&body, "sluice_source_records_total{"),
        Some(N as f64),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "sluice_sink_rows_total{{pipeline=\"ingest.orders\",sink=\"orders\"}} {N}"
        )),
        "{body}"
    );
    let transactions = sample(&body, "sluice_sink_transactions_total{").expect("transactions");
    assert!(transactions >= 1.0, "{body}");
    assert!(
        body.contains(
            "sluice_transaction_seconds_count{pipeline=\"ingest.orders\",table=\"orders\"}"
        ),
        "{body}"
    );
    assert_eq!(sample(&body, "sluice_dead_letters_total{"), None, "{body}");
    assert!(body.contains("# HELP sluice_lag_messages"), "{body}");
}

#[test]
fn a_taken_metrics_port_is_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().expect("address").to_string();
    let (database, tansu) = orders("observability_taken_port", "orders_taken_port");
    let output = pipeline_command(
        "ingest",
        (&tansu.brokers, &database, "orders_taken_port"),
        &["--until-end", "--metrics-addr", &address],
    )
    .output()
    .expect("run examples/ingest");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("--metrics-addr {address}")),
        "{stderr}"
    );
}

/// Runs `ingest` over `topic` for five seconds (then SIGTERM) with `extra` arguments
/// and `RUST_LOG=info`, its output piped.
fn piped_for_five_seconds(database: &str, brokers: &str, topic: &str, extra: &[&str]) -> Output {
    let child = pipeline_command("ingest", (brokers, database, topic), extra)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start examples/ingest");
    std::thread::sleep(Duration::from_secs(5));
    send_sigterm(&child);
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "{output:?}");
    output
}

#[test]
fn on_a_terminal_a_live_line_shows_the_progress() {
    let topic = "orders_terminal";
    let (database, tansu) = orders("observability_terminal", topic);
    let binary = example_binary("ingest");
    // `script` gives the job a pseudo-terminal; `timeout` sends it SIGTERM after 8 s. Without
    // `--foreground`, timeout signals its whole process group too: the job can then see two
    // SIGTERMs, and the second one exits at once with 130, as it should.
    let job = format!(
        "timeout --foreground --preserve-status -s TERM 8 {} --brokers {} --database-url {database} --topic {topic}",
        binary.display(),
        tansu.brokers
    );
    let output = Command::new("script")
        .args(["-qec", &job, "/dev/null"])
        .env("RUST_LOG", "warn")
        .env_remove("SLUICE_BROKERS")
        .stdin(Stdio::null())
        .output()
        .expect("run script");
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{shown}");
    // How far the job got in eight seconds depends on the machine's load; what the line shows,
    // and that it is redrawn in place (escape codes clear it), does not.
    for part in [" read (", "/s), ", " rows written, lag ", " dead letters"] {
        assert!(shown.contains(part), "{part}: {shown}");
    }
    assert!(shown.contains('\u{1b}'), "{shown}");
}

#[test]
fn piped_progress_is_plain_log_lines() {
    let topic = "orders_piped";
    let (database, tansu) = orders("observability_piped", topic);
    let output = piped_for_five_seconds(
        &database,
        &tansu.brokers,
        topic,
        &["--progress-every", "500ms"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let progress: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("progress: "))
        .collect();
    assert!(progress.len() >= 2, "{stderr}");
    assert!(
        progress
            .iter()
            .all(|line| line.contains(" rows written, lag ")),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains('\u{1b}'));
}

#[test]
fn json_logs_are_one_object_per_line() {
    let topic = "orders_json_logs";
    let (database, tansu) = orders("observability_json", topic);
    let output = piped_for_five_seconds(
        &database,
        &tansu.brokers,
        topic,
        &["--log-format", "json", "--progress-every", "500ms"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines.len() >= 3, "{stderr}");
    for line in &lines {
        let object: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            object["level"].is_string() && object["fields"].is_object(),
            "{line}"
        );
    }
    assert!(stderr.contains("\"message\":\"starting\""), "{stderr}");
    assert!(stderr.contains("progress: "), "{stderr}");
}
