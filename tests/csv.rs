//! The CSV decoder and encoder `#[derive(Message)]` generates for `format = "csv"`: every
//! supported type, quoting, delimiters, header rows, and each way a record can be malformed.

use proptest::prelude::*;
use sluice::codec::{DecodeError, DecodeErrorKind};
use sluice::prelude::*;

/// A W1 order as one CSV record: `id,customer_id,amount_cents,currency,ts`.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(topic = "orders_csv", format = "csv")]
struct Order {
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: String,
    #[message(event_time, with = "epoch_millis")]
    ts: DateTime<Utc>,
}

/// Every type a CSV field can have.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(topic = "every_type", format = "csv")]
struct EveryType {
    a_u8: u8,
    a_u16: u16,
    a_u32: u32,
    a_u64: u64,
    a_usize: usize,
    an_i8: i8,
    an_i16: i16,
    an_i32: i32,
    an_i64: i64,
    an_isize: isize,
    an_f32: f32,
    an_f64: f64,
    a_bool: bool,
    text: String,
    maybe_text: Option<String>,
    maybe_number: Option<i32>,
    at: DateTime<Utc>,
    local: NaiveDateTime,
    day: NaiveDate,
    #[message(with = "epoch_seconds")]
    seconds: NaiveDateTime,
    #[message(with = "epoch_micros")]
    maybe_micros: Option<DateTime<Utc>>,
}

/// Columns named by a header row, in any order.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(topic = "people", format = "csv", delimiter = ";", header = true)]
struct Person {
    #[message(rename = "Full Name")]
    name: String,
    age: u8,
    email: Option<String>,
}

/// One optional field, without and with a header: `None` is an empty record.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(topic = "single", format = "csv")]
struct Single {
    value: Option<i32>,
}

#[derive(Message, Debug, Clone, PartialEq)]
#[message(topic = "single", format = "csv", header = true)]
struct SingleWithHeader {
    value: Option<i32>,
}

/// Tab-separated, with a single quote as the quote character.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(topic = "tabs", format = "csv", delimiter = "\t", quote = "'")]
struct Tabbed {
    word: String,
    count: u32,
}

fn decode<M: sluice::Message>(csv: &str) -> Result<M, DecodeError> {
    M::decode(csv.as_bytes())
}

fn encode<M: sluice::Message>(message: &M) -> String {
    let mut out = Vec::new();
    message.encode(&mut out).expect("encodable");
    String::from_utf8(out).expect("UTF-8")
}

fn order_error(csv: &str) -> DecodeError {
    decode::<Order>(csv).expect_err("must not decode")
}

#[test]
fn decodes_a_w1_order() {
    let order: Order = decode("7,55433,217,EUR,1767225600007").expect("valid");
    assert_eq!(order.id, 7);
    assert_eq!(order.customer_id, 55433);
    assert_eq!(order.amount_cents, 217);
    assert_eq!(order.currency, "EUR");
    assert_eq!(order.event_time_millis(), Some(1_767_225_600_007));
    assert_eq!(<Order as sluice::Message>::FORMAT, sluice::Format::Csv);
    assert_eq!(encode(&order), "7,55433,217,EUR,1767225600007");
    // A record may end with a line break, and a quoted field is the same value.
    assert_eq!(
        decode::<Order>("\"7\",55433,217,\"EUR\",1767225600007\r\n"),
        Ok(order)
    );
}

#[test]
fn every_supported_type_decodes_and_reads_back() {
    let csv = "255,65535,4294967295,18446744073709551615,7,-128,-32768,-2147483648,\
               -9223372036854775808,-7,1.5,-2.5e-300,TRUE,\"a, \"\"quoted\"\"\nline\",,,\
               2026-01-01T01:00:00+01:00,2026-01-01 00:00:00.250,2026-12-05,1767225600,";
    let value: EveryType = decode(csv).expect("valid");
    assert_eq!(value.a_u64, u64::MAX);
    assert_eq!(value.an_i64, i64::MIN);
    assert_eq!(value.an_f32, 1.5);
    assert_eq!(value.an_f64, -2.5e-300);
    assert!(value.a_bool);
    assert_eq!(value.text, "a, \"quoted\"\nline");
    assert_eq!(value.maybe_text, None);
    assert_eq!(value.maybe_number, None);
    assert_eq!(value.at.timestamp_millis(), 1_767_225_600_000);
    assert_eq!(value.local.and_utc().timestamp_millis(), 1_767_225_600_250);
    assert_eq!(value.day.to_string(), "2026-12-05");
    assert_eq!(value.seconds.and_utc().timestamp(), 1_767_225_600);
    assert_eq!(value.maybe_micros, None);
    assert_eq!(decode::<EveryType>(&encode(&value)), Ok(value.clone()));

    // `""` is an empty string, an empty field is None.
    let quoted_empty = csv.replacen(",,,", ",\"\",0,", 1);
    let value: EveryType = decode(&quoted_empty).expect("valid");
    assert_eq!(value.maybe_text.as_deref(), Some(""));
    assert_eq!(value.maybe_number, Some(0));
    assert_eq!(decode::<EveryType>(&encode(&value)), Ok(value));
}

#[test]
fn a_header_row_names_the_columns_in_any_order() {
    let person: Person = decode("age;extra;Full Name\n42;ignored;\"Doe; Jane\"\n").expect("valid");
    assert_eq!(
        person,
        Person {
            name: "Doe; Jane".to_owned(),
            age: 42,
            email: None
        }
    );
    assert_eq!(encode(&person), "Full Name;age;email\n\"Doe; Jane\";42;");
    assert_eq!(decode::<Person>(&encode(&person)), Ok(person));

    let missing = decode::<Person>("Full Name;email\nJane;j@x\n").expect_err("no age");
    assert_eq!(missing.kind, DecodeErrorKind::MissingField);
    assert_eq!(missing.field, Some("age"));
    let twice = decode::<Person>("age;age\n1;2").expect_err("age twice");
    assert_eq!(twice.kind, DecodeErrorKind::DuplicateField);
    assert_eq!((twice.field, twice.offset), (Some("age"), 4));
    let header_only = decode::<Person>("Full Name;age").expect_err("no record");
    assert_eq!(
        header_only.kind,
        DecodeErrorKind::Csv("a header row without a record")
    );
    let short = decode::<Person>("Full Name;age\nJane").expect_err("one field");
    assert_eq!(
        short.kind,
        DecodeErrorKind::ColumnCount {
            expected: 2,
            found: 1
        }
    );
    let bad_age = decode::<Person>("age;Full Name\nold;Jane").expect_err("not a number");
    assert_eq!(bad_age.field, Some("age"));
    assert_eq!(bad_age.offset, 14);
}

#[test]
fn a_single_missing_value_reads_back() {
    for value in [None, Some(0), Some(-7)] {
        let single = Single { value };
        assert_eq!(decode::<Single>(&encode(&single)), Ok(single));
        let with_header = SingleWithHeader { value };
        assert_eq!(
            decode::<SingleWithHeader>(&encode(&with_header)),
            Ok(with_header)
        );
    }
}

#[test]
fn delimiter_and_quote_are_the_declared_ones() {
    let tabbed: Tabbed = decode("'it''s, fine'\t3").expect("valid");
    assert_eq!(tabbed.word, "it's, fine");
    assert_eq!(tabbed.count, 3);
    assert_eq!(encode(&tabbed), "'it''s, fine'\t3");
    // A comma is text here, and a double quote is an ordinary character.
    let tabbed: Tabbed = decode("say \"hi\", twice\t2").expect("valid");
    assert_eq!(tabbed.word, "say \"hi\", twice");
}

/// The corruptions of WORKLOADS.md, in CSV: a truncated record, a missing field, a wrong type,
/// an out-of-range value; and the CSV-specific ones.
#[test]
fn malformed_records_name_the_field_and_the_byte() {
    let truncated = order_error("7,55433,2");
    assert_eq!(
        truncated.kind,
        DecodeErrorKind::ColumnCount {
            expected: 5,
            found: 3
        }
    );
    assert_eq!(truncated.offset, 9);
    let wrong_type = order_error("7,55433,12.50,EUR,1767225600007");
    assert_eq!(wrong_type.field, Some("amount_cents"));
    assert!(matches!(
        &wrong_type.kind,
        DecodeErrorKind::InvalidValue { found, .. } if found == "12.50"
    ));
    let out_of_range = order_error("7,4294967296,217,EUR,1767225600007");
    assert_eq!(out_of_range.field, Some("customer_id"));
    assert!(matches!(
        out_of_range.kind,
        DecodeErrorKind::OutOfRange { .. }
    ));
    assert_eq!(out_of_range.offset, 2);
    let empty_required = order_error("7,,217,EUR,1767225600007");
    assert_eq!(empty_required.field, Some("customer_id"));
    assert!(matches!(
        empty_required.kind,
        DecodeErrorKind::WrongType {
            found: "an empty field",
            ..
        }
    ));
    let too_many = order_error("7,55433,217,EUR,1767225600007,extra,more");
    assert_eq!(
        too_many.kind,
        DecodeErrorKind::ColumnCount {
            expected: 5,
            found: 7
        }
    );
    let unclosed = order_error("7,55433,217,\"EUR,1767225600007");
    assert_eq!(
        unclosed.kind,
        DecodeErrorKind::Csv("a quoted field is never closed")
    );
    assert_eq!(unclosed.offset, 12);
    let after_quote = order_error("7,55433,217,\"EUR\"X,1767225600007");
    assert_eq!(
        after_quote.kind,
        DecodeErrorKind::Csv("text after the closing quote of a field")
    );
    let two_records = order_error("7,55433,217,EUR,1767225600007\n8,1,2,EUR,1767225600008");
    assert_eq!(
        two_records.kind,
        DecodeErrorKind::Csv("more than one record in the message")
    );
    // An empty payload is one empty field: the first field has no value.
    let empty = order_error("");
    assert_eq!(empty.field, Some("id"));
    assert!(matches!(
        empty.kind,
        DecodeErrorKind::WrongType {
            found: "an empty field",
            ..
        }
    ));
    let utf8 = Order::decode(b"7,55433,217,E\xffR,1767225600007").expect_err("invalid UTF-8");
    assert_eq!(
        (utf8.kind.clone(), utf8.offset),
        (DecodeErrorKind::InvalidUtf8, 13)
    );
    let nan = decode::<EveryType>(
        "1,1,1,1,1,1,1,1,1,1,NaN,1,false,x,,,2026-01-01T00:00:00Z,2026-01-01T00:00:00,2026-01-01,0,",
    )
    .expect_err("NaN");
    assert_eq!(nan.field, Some("an_f32"));
    let far = order_error("7,55433,217,EUR,9223372036854775807");
    assert_eq!(far.field, Some("ts"));
    assert!(matches!(far.kind, DecodeErrorKind::OutOfRange { .. }));
    // Every error reads as one line that names what to fix.
    assert_eq!(
        wrong_type.to_string(),
        "field `amount_cents`: expected an integer (i64), found \"12.50\" (at byte 8)"
    );
    assert_eq!(
        truncated.to_string(),
        "expected 5 fields in the record, found 3 (at byte 9)"
    );
}

#[test]
fn values_without_a_csv_form_are_encode_errors_naming_the_field() {
    let mut out = Vec::new();
    let tabbed = Tabbed {
        word: "x".to_owned(),
        count: 1,
    };
    tabbed.encode(&mut out).expect("encodable");
    let every: EveryType = decode(
        "1,1,1,1,1,1,1,1,1,1,1,1,false,x,,,2026-01-01T00:00:00Z,2026-01-01T00:00:00,2026-01-01,0,",
    )
    .expect("valid");
    let not_a_number = EveryType {
        an_f64: f64::NAN,
        ..every
    };
    let error = not_a_number.encode(&mut out).expect_err("NaN");
    assert!(error.to_string().starts_with("field `an_f64`"), "{error}");
}

proptest! {
    /// Whatever the text (delimiters, quotes, line breaks, non-ASCII), an encoded record
    /// decodes to the same value.
    #[test]
    fn encoded_records_decode_to_themselves(
        word in "[a-z,;\"'\t\r\n é🦀]{0,12}",
        name in "[A-Za-z; \"\n]{0,8}",
        count: u32,
        age: u8,
        email in proptest::option::of("[a-z@;\"]{0,6}"),
    ) {
        let tabbed = Tabbed { word, count };
        prop_assert_eq!(decode::<Tabbed>(&encode(&tabbed)), Ok(tabbed));
        let person = Person { name, age, email };
        prop_assert_eq!(decode::<Person>(&encode(&person)), Ok(person));
    }

    /// No payload panics the decoder.
    #[test]
    fn arbitrary_bytes_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Order::decode(&payload);
        let _ = Person::decode(&payload);
        let _ = EveryType::decode(&payload);
    }
}
