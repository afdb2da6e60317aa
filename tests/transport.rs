//! The Kafka client is built with compression and TLS/SASL: a pipeline reads zstd- and
//! lz4-compressed topics from a real broker (tansu), and `SASL_SSL` with SCRAM is accepted by
//! librdkafka (the run gets as far as asking the brokers, instead of stopping at a client
//! that cannot be configured).

mod common;

use std::time::Duration;

use common::*;
use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use sluice_testkit::workload::{ORDERS_DDL, PARTITIONS, W1Checksum, W1Order};

const N: u64 = 3_000;

/// Orders `0..N` on `topic`, in batches compressed with `codec`.
fn produce_compressed(brokers: &str, topic: &str, codec: &str) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("compression.type", codec)
        .set("linger.ms", "20")
        .create()
        .unwrap_or_else(|e| panic!("a producer with compression.type={codec}: {e}"));
    for i in 0..N {
        let order = W1Order::nth(i);
        let (key, json) = (order.key(), order.json());
        let mut record = BaseRecord::to(topic)
            .key(key.as_bytes())
            .payload(json.as_bytes());
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((e, back)) => {
                    assert!(
                        matches!(
                            e.rdkafka_error_code(),
                            Some(rdkafka::types::RDKafkaErrorCode::QueueFull)
                        ),
                        "send: {e}"
                    );
                    producer.poll(Duration::from_millis(10));
                    record = back;
                }
            }
        }
        producer.poll(Duration::ZERO);
    }
    producer
        .flush(Duration::from_secs(30))
        .expect("flush the compressed orders");
}

#[test]
fn a_pipeline_reads_zstd_and_lz4_compressed_topics() {
    let tansu = Tansu::start();
    for codec in ["zstd", "lz4"] {
        let database = fresh_database(&format!("transport_{codec}"));
        execute(&database, ORDERS_DDL);
        let topic = format!("orders_{codec}");
        sluice_testkit::broker::create_topic(&tansu.brokers, &topic, PARTITIONS).expect("topic");
        produce_compressed(&tansu.brokers, &topic, codec);

        let report = ingest::run(config(&tansu.brokers, &database, &topic)).expect("run");
        assert_eq!(report.consumed, N, "{codec}");
        assert_eq!(report.written, N, "{codec}");
        assert_eq!(report.dead_lettered, 0, "{codec}");
        assert_eq!(w1_checksum(&database), W1Checksum::expected(N), "{codec}");
    }
}

#[test]
fn sasl_ssl_with_scram_is_accepted_by_librdkafka() {
    let database = fresh_database("transport_sasl_ssl");
    execute(&database, ORDERS_DDL);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let output = example_command(
        "ingest",
        &[
            "--brokers",
            &closed.to_string(),
            "--database-url",
            &database,
            "-X",
            "security.protocol=SASL_SSL",
            "-X",
            "sasl.mechanisms=SCRAM-SHA-256",
            "-X",
            "sasl.username=sluice",
            "-X",
            "sasl.password=hunter2",
        ],
    )
    .output()
    .expect("run examples/ingest");

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    // The client was created and asked the (absent) brokers for the topic.
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with(&format!(
            "Error: kafka topic `orders` on {closed}: no metadata within 10s: "
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
