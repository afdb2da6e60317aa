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

/// `tests/avro/invoice.avsc`: decimals of `bytes`, one nullable, one without a scale.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(
    topic = "invoices",
    format = "avro",
    schema = "tests/avro/invoice.avsc",
    schema_id = 43
)]
struct Invoice {
    id: i64,
    total: rust_decimal::Decimal,
    rate: Option<rust_decimal::Decimal>,
    units: rust_decimal::Decimal,
}

fn decimal(text: &str) -> rust_decimal::Decimal {
    text.parse().expect("a decimal")
}

fn invoice_schema() -> Schema {
    Schema::parse_str(include_str!("avro/invoice.avsc")).expect("the schema parses")
}

/// The record as the reference holds it: each decimal as its unscaled two's-complement bytes.
fn invoice_value(id: i64, total: &[u8], rate: Option<&[u8]>, units: &[u8]) -> Value {
    let decimal = |bytes: &[u8]| Value::Decimal(apache_avro::Decimal::from(bytes));
    Value::Record(vec![
        ("id".into(), Value::Long(id)),
        ("total".into(), decimal(total)),
        ("rate".into(), union(rate.map(decimal))),
        ("units".into(), decimal(units)),
    ])
}

/// A decimal's text and its bytes: `total`, then `rate`, `units`.
type Text<'a> = (&'a str, &'a [u8]);
type Case<'a> = (&'a str, &'a [u8], Option<Text<'a>>, &'a str, &'a [u8]);

#[test]
fn decimals_are_unscaled_twos_complement_both_ways() {
    // Unscaled values and their shortest big-endian two's complement, by the specification.
    let cases: [Case<'_>; 5] = [
        ("1234.56", &[0x01, 0xe2, 0x40], None, "0", &[0x00]),
        (
            "-1.00",
            &[0x9c],
            Some(("0.000127", &[0x7f])),
            "128",
            &[0x00, 0x80],
        ),
        (
            "-1.28",
            &[0x80],
            Some(("-0.000129", &[0xff, 0x7f])),
            "-128",
            &[0x80],
        ),
        (
            "9999999999.99",
            &[0x00, 0xe8, 0xd4, 0xa5, 0x0f, 0xff],
            Some((
                "12345678901234.567890",
                &[0x00, 0xab, 0x54, 0xa9, 0x8c, 0xeb, 0x1f, 0x0a, 0xd2],
            )),
            "79228162514264337593543950335",
            &[
                0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            ],
        ),
        (
            "0.10",
            &[0x0a],
            Some(("1.5", &[0x16, 0xe3, 0x60])),
            "-7",
            &[0xf9],
        ),
    ];
    for (i, (total, total_bytes, rate, units, units_bytes)) in cases.into_iter().enumerate() {
        let invoice = Invoice {
            id: i as i64,
            total: decimal(total),
            rate: rate.map(|(text, _)| decimal(text)),
            units: decimal(units),
        };
        let reference = framed(
            43,
            &to_avro_datum(
                &invoice_schema(),
                invoice_value(i as i64, total_bytes, rate.map(|(_, b)| b), units_bytes),
            )
            .expect("the reference writes it"),
        );
        let mut written = Vec::new();
        invoice.encode(&mut written).expect("encode");
        assert_eq!(written, reference, "{total} {rate:?} {units}");
        assert_eq!(Invoice::decode(&reference), Ok(invoice));
    }
}

#[test]
fn decimals_that_do_not_fit_are_errors() {
    let encode = |total: &str, units: &str| {
        let invoice = Invoice {
            id: 1,
            total: decimal(total),
            rate: None,
            units: decimal(units),
        };
        invoice.encode(&mut Vec::new()).map_err(|e| e.to_string())
    };
    let places = encode("1.005", "0").expect_err("three places into a scale of 2");
    assert!(
        places.contains("total") && places.contains("scale"),
        "{places}"
    );
    let digits = encode("10000000000.00", "0").expect_err("13 digits into a precision of 12");
    assert!(digits.contains("precision"), "{digits}");
    // Trailing zeros beyond the scale are not places.
    assert!(encode("1.50000", "2").is_ok());

    // 97 bits do not fit rust_decimal's 96.
    let mut too_large = vec![0x01];
    too_large.extend([0u8; 12]);
    let payload = framed(
        43,
        &to_avro_datum(
            &invoice_schema(),
            invoice_value(1, &[0x01], None, &too_large),
        )
        .expect("the reference writes it"),
    );
    let error = Invoice::decode(&payload).expect_err("out of range");
    assert_eq!(error.field, Some("units"));
    assert!(
        matches!(error.kind, DecodeErrorKind::OutOfRange { .. }),
        "{error:?}"
    );
    // Sign extension beyond 16 bytes is still the same number.
    let mut extended = vec![0xff; 20];
    extended.push(0x9c);
    let payload = framed(
        43,
        &to_avro_datum(
            &invoice_schema(),
            invoice_value(1, &extended, None, &[0x00]),
        )
        .expect("the reference writes it"),
    );
    assert_eq!(
        Invoice::decode(&payload).map(|i| i.total),
        Ok(decimal("-1.00"))
    );
}

proptest! {
    /// Any decimal that fits the schema round-trips, and the reference reads the same number.
    #[test]
    fn decimals_round_trip(total in -99_999_999_999i64..99_999_999_999, units: i64) {
        let invoice = Invoice {
            id: 7,
            total: rust_decimal::Decimal::new(total, 2),
            rate: Some(rust_decimal::Decimal::new(total / 3, 6)),
            units: rust_decimal::Decimal::from(units),
        };
        let mut written = Vec::new();
        invoice.encode(&mut written).expect("encode");
        prop_assert_eq!(Invoice::decode(&written), Ok(invoice.clone()));
        let mut datum = &written[5..];
        let read = from_avro_datum(&invoice_schema(), &mut datum, None).expect("the reference reads it");
        let Value::Record(fields) = read else { panic!("a record") };
        let Value::Decimal(total_read) = &fields[1].1 else { panic!("a decimal") };
        let bytes: Vec<u8> = total_read.try_into().expect("bytes");
        let mut wide = if bytes[0] & 0x80 != 0 { [0xff; 16] } else { [0; 16] };
        wide[16 - bytes.len()..].copy_from_slice(&bytes);
        prop_assert_eq!(i128::from_be_bytes(wide), i128::from(total));
    }
}
