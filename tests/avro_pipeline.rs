//! Avro through a whole job: W1 orders written by the reference implementation in Confluent's
//! wire format, from Kafka into MySQL, with 1% of them corrupted or written with another
//! schema id: each a dead letter at its own offset, every other order a row. And a Kafka
//! output that writes Avro the reference reads back.

mod common;

use std::collections::BTreeSet;

use apache_avro::types::Value;
use apache_avro::{Schema, from_avro_datum, to_avro_datum};
use common::*;
use sluice_testkit::broker::{BulkProducer, EmbeddedKafka};
use sluice_testkit::workload::{self, ORDERS_DDL, PARTITIONS, W1Checksum, W1Order};

const N: u64 = 10_000;
const SCHEMA_ID: u32 = 3;

/// A W1 order as an Avro record of `tests/avro/w1_order.avsc`.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(
    topic = "orders_avro",
    format = "avro",
    schema = "tests/avro/w1_order.avsc",
    schema_id = 3
)]
struct AvroOrder {
    #[message(key)]
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: String,
    #[message(event_time)]
    ts: DateTime<Utc>,
}

impl From<AvroOrder> for OrderRow {
    fn from(o: AvroOrder) -> Self {
        OrderRow {
            id: o.id,
            customer_id: o.customer_id,
            amount_cents: o.amount_cents,
            currency: o.currency,
            ts: o.ts,
        }
    }
}

#[pipeline]
fn avro_ingest(orders: Kafka<AvroOrder>) -> MySql<OrderRow> {
    orders.map(OrderRow::from)
}

/// The JSON orders into the table, and each as Avro to `orders_avro`.
#[pipeline]
fn json_to_avro(orders: Kafka<Order>) -> (MySql<OrderRow>, Kafka<AvroOrder>) {
    let copies = orders.clone().map(|o| AvroOrder {
        id: o.id,
        customer_id: o.customer_id,
        amount_cents: o.amount_cents,
        currency: o.currency.clone(),
        ts: o.ts,
    });
    (orders.map(OrderRow::from), copies)
}

fn schema() -> Schema {
    Schema::parse_str(include_str!("avro/w1_order.avsc")).expect("the schema parses")
}

fn value(order: &W1Order, currency: &str) -> Value {
    Value::Record(vec![
        ("id".into(), Value::Long(order.id as i64)),
        ("customer_id".into(), Value::Int(order.customer_id as i32)),
        ("amount_cents".into(), Value::Long(order.amount_cents)),
        ("currency".into(), Value::String(currency.into())),
        ("ts".into(), Value::TimestampMillis(order.ts_millis)),
    ])
}

/// Order `i` in Confluent's wire format, written by the reference implementation.
fn payload(schema: &Schema, id: u32, value: Value) -> Vec<u8> {
    let mut payload = vec![0];
    payload.extend_from_slice(&id.to_be_bytes());
    payload.extend(to_avro_datum(schema, value).expect("the reference writes it"));
    payload
}

/// How message `i` is corrupted, if it is: the payload and the dead-letter kind expected.
fn corruption(schema: &Schema, i: u64) -> Option<(Vec<u8>, &'static str)> {
    let order = W1Order::nth(i);
    let good = payload(schema, SCHEMA_ID, value(&order, "EUR"));
    Some(match i % 100 {
        11 => (good[..good.len() / 2].to_vec(), "decode"),
        23 => (
            payload(schema, SCHEMA_ID + 1, value(&order, "EUR")),
            "decode",
        ),
        37 => (order.json().into_bytes(), "decode"),
        41 => {
            let mut negative = value(&order, "EUR");
            if let Value::Record(fields) = &mut negative {
                fields[1].1 = Value::Int(-1);
            }
            (payload(schema, SCHEMA_ID, negative), "decode")
        }
        59 => (
            payload(schema, SCHEMA_ID, value(&order, "EUROS")),
            "convert",
        ),
        67 => ([good.as_slice(), &[0]].concat(), "decode"),
        _ => return None,
    })
}

#[test]
fn avro_orders_become_rows_and_every_bad_record_a_dead_letter_at_its_offset() {
    let database = fresh_database("avro_ingest");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka
        .create_topic("orders_avro", PARTITIONS)
        .expect("topic");
    let schema = schema();
    let expected = produce_with_corruptions(
        &kafka.bootstrap_servers(),
        "orders_avro",
        N,
        |i| corruption(&schema, i),
        |i| payload(&schema, SCHEMA_ID, value(&W1Order::nth(i), "EUR")),
    );

    let report = avro_ingest::run(config(&kafka.bootstrap_servers(), &database, "orders_avro"))
        .expect("the run survives bad input");
    let bad = expected.letters.len() as u64;
    assert_eq!(bad, N / 100 * 6);
    assert_eq!(report.consumed, N);
    assert_eq!(report.dead_lettered, bad);
    assert!(report.reconciles(), "{report:?}");
    assert_eq!(dead_letter_places(&database), expected.letters);
    assert_eq!(w1_checksum(&database), expected.good);
    // Order 23 (partition 3, offset 5) was written with schema 4: the letter says so.
    let reasons = query_strings(
        &database,
        "SELECT message FROM sluice_dead_letters WHERE `partition` = 3 AND `offset` = 5",
    );
    assert!(
        reasons[0]
            .contains("written with schema id 4, but the struct was checked against schema id 3"),
        "{reasons:?}"
    );
}

#[test]
fn a_kafka_output_writes_avro_the_reference_reads() {
    const N: u64 = 2_000;
    let database = fresh_database("avro_output");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders", PARTITIONS).expect("topic");
    kafka.create_topic("orders_avro", 2).expect("topic");
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, "orders", 0..N).expect("produce");

    let report = json_to_avro::run(config(&brokers, &database, "orders")).expect("run");
    assert!(report.reconciles(), "{}", report.summary());
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
    let schema = schema();
    let records = read_topic(&brokers, "orders_avro", 2);
    assert_eq!(records.len() as u64, N, "each order once");
    let mut ids = BTreeSet::new();
    for record in &records {
        assert_eq!(record.payload[..5], [0, 0, 0, 0, SCHEMA_ID as u8]);
        let mut datum = &record.payload[5..];
        let read = from_avro_datum(&schema, &mut datum, None).expect("the reference reads it");
        let Value::Record(fields) = &read else {
            panic!("a record: {read:?}")
        };
        let Value::Long(id) = fields[0].1 else {
            panic!("an id: {read:?}")
        };
        assert_eq!(read, value(&W1Order::nth(id as u64), "EUR"));
        assert_eq!(record.key.as_deref(), Some(id.to_string().as_bytes()));
        ids.insert(id as u64);
    }
    assert_eq!(ids, (0..N).collect());
}

/// The W1 record as another producer wrote it: its fields in another order, `amount_cents` an
/// int (promoted to the reader's long), and a field the reader does not have.
const EVOLVED_AVSC: &str = r#"{"type": "record", "name": "Order", "namespace": "sluice.w1", "fields": [
    {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "channel", "type": "string"},
    {"name": "currency", "type": "string"},
    {"name": "amount_cents", "type": "int"},
    {"name": "customer_id", "type": "int"},
    {"name": "id", "type": "long"}
]}"#;
/// An older record without `currency`, which the reader needs and has no default for.
const WITHOUT_CURRENCY_AVSC: &str = r#"{"type": "record", "name": "Order", "namespace": "sluice.w1", "fields": [
    {"name": "id", "type": "long"},
    {"name": "customer_id", "type": "int"},
    {"name": "amount_cents", "type": "long"},
    {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}}
]}"#;
const EVOLVED_ID: u32 = 5;
const WITHOUT_CURRENCY_ID: u32 = 2;
const UNKNOWN_ID: u32 = 9;

/// An order as `EVOLVED_AVSC` holds it: fields reordered, one added, narrower integers.
fn evolved_value(order: &W1Order) -> Value {
    Value::Record(vec![
        ("ts".into(), Value::TimestampMillis(order.ts_millis)),
        ("channel".into(), Value::String("shop".into())),
        ("currency".into(), Value::String("EUR".into())),
        ("amount_cents".into(), Value::Int(order.amount_cents as i32)),
        ("customer_id".into(), Value::Int(order.customer_id as i32)),
        ("id".into(), Value::Long(order.id as i64)),
    ])
}

#[test]
fn with_a_schema_registry_other_writer_schemas_are_resolved_against_the_compiled_one() {
    const N: u64 = 2_000;
    let registry = TestRegistry::start(
        [
            (SCHEMA_ID, include_str!("avro/w1_order.avsc").to_owned()),
            (EVOLVED_ID, EVOLVED_AVSC.to_owned()),
            (WITHOUT_CURRENCY_ID, WITHOUT_CURRENCY_AVSC.to_owned()),
        ]
        .into(),
    );
    let database = fresh_database("avro_registry");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka
        .create_topic("orders_avro", PARTITIONS)
        .expect("topic");
    let producer = BulkProducer::new(&kafka.bootstrap_servers()).expect("producer");
    let (current, evolved) = (schema(), Schema::parse_str(EVOLVED_AVSC).expect("parses"));
    let old = Schema::parse_str(WITHOUT_CURRENCY_AVSC).expect("parses");
    let mut expected_letters = BTreeSet::new();
    let mut good = W1Checksum::default();
    for i in 0..N {
        let order = W1Order::nth(i);
        let partition = (i % PARTITIONS as u64) as i32;
        let at = format!("{partition} {}", i / 4);
        let payload = match i % 10 {
            3 => payload(&evolved, EVOLVED_ID, evolved_value(&order)),
            7 => {
                expected_letters.insert(format!("{at} {WITHOUT_CURRENCY_ID}"));
                let record = Value::Record(vec![
                    ("id".into(), Value::Long(order.id as i64)),
                    ("customer_id".into(), Value::Int(order.customer_id as i32)),
                    ("amount_cents".into(), Value::Long(order.amount_cents)),
                    ("ts".into(), Value::TimestampMillis(order.ts_millis)),
                ]);
                payload(&old, WITHOUT_CURRENCY_ID, record)
            }
            9 => {
                expected_letters.insert(format!("{at} {UNKNOWN_ID}"));
                payload(&current, UNKNOWN_ID, value(&order, "EUR"))
            }
            _ => payload(&current, SCHEMA_ID, value(&order, "EUR")),
        };
        if !matches!(i % 10, 7 | 9) {
            good.add(&order);
        }
        producer
            .send_to("orders_avro", partition, order.key().as_bytes(), &payload)
            .expect("send");
    }
    producer.flush().expect("flush");

    let mut config = config(&kafka.bootstrap_servers(), &database, "orders_avro");
    let with_credentials = registry.url.replace("http://", "http://reader:s3cret@");
    config.schema_registry_url = Some(with_credentials);
    let report = avro_ingest::run(config).expect("run");
    assert!(report.reconciles(), "{}", report.summary());
    assert_eq!(report.dead_lettered, expected_letters.len() as u64);
    assert_eq!(w1_checksum(&database), good, "every resolvable order, once");
    // Each letter names the schema id it was written with and why it is not read.
    let letters: BTreeSet<String> = query_strings(
        &database,
        "SELECT CONCAT_WS(' ', `partition`, `offset`, \
                CASE WHEN message LIKE '%schema id 2, which does not resolve%currency%' THEN 2 \
                     WHEN message LIKE '%schema id 9, which the Schema Registry at http://reader:***@%' THEN 9 \
                     ELSE message END) \
         FROM sluice_dead_letters",
    )
    .into_iter()
    .collect();
    assert_eq!(letters, expected_letters);
    // One request per schema id the job met, never for its own, with the credentials.
    let mut paths = registry.paths();
    paths.sort();
    assert_eq!(
        paths,
        ["/schemas/ids/2", "/schemas/ids/5", "/schemas/ids/9"]
    );
    let requests = registry.requests.lock().expect("requests");
    assert!(
        requests
            .iter()
            .all(|(_, auth)| auth.as_deref() == Some("Basic cmVhZGVyOnMzY3JldA==")),
        "{requests:?}"
    );
}

/// Orders `0..n` with every other one written with the evolved schema, on a new topic.
fn evolved_orders(test: &str, n: u64) -> (String, EmbeddedKafka) {
    let database = fresh_database(test);
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka
        .create_topic("orders_avro", PARTITIONS)
        .expect("topic");
    let producer = BulkProducer::new(&kafka.bootstrap_servers()).expect("producer");
    let evolved = Schema::parse_str(EVOLVED_AVSC).expect("parses");
    for i in 0..n {
        let order = W1Order::nth(i);
        let payload = if i % 2 == 0 {
            payload(&schema(), SCHEMA_ID, value(&order, "EUR"))
        } else {
            payload(&evolved, EVOLVED_ID, evolved_value(&order))
        };
        let partition = (i % PARTITIONS as u64) as i32;
        producer
            .send_to("orders_avro", partition, order.key().as_bytes(), &payload)
            .expect("send");
    }
    producer.flush().expect("flush");
    (database, kafka)
}

#[test]
fn a_registry_that_does_not_answer_stops_the_run_and_loses_nothing() {
    const N: u64 = 400;
    let (database, kafka) = evolved_orders("avro_registry_down", N);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let down = format!("http://{}", closed.local_addr().expect("an address"));
    drop(closed);
    let mut config = config(&kafka.bootstrap_servers(), &database, "orders_avro");
    config.schema_registry_url = Some(down);
    let error = avro_ingest::run(config.clone())
        .expect_err("no schema for id 5")
        .to_string();
    assert!(
        error.contains("schema registry") && error.contains("schema id 5"),
        "{error}"
    );
    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM sluice_dead_letters"),
        0
    );

    // Credentials the registry refuses stop the run too, rather than filling the dead letters.
    let registry = TestRegistry::requiring(
        [(EVOLVED_ID, EVOLVED_AVSC.to_owned())].into(),
        Some("Basic cmVhZGVyOnMzY3JldA==".to_owned()),
    );
    config.schema_registry_url = Some(registry.url.replace("http://", "http://reader:wrong@"));
    let error = avro_ingest::run(config.clone())
        .expect_err("refused")
        .to_string();
    assert!(
        error.contains("refused the credentials (HTTP 401)"),
        "{error}"
    );
    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM sluice_dead_letters"),
        0
    );

    // Once it answers, a restart reads every order.
    config.schema_registry_url = Some(registry.url.replace("http://", "http://reader:s3cret@"));
    let report = avro_ingest::run(config).expect("run");
    assert!(report.reconciles(), "{}", report.summary());
    assert_eq!(report.dead_lettered, 0);
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
}
