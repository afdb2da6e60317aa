//! The decoder and encoder `#[derive(Message)]` generates for `format = "debezium"`: change
//! events with and without the schema envelope, each operation, the row image decoded into the
//! struct, and each way an event can be malformed.

use proptest::prelude::*;
use sluice::codec::{DecodeError, DecodeErrorKind};
use sluice::prelude::*;
use sluice::{Change, Format};

/// A row of a `customers` table, as the Debezium MySQL connector writes it with its default
/// settings: DATETIME(3) as epoch milliseconds (`io.debezium.time.Timestamp`).
#[derive(Message, Debug, Clone, PartialEq)]
#[message(topic = "shop.inventory.customers", format = "debezium")]
struct Customer {
    #[message(key)]
    id: u32,
    first_name: String,
    email: Option<String>,
    balance_cents: i64,
    #[message(with = "epoch_millis")]
    updated: NaiveDateTime,
    score: Option<f64>,
    /// DATE as days since the epoch (`io.debezium.time.Date`).
    #[message(with = "epoch_days")]
    born: Option<NaiveDate>,
}

fn anne() -> Customer {
    Customer {
        id: 1004,
        first_name: "Anne".into(),
        email: Some("anne@example.org".into()),
        balance_cents: -250,
        updated: DateTime::from_timestamp_millis(1_767_225_600_123)
            .expect("in range")
            .naive_utc(),
        score: Some(0.5),
        born: NaiveDate::from_ymd_opt(1961, 4, 12),
    }
}

const ANNE: &str = r#"{"id":1004,"first_name":"Anne","email":"anne@example.org","balance_cents":-250,"updated":1767225600123,"score":0.5,"born":-3186}"#;
const ANNE_BEFORE: &str = r#"{"id":1004,"first_name":"Anne","email":null,"balance_cents":0,"updated":1767225600000,"score":null,"born":null}"#;

const SOURCE: &str = r#"{"version":"2.7.3.Final","connector":"mysql","name":"shop","ts_ms":1767225600123,"snapshot":"false","db":"inventory","sequence":null,"table":"customers","server_id":223344,"gtid":null,"file":"mysql-bin.000003","pos":1204,"row":0,"thread":12,"query":null}"#;

/// A change event as the JSON converter writes it without schemas.
fn event(op: &str, before: &str, after: &str) -> String {
    format!(
        r#"{{"before":{before},"after":{after},"source":{SOURCE},"op":"{op}","ts_ms":1767225600456,"transaction":null}}"#
    )
}

/// The same event under `"payload"`, beside the schema the converter writes by default.
fn with_schema(event: &str) -> String {
    let row = r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"first_name"},{"type":"string","optional":true,"field":"email"},{"type":"int64","optional":false,"field":"balance_cents"},{"type":"int64","optional":false,"name":"io.debezium.time.Timestamp","version":1,"field":"updated"},{"type":"double","optional":true,"field":"score"},{"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"field":"born"}],"optional":true,"name":"shop.inventory.customers.Value","field":"before"}"#;
    format!(
        r#"{{"schema":{{"type":"struct","fields":[{row},{after},{{"type":"string","optional":false,"field":"op"}}],"optional":false,"name":"shop.inventory.customers.Envelope","version":2}},"payload":{event}}}"#,
        after = row.replace(r#""field":"before""#, r#""field":"after""#),
    )
}

fn change(payload: &str) -> Result<(Change, Customer), DecodeError> {
    Customer::decode_change(payload.as_bytes())
}

fn failure(payload: &str) -> (Option<&'static str>, usize, DecodeErrorKind) {
    let error = change(payload).expect_err("the event must not decode");
    let detail = error.into_detail();
    (detail.field, detail.offset, detail.kind)
}

#[test]
fn creates_reads_and_updates_are_upserts_of_the_row_after() {
    for op in ["c", "r", "u"] {
        let before = if op == "u" { ANNE_BEFORE } else { "null" };
        let plain = event(op, before, ANNE);
        assert_eq!(change(&plain), Ok((Change::Upsert, anne())), "{op}");
        assert_eq!(
            change(&with_schema(&plain)),
            Ok((Change::Upsert, anne())),
            "{op}"
        );
    }
    assert_eq!(Customer::FORMAT, Format::Debezium);
    assert!(Customer::FORMAT.has_deletes());
}

#[test]
fn a_delete_is_the_row_before() {
    let plain = event("d", ANNE, "null");
    assert_eq!(change(&plain), Ok((Change::Delete, anne())));
    assert_eq!(change(&with_schema(&plain)), Ok((Change::Delete, anne())));
    // `decode` alone gives the row image, whatever happened to it.
    assert_eq!(Customer::decode(plain.as_bytes()), Ok(anne()));
}

#[test]
fn keys_in_any_order_and_whitespace_are_read() {
    let payload = format!(
        "{{ \"op\" : \"u\",\n \"ts_ms\": 1,\n \"after\" :\n {ANNE} ,\"before\": null, \"source\": {SOURCE} }}"
    );
    assert_eq!(change(&payload), Ok((Change::Upsert, anne())));
}

#[test]
fn an_error_in_the_row_image_names_the_field_and_its_place_in_the_payload() {
    let payload = event("c", "null", &ANNE.replace("-250", "\"-250\""));
    let at = payload.find("\"-250\"").expect("the bad value");
    let (field, offset, kind) = failure(&payload);
    assert_eq!(field, Some("balance_cents"));
    assert_eq!(offset, at);
    assert!(
        matches!(kind, DecodeErrorKind::WrongType { .. }),
        "{kind:?}"
    );
    let message = change(&payload).expect_err("bad").to_string();
    assert!(message.contains("balance_cents"), "{message}");

    let payload = event("d", &ANNE.replace(",\"first_name\":\"Anne\"", ""), "null");
    let (field, _, kind) = failure(&payload);
    assert_eq!(field, Some("first_name"));
    assert_eq!(kind, DecodeErrorKind::MissingField);
}

#[test]
fn the_corruptions_of_the_workloads_are_errors() {
    let good = event("c", "null", ANNE);
    // Truncated at every byte.
    for end in 0..good.len() {
        assert!(change(&good[..end]).is_err(), "truncated at {end}");
    }
    // Out of range for the field's type.
    let payload = event("c", "null", &ANNE.replace("1004", "4294967296"));
    assert!(matches!(
        failure(&payload).2,
        DecodeErrorKind::OutOfRange { .. }
    ));
    // Not UTF-8 in a string.
    let mut bytes = good.clone().into_bytes();
    let at = good.find("Anne").expect("name");
    bytes[at + 1] = 0xff;
    assert!(Customer::decode_change(&bytes).is_err());
    // Not an object at all.
    assert!(change("[1,2]").is_err());
    assert!(change("").is_err());
}

#[test]
fn events_without_the_row_they_need_are_errors() {
    let (field, _, kind) = failure(&event("c", "null", "null"));
    assert_eq!(
        (field, kind),
        (Some("after"), DecodeErrorKind::MissingField)
    );
    let (field, _, kind) = failure(&event("d", "null", "null"));
    assert_eq!(
        (field, kind),
        (Some("before"), DecodeErrorKind::MissingField)
    );
    let (field, _, kind) = failure(&format!(r#"{{"before":null,"after":{ANNE}}}"#));
    assert_eq!((field, kind), (Some("op"), DecodeErrorKind::MissingField));
    let (field, _, kind) = failure(&event("c", "null", "[1]"));
    assert_eq!(field, Some("after"));
    assert!(
        matches!(kind, DecodeErrorKind::WrongType { .. }),
        "{kind:?}"
    );
}

#[test]
fn unknown_operations_and_truncates_are_errors_that_say_so() {
    let truncate = r#"{"before":null,"after":null,"source":{},"op":"t","ts_ms":1}"#;
    let message = change(truncate).expect_err("a truncate").to_string();
    assert!(message.contains("truncate"), "{message}");
    let (field, _, kind) = failure(&event("x", "null", ANNE));
    assert_eq!(field, Some("op"));
    assert!(
        matches!(kind, DecodeErrorKind::InvalidValue { .. }),
        "{kind:?}"
    );
    let (field, _, _) = failure(&event("c", "null", ANNE).replace("\"op\":\"c\"", "\"op\":1"));
    assert_eq!(field, Some("op"));
}

#[test]
fn an_encoded_event_decodes_to_the_same_change() {
    let mut out = Vec::new();
    anne().encode(&mut out).expect("encode");
    assert_eq!(
        std::str::from_utf8(&out).expect("UTF-8"),
        format!(r#"{{"before":null,"after":{ANNE},"op":"c"}}"#)
    );
    assert_eq!(Customer::decode_change(&out), Ok((Change::Upsert, anne())));
    out.clear();
    assert_eq!(anne().encode_delete(&mut out), Ok(true));
    assert_eq!(Customer::decode_change(&out), Ok((Change::Delete, anne())));
    let mut key = Vec::new();
    assert!(anne().encode_key(&mut key));
    assert_eq!(key, b"1004");
}

proptest! {
    /// Whatever the values, an encoded upsert or delete decodes to the same change.
    #[test]
    fn encoded_changes_decode_to_themselves(
        id: u32,
        first_name in "[a-z\"\\\\ é🦀\n]{0,12}",
        email in proptest::option::of("[a-z@.]{0,8}"),
        balance_cents: i64,
        millis in -62_000_000_000_000i64..250_000_000_000_000,
        score in proptest::option::of(-1e300f64..1e300),
        delete: bool,
        born in proptest::option::of(-700_000i64..2_900_000),
    ) {
        let customer = Customer {
            id,
            first_name,
            email,
            balance_cents,
            updated: DateTime::from_timestamp_millis(millis).expect("in range").naive_utc(),
            score,
            born: born.map(|day| {
                DateTime::from_timestamp(day * 86_400, 0).expect("in range").date_naive()
            }),
        };
        let mut out = Vec::new();
        let expected = if delete {
            prop_assert_eq!(customer.encode_delete(&mut out), Ok(true));
            Change::Delete
        } else {
            customer.encode(&mut out).expect("encode");
            Change::Upsert
        };
        prop_assert_eq!(Customer::decode_change(&out), Ok((expected, customer)));
    }

    /// No payload panics the decoder.
    #[test]
    fn arbitrary_bytes_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..96)) {
        let _ = Customer::decode_change(&payload);
    }

    /// Nor does a real event with one byte changed.
    #[test]
    fn a_changed_byte_never_panics(at in 0usize..400, byte: u8) {
        let mut payload = with_schema(&event("u", ANNE_BEFORE, ANNE)).into_bytes();
        let at = at % payload.len();
        payload[at] = byte;
        let _ = Customer::decode_change(&payload);
    }
}
