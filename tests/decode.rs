//! The decoder `#[derive(Message)]` generates, on valid and invalid JSON.

use sluice::codec::{DecodeError, DecodeErrorKind};
use sluice::prelude::*;

#[path = "../examples/shared/w1.rs"]
#[allow(dead_code)]
mod w1;

use w1::Order;

#[derive(Message, Debug, PartialEq)]
#[message(topic = "events")]
struct Event {
    #[message(rename = "type")]
    kind: String,
    note: Option<String>,
    score: f64,
    active: bool,
    at: DateTime<Utc>,
    day: Option<NaiveDate>,
    small: i8,
}

fn decode<M: sluice::Message>(json: &str) -> Result<M, DecodeError> {
    M::decode(json.as_bytes())
}

fn error(json: &str) -> DecodeError {
    decode::<Order>(json).expect_err("must not decode")
}

const W1: &str = r#"{"id": 7, "customer_id": 55433, "amount_cents": 217, "currency": "EUR", "ts": 1767225600007}"#;

#[test]
fn decodes_the_w1_message() {
    let order: Order = decode(W1).expect("valid");
    assert_eq!(order.id, 7);
    assert_eq!(order.customer_id, 55433);
    assert_eq!(order.amount_cents, 217);
    assert_eq!(order.currency, "EUR");
    assert_eq!(order.ts.timestamp_millis(), 1_767_225_600_007);
    assert_eq!(order.event_time_millis(), Some(1_767_225_600_007));
    assert_eq!(<Order as sluice::Message>::TOPIC, "orders");
}

#[test]
fn key_order_whitespace_and_unknown_keys_do_not_matter() {
    let json = r#" { "ts":1767225600007 , "extra": {"nested": [1, "x", null, true]},
        "currency":"EUR","amount_cents":217,"customer_id":55433,"id":7 } "#;
    assert_eq!(decode::<Order>(json), decode::<Order>(W1));
}

#[test]
fn strings_with_escapes_options_renames_and_dates() {
    let json = r#"{"type": "a\"b\\c\u00e9\ud83d\ude00\n", "note": null, "score": -1.5e2,
        "active": true, "at": "2026-01-01T01:00:00+01:00", "small": -128}"#;
    let event: Event = decode(json).expect("valid");
    assert_eq!(event.kind, "a\"b\\cé😀\n");
    assert_eq!(event.note, None);
    assert_eq!(event.score, -150.0);
    assert!(event.active);
    assert_eq!(event.at.timestamp(), 1_767_225_600);
    assert_eq!(event.day, None, "an absent Option field is None");
    assert_eq!(event.small, -128);
}

#[test]
fn a_missing_field_is_named() {
    let e = error(r#"{"id": 1, "customer_id": 2, "amount_cents": 3, "ts": 4}"#);
    assert_eq!(e.field, Some("currency"));
    assert_eq!(e.kind, DecodeErrorKind::MissingField);
    assert!(
        e.to_string().starts_with("field `currency`: missing field"),
        "{e}"
    );
}

#[test]
fn a_wrong_type_says_what_was_expected_and_found() {
    let e =
        error(r#"{"id": "1", "customer_id": 2, "amount_cents": 3, "currency": "EUR", "ts": 4}"#);
    assert_eq!(e.field, Some("id"));
    assert_eq!(
        e.kind,
        DecodeErrorKind::WrongType {
            expected: "an unsigned integer (u64)",
            found: "a string"
        }
    );
    assert_eq!(
        e.to_string(),
        "field `id`: expected an unsigned integer (u64), found a string (at byte 7)"
    );
}

#[test]
fn out_of_range_numbers_are_rejected() {
    let e = error(
        r#"{"id": 1, "customer_id": 4294967296, "amount_cents": 3, "currency": "EUR", "ts": 4}"#,
    );
    assert_eq!(e.field, Some("customer_id"));
    assert_eq!(
        e.kind,
        DecodeErrorKind::OutOfRange {
            expected: "an unsigned integer (u32)"
        }
    );

    let e = error(r#"{"id": -1, "customer_id": 1, "amount_cents": 3, "currency": "EUR", "ts": 4}"#);
    assert_eq!(e.field, Some("id"));

    let e = error(
        r#"{"id": 1, "customer_id": 1, "amount_cents": 99999999999999999999, "currency": "EUR", "ts": 4}"#,
    );
    assert_eq!(e.field, Some("amount_cents"));

    let e =
        error(r#"{"id": 1.5, "customer_id": 1, "amount_cents": 3, "currency": "EUR", "ts": 4}"#);
    assert_eq!(
        e.kind,
        DecodeErrorKind::WrongType {
            expected: "an unsigned integer (u64)",
            found: "a fractional number"
        }
    );
}

#[test]
fn malformed_json_is_a_syntax_error() {
    for bad in [
        "",
        "{",
        "[1, 2]",
        "null",
        r#"{"id": 1,}"#,
        r#"{"id": 1 "customer_id": 2}"#,
        r#"{"id": 01}"#,
        r#"{"currency": "EUR"#,
        r#"{"currency": "\x"}"#,
        r#"{"id": 1, "customer_id": 2, "amount_cents": 3, "currency": "EUR", "ts": 4} trailing"#,
    ] {
        assert!(decode::<Order>(bad).is_err(), "{bad:?} must not decode");
    }
    assert!(matches!(error("{").kind, DecodeErrorKind::Syntax(_)));
}

#[test]
fn invalid_utf8_and_duplicates_are_errors() {
    let mut bytes = br#"{"currency": "E"#.to_vec();
    bytes.push(0xff);
    bytes.extend_from_slice(br#"R"}"#);
    assert_eq!(
        Order::decode(&bytes).expect_err("invalid").kind,
        DecodeErrorKind::InvalidUtf8
    );

    let e = error(r#"{"id": 1, "id": 2}"#);
    assert_eq!(
        (e.field, &e.kind),
        (Some("id"), &DecodeErrorKind::DuplicateField)
    );
}

#[test]
fn a_bad_date_names_its_field_and_value() {
    let json = r#"{"type": "x", "score": 1, "active": false, "at": "yesterday", "small": 1}"#;
    let e = decode::<Event>(json).expect_err("bad date");
    assert_eq!(e.field, Some("at"));
    assert!(e.to_string().contains("\"yesterday\""), "{e}");
}

#[test]
fn no_prefix_or_byte_corruption_of_a_message_panics() {
    let valid = W1.as_bytes();
    for end in 0..valid.len() {
        assert!(
            Order::decode(&valid[..end]).is_err(),
            "a prefix of {end} bytes decoded"
        );
    }
    for position in 0..valid.len() {
        for byte in [
            0u8, b'"', b'\\', b'{', b'}', b'[', b',', b':', b'-', b'9', b'e', 0x80, 0xff,
        ] {
            let mut corrupted = valid.to_vec();
            corrupted[position] = byte;
            // Any outcome but a panic is acceptable: some corruptions are still valid JSON.
            let _ = Order::decode(&corrupted);
            let _ = Event::decode(&corrupted);
        }
    }
}

#[test]
fn deeply_nested_unknown_values_are_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let json = format!(r#"{{"x": {}{}}}"#, "[".repeat(depth), "]".repeat(depth));
    let e = Order::decode(json.as_bytes()).expect_err("too deep");
    assert_eq!(e.kind, DecodeErrorKind::Syntax("nesting too deep"));
}
