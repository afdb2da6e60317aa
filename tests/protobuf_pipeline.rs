//! Protobuf through a whole job: W1 orders written by prost, from Kafka into MySQL, with 1% of
//! them corrupted, each a dead letter at its own offset and every other order a row; and a
//! Kafka output that writes protobuf prost reads back.

mod common;

use std::collections::BTreeSet;

use common::*;
use prost::Message as _;
use sluice_testkit::broker::EmbeddedKafka;
use sluice_testkit::workload::{self, ORDERS_DDL, PARTITIONS, W1Checksum, W1Order};

const N: u64 = 10_000;

/// A W1 order as `Order` of `tests/protobuf/w1_order.proto`; amounts fit an `i32` here.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(
    topic = "orders_proto",
    format = "protobuf",
    schema = "tests/protobuf/w1_order.proto"
)]
struct ProtoOrder {
    #[message(key)]
    id: u64,
    customer_id: u32,
    amount_cents: i32,
    currency: String,
    #[message(event_time)]
    ts_millis: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ProstOrder {
    #[prost(uint64, tag = "1")]
    id: u64,
    #[prost(uint32, tag = "2")]
    customer_id: u32,
    #[prost(int64, tag = "3")]
    amount_cents: i64,
    #[prost(string, tag = "4")]
    currency: String,
    #[prost(int64, tag = "5")]
    ts_millis: i64,
}

impl ProstOrder {
    fn nth(i: u64) -> ProstOrder {
        let order = W1Order::nth(i);
        ProstOrder {
            id: order.id,
            customer_id: order.customer_id,
            amount_cents: order.amount_cents,
            currency: "EUR".to_owned(),
            ts_millis: order.ts_millis,
        }
    }
}

fn row(o: ProtoOrder) -> OrderRow {
    OrderRow {
        id: o.id,
        customer_id: o.customer_id,
        amount_cents: i64::from(o.amount_cents),
        currency: o.currency,
        ts: DateTime::from_timestamp_millis(o.ts_millis).unwrap_or_default(),
    }
}

#[pipeline]
fn proto_ingest(orders: Kafka<ProtoOrder>) -> MySql<OrderRow> {
    orders.map(row)
}

/// The JSON orders into the table, and each as protobuf to `orders_proto`.
#[pipeline]
fn json_to_proto(orders: Kafka<Order>) -> (MySql<OrderRow>, Kafka<ProtoOrder>) {
    let copies = orders.clone().map(|o| ProtoOrder {
        id: o.id,
        customer_id: o.customer_id,
        amount_cents: o.amount_cents as i32,
        currency: o.currency.clone(),
        ts_millis: o.ts.timestamp_millis(),
    });
    (orders.map(OrderRow::from), copies)
}

/// How message `i` is corrupted, if it is: the payload and the dead-letter kind expected.
fn corruption(i: u64) -> Option<(Vec<u8>, &'static str)> {
    let good = ProstOrder::nth(i);
    let bytes = good.encode_to_vec();
    let currency_at = bytes.windows(3).position(|w| w == b"EUR")?;
    Some(match i % 100 {
        11 => (bytes[..currency_at + 1].to_vec(), "decode"),
        23 => (W1Order::nth(i).json().into_bytes(), "decode"),
        37 => {
            let mut wide = good;
            wide.amount_cents = 1 << 40;
            (wide.encode_to_vec(), "decode")
        }
        41 => {
            let mut long = good;
            long.currency = "EUROS".to_owned();
            (long.encode_to_vec(), "convert")
        }
        59 => {
            let mut text = bytes;
            text[currency_at + 1] = 0xff;
            (text, "decode")
        }
        67 => {
            // Field 1 (uint64) as a length-delimited value.
            let mut wrong = vec![0x0a, 1, b'7'];
            wrong.extend_from_slice(&bytes[2..]);
            (wrong, "decode")
        }
        _ => return None,
    })
}

#[test]
fn protobuf_orders_become_rows_and_every_bad_message_a_dead_letter_at_its_offset() {
    let database = fresh_database("proto_ingest");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka
        .create_topic("orders_proto", PARTITIONS)
        .expect("topic");
    let expected = produce_with_corruptions(
        &kafka.bootstrap_servers(),
        "orders_proto",
        N,
        corruption,
        |i| ProstOrder::nth(i).encode_to_vec(),
    );

    let report = proto_ingest::run(config(
        &kafka.bootstrap_servers(),
        &database,
        "orders_proto",
    ))
    .expect("the run survives bad input");
    let bad = expected.letters.len() as u64;
    assert_eq!(bad, N / 100 * 6);
    assert_eq!(report.consumed, N);
    assert_eq!(report.dead_lettered, bad);
    assert!(report.reconciles(), "{report:?}");
    assert_eq!(dead_letter_places(&database), expected.letters);
    assert_eq!(w1_checksum(&database), expected.good);
    // Order 37 (partition 1, offset 9): its amount does not fit the struct's i32.
    let reasons = query_strings(
        &database,
        "SELECT message FROM sluice_dead_letters WHERE `partition` = 1 AND `offset` = 9",
    );
    assert!(
        reasons[0].starts_with("field `amount_cents`: number out of range for an integer (i32)"),
        "{reasons:?}"
    );
}

#[test]
fn a_kafka_output_writes_protobuf_prost_reads() {
    const N: u64 = 2_000;
    let database = fresh_database("proto_output");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders", PARTITIONS).expect("topic");
    kafka.create_topic("orders_proto", 2).expect("topic");
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, "orders", 0..N).expect("produce");

    let report = json_to_proto::run(config(&brokers, &database, "orders")).expect("run");
    assert!(report.reconciles(), "{}", report.summary());
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
    let records = read_topic(&brokers, "orders_proto", 2);
    assert_eq!(records.len() as u64, N, "each order once");
    let mut ids = BTreeSet::new();
    for record in &records {
        let order = ProstOrder::decode(record.payload.as_slice()).expect("prost reads it");
        assert_eq!(order, ProstOrder::nth(order.id));
        assert_eq!(record.payload, order.encode_to_vec(), "prost's bytes");
        assert_eq!(record.key.as_deref(), Some(order.id.to_string().as_bytes()));
        ids.insert(order.id);
    }
    assert_eq!(ids, (0..N).collect());
}
