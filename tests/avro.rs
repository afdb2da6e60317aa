//! The Avro decoder and encoder `#[derive(Message)]` generates for `format = "avro"`, against
//! the reference implementation (`apache-avro`): what it writes, sluice reads; what sluice
//! writes, it reads; and every way a payload can be malformed.

use apache_avro::types::Value;
use apache_avro::{Schema, from_avro_datum, to_avro_datum};
use proptest::prelude::*;
use sluice::codec::{DecodeError, DecodeErrorKind};
use sluice::prelude::*;

const SCHEMA_ID: u32 = 42;
const ORDER_AVSC: &str = include_str!("avro/order.avsc");

/// Every field of `tests/avro/order.avsc`.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(
    topic = "orders_avro",
    format = "avro",
    schema = "tests/avro/order.avsc",
    schema_id = 42
)]
struct FullOrder {
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: String,
    #[message(event_time)]
    ts: DateTime<Utc>,
    source: String,
    note: Option<String>,
    paid: bool,
    discount: f32,
    ratio: f64,
    day: NaiveDate,
    shipped: Option<NaiveDateTime>,
    coupon: Option<i64>,
}

/// A reader of the same records that needs only some fields, in another order, one renamed:
/// the others are skipped.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(
    topic = "orders_avro",
    format = "avro",
    schema = "tests/avro/order.avsc",
    schema_id = 42
)]
struct Order {
    #[message(event_time)]
    ts: DateTime<Utc>,
    id: u64,
    #[message(rename = "amount_cents")]
    cents: i64,
    note: Option<String>,
    coupon: Option<i64>,
}

fn schema() -> Schema {
    Schema::parse_str(ORDER_AVSC).expect("the schema parses")
}

fn framed(id: u32, datum: &[u8]) -> Vec<u8> {
    let mut payload = vec![0];
    payload.extend_from_slice(&id.to_be_bytes());
    payload.extend_from_slice(datum);
    payload
}

fn union(value: Option<Value>) -> Value {
    match value {
        Some(value) => Value::Union(1, Box::new(value)),
        None => Value::Union(0, Box::new(Value::Null)),
    }
}

/// Order `i` as the reference implementation's value, and as sluice's struct.
fn order(i: u64, note: Option<String>, coupon: Option<i64>) -> (Value, FullOrder) {
    let ts_millis = 1_767_225_600_000 + i as i64;
    let shipped_micros = (!i.is_multiple_of(3)).then_some(ts_millis * 1_000 + 7);
    let full = FullOrder {
        id: i,
        customer_id: ((i * 7919) % 1000) as u32,
        amount_cents: ((i * 31) % 100_000) as i64,
        currency: "EUR".to_owned(),
        ts: DateTime::from_timestamp_millis(ts_millis).expect("a date-time"),
        source: format!("web-{i}"),
        note: note.clone(),
        paid: i.is_multiple_of(2),
        discount: i as f32 / 8.0,
        ratio: i as f64 * -0.25,
        day: NaiveDate::from_num_days_from_ce_opt(739_000 + (i % 1000) as i32).expect("a date"),
        shipped: shipped_micros.map(|us| {
            DateTime::from_timestamp_micros(us)
                .expect("a date-time")
                .naive_utc()
        }),
        coupon,
    };
    let value = Value::Record(vec![
        ("id".into(), Value::Long(i as i64)),
        ("customer_id".into(), Value::Int(full.customer_id as i32)),
        ("amount_cents".into(), Value::Long(full.amount_cents)),
        ("currency".into(), Value::String("EUR".into())),
        ("ts".into(), Value::TimestampMillis(ts_millis)),
        ("source".into(), Value::String(full.source.clone())),
        ("note".into(), union(note.map(Value::String))),
        ("paid".into(), Value::Boolean(full.paid)),
        ("discount".into(), Value::Float(full.discount)),
        ("ratio".into(), Value::Double(full.ratio)),
        (
            "day".into(),
            Value::Date(full.day.num_days_from_ce() - 719_163),
        ),
        (
            "shipped".into(),
            union(shipped_micros.map(Value::TimestampMicros)),
        ),
        ("coupon".into(), union(coupon.map(Value::Long))),
    ]);
    (value, full)
}

use chrono::Datelike;

fn written_by_reference(value: Value) -> Vec<u8> {
    framed(
        SCHEMA_ID,
        &to_avro_datum(&schema(), value).expect("the reference writes it"),
    )
}

fn read_by_reference(payload: &[u8]) -> Value {
    assert_eq!(
        payload[..5],
        [0, 0, 0, 0, SCHEMA_ID as u8],
        "Confluent's header"
    );
    let mut datum = &payload[5..];
    let value = from_avro_datum(&schema(), &mut datum, None).expect("the reference reads it");
    assert!(datum.is_empty(), "nothing after the record");
    value
}

#[test]
fn what_the_reference_writes_sluice_reads_and_the_other_way_round() {
    for i in 0..200 {
        let note = (i % 4 != 0).then(|| format!("note {i} é"));
        let coupon = (i % 5 == 0).then_some(-(i as i64));
        let (value, full) = order(i, note.clone(), coupon);
        let payload = written_by_reference(value.clone());
        assert_eq!(FullOrder::decode(&payload), Ok(full.clone()), "order {i}");
        let order = Order::decode(&payload).expect("the reader skips what it does not need");
        assert_eq!(
            (order.id, order.cents, order.note.clone(), order.coupon),
            (i, full.amount_cents, note, coupon)
        );
        assert_eq!(order.event_time_millis(), Some(full.ts.timestamp_millis()));

        let mut written = Vec::new();
        full.encode(&mut written).expect("encodable");
        assert_eq!(read_by_reference(&written), value, "order {i}");
        assert_eq!(written, payload, "the same bytes as the reference");
    }
}

#[test]
fn a_struct_without_a_non_nullable_schema_field_cannot_be_written() {
    let (value, _) = order(1, None, None);
    let order = Order::decode(&written_by_reference(value)).expect("decodes");
    let error = order
        .encode(&mut Vec::new())
        .expect_err("no value for `source`");
    assert!(
        error.to_string().starts_with("field `customer_id`"),
        "{error}"
    );
}

fn error(payload: &[u8]) -> DecodeError {
    FullOrder::decode(payload).expect_err("must not decode")
}

#[test]
fn malformed_payloads_are_errors_that_say_where() {
    let (value, _) = order(7, Some("x".into()), Some(3));
    let good = written_by_reference(value);

    let other_schema = error(&framed(43, &good[5..]));
    assert_eq!(
        other_schema.kind,
        DecodeErrorKind::SchemaId {
            expected: 42,
            found: 43
        }
    );
    assert_eq!(
        other_schema.to_string(),
        "written with schema id 43, but the struct was checked against schema id 42 (at byte 1)"
    );
    assert_eq!(
        error(br#"{"id": 7}"#).kind,
        DecodeErrorKind::Avro("not Confluent's wire format (its first byte is not 0)")
    );
    assert_eq!(error(&[]).kind, DecodeErrorKind::Avro("an empty payload"));
    assert_eq!(
        error(&good[..3]).kind,
        DecodeErrorKind::Avro("the payload ends inside the schema id")
    );
    // Cut anywhere inside the record: an error, never a panic or a wrong value.
    for cut in 5..good.len() {
        let truncated = error(&good[..cut]);
        assert!(
            matches!(truncated.kind, DecodeErrorKind::Avro(_)),
            "cut at {cut}: {truncated}"
        );
        assert!(truncated.field.is_some(), "cut at {cut}: names the field");
    }
    let mut longer = good.clone();
    longer.push(0);
    assert_eq!(
        error(&longer).kind,
        DecodeErrorKind::Avro("bytes after the end of the record")
    );
    // customer_id is a negative int: out of range for u32.
    let (mut value, _) = order(7, None, None);
    if let Value::Record(fields) = &mut value {
        fields[1].1 = Value::Int(-5);
    }
    let negative = error(&written_by_reference(value));
    assert_eq!(negative.field, Some("customer_id"));
    assert!(matches!(negative.kind, DecodeErrorKind::OutOfRange { .. }));
    // A union branch the schema does not have, and a string that is not UTF-8.
    let (value, _) = order(7, None, None);
    let payload = written_by_reference(value);
    let note_at = 5
        + payload[5..]
            .windows(6)
            .position(|w| w == b"web-7\x00")
            .expect("source")
        + 5;
    let mut bad_branch = payload.clone();
    bad_branch[note_at] = 4;
    let branch = error(&bad_branch);
    assert_eq!(branch.field, Some("note"));
    assert_eq!(
        branch.kind,
        DecodeErrorKind::Avro("a union branch the schema does not have")
    );
    let mut bad_text = payload;
    let currency_at = bad_text
        .windows(3)
        .position(|w| w == b"EUR")
        .expect("currency");
    bad_text[currency_at + 1] = 0xff;
    let text = error(&bad_text);
    assert_eq!(
        (text.field, text.kind.clone()),
        (Some("currency"), DecodeErrorKind::InvalidUtf8)
    );
}

proptest! {
    /// Whatever the values, sluice writes the reference's bytes and reads them back.
    #[test]
    fn any_order_round_trips(
        i in 0u64..1_000_000,
        note in proptest::option::of("\\PC{0,20}"),
        coupon: Option<i64>,
    ) {
        let (value, full) = order(i, note, coupon);
        let payload = written_by_reference(value);
        let mut written = Vec::new();
        full.encode(&mut written).expect("encodable");
        prop_assert_eq!(&written, &payload);
        prop_assert_eq!(FullOrder::decode(&payload), Ok(full));
    }

    /// No payload panics the decoder.
    #[test]
    fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..80)) {
        let _ = FullOrder::decode(&framed(SCHEMA_ID, &tail));
        let _ = Order::decode(&framed(SCHEMA_ID, &tail));
    }
}
