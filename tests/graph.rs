//! `--print-graph`: the dataflow each example declares, as Mermaid (and DOT) snapshots in
//! `tests/graphs/`. After a deliberate change, `SLUICE_BLESS=1 cargo test --test graph`
//! rewrites them; read the diff before committing.

mod common;

use std::path::PathBuf;

use common::example_command;

const EXAMPLES: [&str; 9] = [
    "ingest",
    "customer_minute",
    "alerts",
    "kafka_alerts",
    "kafka_to_kafka",
    "print",
    "table_copy",
    "backfill",
    "running_totals",
];

/// The graph `example` prints in `format`, with no broker or database reachable: printing it
/// connects to nothing.
fn printed(example: &str, format: &str) -> String {
    let output = example_command(
        example,
        &[
            "--print-graph",
            format,
            "--brokers",
            "127.0.0.1:9",
            "--database-url",
            "mysql://root@127.0.0.1:9/test",
        ],
    )
    .output()
    .expect("run the example");
    assert!(
        output.status.success(),
        "{example}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn assert_snapshot(file: &str, printed: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/graphs")
        .join(file);
    if std::env::var_os("SLUICE_BLESS").is_some() {
        std::fs::write(&path, printed).expect("write the snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (SLUICE_BLESS=1 writes it)", path.display()));
    assert_eq!(
        printed, expected,
        "{file} changed (SLUICE_BLESS=1 rewrites it)"
    );
}

#[test]
fn every_example_prints_its_dataflow_as_mermaid() {
    for example in EXAMPLES {
        assert_snapshot(&format!("{example}.mmd"), &printed(example, "mermaid"));
    }
}

#[test]
fn several_outputs_print_as_dot() {
    assert_snapshot("alerts.dot", &printed("alerts", "dot"));
}

#[test]
fn a_topic_given_on_the_command_line_is_the_graphs_source() {
    let output = example_command(
        "ingest",
        &["--print-graph", "mermaid", "--topic", "orders_eu"],
    )
    .output()
    .expect("run examples/ingest");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("n0[(\"Kafka topic `orders_eu`\")]"), "{text}");
}
