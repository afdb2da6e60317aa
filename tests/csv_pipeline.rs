//! CSV through a whole job: CSV orders from Kafka into MySQL with 1% of them corrupted (each
//! a dead letter at its own offset, every other order a row), and a Kafka output that writes
//! CSV a CSV consumer reads back.

mod common;

use std::collections::BTreeSet;

use common::*;
use sluice_testkit::broker::EmbeddedKafka;
use sluice_testkit::workload::{self, ORDERS_DDL, PARTITIONS, W1Checksum, W1Order};

const N: u64 = 10_000;

/// A W1 order as one CSV record.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(topic = "orders_csv", format = "csv")]
struct CsvOrder {
    #[message(key)]
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: String,
    #[message(event_time, with = "epoch_millis")]
    ts: DateTime<Utc>,
}

impl From<CsvOrder> for OrderRow {
    fn from(o: CsvOrder) -> Self {
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
fn csv_ingest(orders: Kafka<CsvOrder>) -> MySql<OrderRow> {
    orders.map(OrderRow::from)
}

/// The JSON orders into the table, and each as CSV to `orders_csv`.
#[pipeline]
fn json_to_csv(orders: Kafka<Order>) -> (MySql<OrderRow>, Kafka<CsvOrder>) {
    let copies = orders.clone().map(|o| CsvOrder {
        id: o.id,
        customer_id: o.customer_id,
        amount_cents: o.amount_cents,
        currency: o.currency.clone(),
        ts: o.ts,
    });
    (orders.map(OrderRow::from), copies)
}

/// How message `i` is corrupted, if it is: the payload and the dead-letter kind expected.
/// The corruptions of WORKLOADS.md (truncated, missing field, wrong type, out of range, a
/// currency longer than the column), and the CSV ones (an unclosed quote, an extra field, two
/// records in one message, bytes that are not UTF-8).
fn corruption(i: u64) -> Option<(Vec<u8>, &'static str)> {
    let order = W1Order::nth(i);
    let csv = order.csv();
    let fields: Vec<&str> = csv.split(',').collect();
    let with = |at: usize, value: &str| {
        let mut changed = fields.clone();
        changed[at] = value;
        changed.join(",")
    };
    let bad = match i % 100 {
        11 => (csv[..csv.len() / 2].to_owned(), "decode"),
        17 => (fields[..4].join(","), "decode"),
        23 => (with(2, "12.50"), "decode"),
        37 => (with(1, "4294967296"), "decode"),
        41 => (with(3, "EUROS"), "convert"),
        53 => (with(3, "\"EUR"), "decode"),
        67 => (format!("{csv},extra"), "decode"),
        79 => (format!("{csv}\n{csv}"), "decode"),
        97 => {
            let mut bytes = csv.into_bytes();
            let at = bytes.len() - 15;
            bytes[at] = 0xff;
            return Some((bytes, "decode"));
        }
        _ => return None,
    };
    Some((bad.0.into_bytes(), bad.1))
}

#[test]
fn csv_orders_become_rows_and_every_bad_record_a_dead_letter_at_its_offset() {
    let database = fresh_database("csv_ingest");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders_csv", PARTITIONS).expect("topic");
    let expected = produce_with_corruptions(
        &kafka.bootstrap_servers(),
        "orders_csv",
        N,
        corruption,
        |i| W1Order::nth(i).csv().into_bytes(),
    );

    let report = csv_ingest::run(config(&kafka.bootstrap_servers(), &database, "orders_csv"))
        .expect("the run survives bad input");
    let bad = expected.letters.len() as u64;
    assert_eq!(bad, N / 100 * 9);
    assert_eq!(report.consumed, N);
    assert_eq!(report.dead_lettered, bad);
    assert!(report.reconciles(), "{report:?}");
    assert_eq!(dead_letter_places(&database), expected.letters);
    assert_eq!(w1_checksum(&database), expected.good);
    // A dead letter says what to fix, in CSV's terms.
    let reasons = query_strings(
        &database,
        "SELECT message FROM sluice_dead_letters WHERE `offset` IN (4, 13) AND `partition` = 1 \
         ORDER BY `offset`",
    );
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].contains("expected 5 fields in the record, found 4"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("invalid CSV: a quoted field is never closed"),
        "{reasons:?}"
    );
}

#[test]
fn a_kafka_output_writes_csv_that_reads_back() {
    const N: u64 = 2_000;
    let database = fresh_database("csv_output");
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders", PARTITIONS).expect("topic");
    kafka.create_topic("orders_csv", 2).expect("topic");
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, "orders", 0..N).expect("produce");

    let report = json_to_csv::run(config(&brokers, &database, "orders")).expect("run");
    assert!(report.reconciles(), "{}", report.summary());
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
    let records = read_topic(&brokers, "orders_csv", 2);
    assert_eq!(records.len() as u64, N, "each order once");
    let mut ids = BTreeSet::new();
    for record in &records {
        let text = std::str::from_utf8(&record.payload).expect("UTF-8");
        let order = CsvOrder::decode(&record.payload).expect("CSV that decodes");
        assert_eq!(text, W1Order::nth(order.id).csv());
        assert_eq!(record.key.as_deref(), Some(order.id.to_string().as_bytes()));
        ids.insert(order.id);
    }
    assert_eq!(ids, (0..N).collect());
}
