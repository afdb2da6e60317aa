//! The decoders `#[derive(Message)]` generates, each against its format's reference crate with
//! a derived `Deserialize`, on the W1 message of WORKLOADS.md: JSON against
//! `serde_json::from_slice` (owned and borrowed), CSV against the `csv` crate, Avro (Confluent's
//! wire format) against `apache-avro`'s `from_avro_datum` into its `Value` and then the struct
//! with `apache_avro::from_value`, protobuf against `prost`'s derive, and a Debezium change
//! event holding the order against `serde_json` into a derived envelope.
//!
//! `cargo bench --bench decode`

use std::hint::black_box;
use std::io::{Cursor, SeekFrom};

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::Deserialize;
use serde_order::SerdeOrder;
use sluice::Message;
use sluice_testkit::workload::W1Order;

#[path = "e2e/serde_order.rs"]
mod serde_order;
#[path = "../examples/shared/w1.rs"]
#[allow(dead_code)]
mod w1;

/// The same, borrowing the currency from the payload instead of allocating it.
#[derive(Deserialize)]
#[allow(dead_code)]
struct SerdeOrderBorrowed<'a> {
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: &'a str,
    #[serde(with = "chrono::serde::ts_milliseconds")]
    ts: DateTime<Utc>,
}

/// The W1 order as one CSV record.
#[derive(sluice::Message)]
#[message(topic = "orders_csv", format = "csv")]
#[allow(dead_code)]
struct CsvOrder {
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: String,
    #[message(event_time, with = "epoch_millis")]
    ts: DateTime<Utc>,
}

/// The W1 order as an Avro record of `tests/avro/w1_order.avsc`.
#[derive(sluice::Message)]
#[message(
    topic = "orders_avro",
    format = "avro",
    schema = "tests/avro/w1_order.avsc",
    schema_id = 3
)]
#[allow(dead_code)]
struct AvroOrder {
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: String,
    #[message(event_time)]
    ts: DateTime<Utc>,
}

/// What `apache_avro::from_value` reads the record into (timestamps as their count).
#[derive(Deserialize)]
#[allow(dead_code)]
struct ReferenceAvroOrder {
    id: i64,
    customer_id: i32,
    amount_cents: i64,
    currency: String,
    ts: i64,
}

/// The W1 order as `Order` of `tests/protobuf/w1_order.proto`.
#[derive(sluice::Message)]
#[message(
    topic = "orders_proto",
    format = "protobuf",
    schema = "tests/protobuf/w1_order.proto"
)]
#[allow(dead_code)]
struct ProtoOrder {
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: String,
    #[message(event_time)]
    ts_millis: i64,
}

/// The same message as prost's derive declares it.
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

/// The W1 order as the row image of a Debezium change event.
#[derive(sluice::Message)]
#[message(topic = "shop.orders", format = "debezium")]
#[allow(dead_code)]
struct DebeziumOrder {
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: String,
    #[message(event_time, with = "epoch_millis")]
    ts: DateTime<Utc>,
}

/// A change event as a hand-written serde consumer reads it.
#[derive(Deserialize)]
#[allow(dead_code)]
struct SerdeEnvelope {
    before: Option<SerdeOrder>,
    after: Option<SerdeOrder>,
    op: String,
}

/// Order `order` created, as Debezium's MySQL connector writes it without schemas.
fn change_event(order: &W1Order) -> String {
    format!(
        r#"{{"before":null,"after":{},"source":{{"version":"2.7.3.Final","connector":"mysql","name":"shop","ts_ms":{ts},"snapshot":"false","db":"shop","sequence":null,"table":"orders","server_id":1,"gtid":null,"file":"mysql-bin.000003","pos":{pos},"row":0,"thread":7,"query":null}},"op":"c","ts_ms":{ts},"transaction":null}}"#,
        order.json(),
        ts = order.ts_millis,
        pos = order.id * 311,
    )
}

fn payloads(text: fn(&W1Order) -> String) -> Vec<Vec<u8>> {
    (0..1_024u64)
        .map(|i| text(&W1Order::nth(i * 977)).into_bytes())
        .collect()
}

fn decode(c: &mut Criterion) {
    let payloads = payloads(W1Order::json);
    let mut group = c.benchmark_group("decode W1 order");
    group.throughput(Throughput::Elements(payloads.len() as u64));
    group.bench_function("sluice generated", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(w1::Order::decode(black_box(payload)).ok());
            }
        })
    });
    group.bench_function("serde_json derive, owned String", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(serde_json::from_slice::<SerdeOrder>(black_box(payload)).ok());
            }
        })
    });
    group.bench_function("serde_json derive, borrowed &str", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(
                    serde_json::from_slice::<SerdeOrderBorrowed<'_>>(black_box(payload)).ok(),
                );
            }
        })
    });
    group.finish();
}

fn decode_csv(c: &mut Criterion) {
    let payloads = payloads(W1Order::csv);
    let mut group = c.benchmark_group("decode W1 order, CSV");
    group.throughput(Throughput::Elements(payloads.len() as u64));
    group.bench_function("sluice generated", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(CsvOrder::decode(black_box(payload)).ok());
            }
        })
    });
    // What a hand-written consumer does with the `csv` crate: its serde derive over each
    // payload's record, with one reader for every payload (a new reader builds its parser's
    // tables: about 14 µs a message here) and one record buffer.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(Cursor::new(Vec::new()));
    let mut record = csv::ByteRecord::new();
    let mut by_csv_crate = |payload: &[u8]| {
        let input = reader.get_mut().get_mut();
        input.clear();
        input.extend_from_slice(payload);
        reader
            .seek_raw(SeekFrom::Start(0), csv::Position::new())
            .ok()?;
        match reader.read_byte_record(&mut record) {
            Ok(true) => record.deserialize::<SerdeOrder>(None).ok(),
            _ => None,
        }
    };
    assert!(
        payloads
            .iter()
            .all(|p| CsvOrder::decode(p).is_ok() && by_csv_crate(p).is_some()),
        "both decoders read every payload"
    );
    group.bench_function("csv crate, serde derive", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(by_csv_crate(black_box(payload)));
            }
        })
    });
    group.finish();
}

fn decode_avro(c: &mut Criterion) {
    let schema = apache_avro::Schema::parse_str(include_str!("../tests/avro/w1_order.avsc"))
        .expect("the schema parses");
    let payloads: Vec<Vec<u8>> = (0..1_024u64)
        .map(|i| {
            let order = W1Order::nth(i * 977);
            let mut payload = Vec::new();
            AvroOrder {
                id: order.id,
                customer_id: order.customer_id,
                amount_cents: order.amount_cents,
                currency: "EUR".to_owned(),
                ts: DateTime::from_timestamp_millis(order.ts_millis).expect("a date-time"),
            }
            .encode(&mut payload)
            .expect("encodable");
            payload
        })
        .collect();
    let by_apache_avro = |payload: &[u8]| {
        let mut datum = payload.get(5..)?;
        let value = apache_avro::from_avro_datum(&schema, &mut datum, None).ok()?;
        apache_avro::from_value::<ReferenceAvroOrder>(&value).ok()
    };
    assert!(
        payloads
            .iter()
            .all(|p| AvroOrder::decode(p).is_ok() && by_apache_avro(p).is_some()),
        "both decoders read every payload"
    );
    let mut group = c.benchmark_group("decode W1 order, Avro");
    group.throughput(Throughput::Elements(payloads.len() as u64));
    group.bench_function("sluice generated", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(AvroOrder::decode(black_box(payload)).ok());
            }
        })
    });
    group.bench_function("apache-avro, Value then serde", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(by_apache_avro(black_box(payload)));
            }
        })
    });
    group.finish();
}

fn decode_protobuf(c: &mut Criterion) {
    let payloads: Vec<Vec<u8>> = (0..1_024u64)
        .map(|i| {
            let order = W1Order::nth(i * 977);
            prost::Message::encode_to_vec(&ProstOrder {
                id: order.id,
                customer_id: order.customer_id,
                amount_cents: order.amount_cents,
                currency: "EUR".to_owned(),
                ts_millis: order.ts_millis,
            })
        })
        .collect();
    assert!(
        payloads.iter().all(|p| ProtoOrder::decode(p).is_ok()
            && <ProstOrder as prost::Message>::decode(p.as_slice()).is_ok()),
        "both decoders read every payload"
    );
    let mut group = c.benchmark_group("decode W1 order, protobuf");
    group.throughput(Throughput::Elements(payloads.len() as u64));
    group.bench_function("sluice generated", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(ProtoOrder::decode(black_box(payload)).ok());
            }
        })
    });
    group.bench_function("prost derive", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(
                    <ProstOrder as prost::Message>::decode(black_box(payload.as_slice())).ok(),
                );
            }
        })
    });
    group.finish();
}

fn decode_debezium(c: &mut Criterion) {
    let payloads = payloads(change_event);
    let mut group = c.benchmark_group("decode W1 order, Debezium change event");
    group.throughput(Throughput::Elements(payloads.len() as u64));
    group.bench_function("sluice generated", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(DebeziumOrder::decode_change(black_box(payload)).ok());
            }
        })
    });
    group.bench_function("serde_json derive, envelope", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(serde_json::from_slice::<SerdeEnvelope>(black_box(payload)).ok());
            }
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    decode,
    decode_csv,
    decode_avro,
    decode_protobuf,
    decode_debezium
);
criterion_main!(benches);
