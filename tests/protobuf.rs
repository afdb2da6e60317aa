//! The protobuf decoder and encoder `#[derive(Message)]` generates for `format = "protobuf"`,
//! against the reference implementation (`prost`): what it writes, sluice reads; what sluice
//! writes, it reads, byte for byte; and every way a message can be malformed.

use proptest::prelude::*;
use prost::Message as _;
use sluice::codec::{DecodeError, DecodeErrorKind};
use sluice::prelude::*;

/// Every field of `Order` in `tests/protobuf/order.proto` but the repeated one.
#[derive(Message, Debug, Clone, PartialEq, Default)]
#[message(
    topic = "orders_proto",
    format = "protobuf",
    schema = "tests/protobuf/order.proto",
    message_type = "Order"
)]
struct FullOrder {
    id: i64,
    customer_id: u32,
    amount_cents: i64,
    currency: String,
    #[message(event_time)]
    ts_millis: i64,
    note: Option<String>,
    paid: bool,
    discount: f32,
    ratio: f64,
    units: u32,
    balance: i64,
    delta: i32,
    blob: Vec<u8>,
    coupon: Option<i64>,
    checksum: u64,
    offset: i32,
    level: i32,
    big: u64,
}

/// A reader that needs a few fields, one renamed, one narrower than its wire type.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(
    topic = "orders_proto",
    format = "protobuf",
    schema = "tests/protobuf/order.proto",
    message_type = "Order"
)]
struct Order {
    #[message(rename = "id")]
    order_id: u64,
    customer_id: u16,
    note: Option<String>,
    currency: String,
}

/// A plain field for an `optional` one: a default value is still written (presence).
#[derive(Message, Debug, Clone, PartialEq)]
#[message(
    topic = "orders_proto",
    format = "protobuf",
    schema = "tests/protobuf/order.proto",
    message_type = "Order"
)]
struct CouponOnly {
    coupon: i64,
}

/// The same message as prost's derive declares it.
#[derive(Clone, PartialEq, prost::Message)]
struct ProstOrder {
    #[prost(int64, tag = "1")]
    id: i64,
    #[prost(uint32, tag = "2")]
    customer_id: u32,
    #[prost(sint64, tag = "3")]
    amount_cents: i64,
    #[prost(string, tag = "4")]
    currency: String,
    #[prost(int64, tag = "5")]
    ts_millis: i64,
    #[prost(string, optional, tag = "6")]
    note: Option<String>,
    #[prost(bool, tag = "7")]
    paid: bool,
    #[prost(float, tag = "8")]
    discount: f32,
    #[prost(double, tag = "9")]
    ratio: f64,
    #[prost(fixed32, tag = "10")]
    units: u32,
    #[prost(sfixed64, tag = "11")]
    balance: i64,
    #[prost(int32, tag = "12")]
    delta: i32,
    #[prost(bytes = "vec", tag = "13")]
    blob: Vec<u8>,
    #[prost(string, repeated, tag = "14")]
    tags: Vec<String>,
    #[prost(int64, optional, tag = "15")]
    coupon: Option<i64>,
    #[prost(fixed64, tag = "16")]
    checksum: u64,
    #[prost(sint32, tag = "17")]
    offset: i32,
    #[prost(sfixed32, tag = "18")]
    level: i32,
    #[prost(uint64, tag = "19")]
    big: u64,
}

fn pair(i: i64, note: Option<String>, coupon: Option<i64>, delta: i32) -> (ProstOrder, FullOrder) {
    let full = FullOrder {
        id: i,
        customer_id: (i * 7919 % 1000) as u32,
        amount_cents: -i * 31,
        currency: "EUR".to_owned(),
        ts_millis: 1_767_225_600_000 + i,
        note,
        paid: i % 2 == 0,
        discount: i as f32 / 8.0,
        ratio: i as f64 * -0.25,
        units: i as u32,
        balance: -i * 1_000,
        delta,
        blob: vec![0, 0xff, i as u8],
        coupon,
        checksum: (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        offset: -(i as i32),
        level: i as i32 - 50,
        big: u64::MAX - i as u64,
    };
    let prost = ProstOrder {
        id: full.id,
        customer_id: full.customer_id,
        amount_cents: full.amount_cents,
        currency: full.currency.clone(),
        ts_millis: full.ts_millis,
        note: full.note.clone(),
        paid: full.paid,
        discount: full.discount,
        ratio: full.ratio,
        units: full.units,
        balance: full.balance,
        delta: full.delta,
        blob: full.blob.clone(),
        tags: Vec::new(),
        coupon: full.coupon,
        checksum: full.checksum,
        offset: full.offset,
        level: full.level,
        big: full.big,
    };
    (prost, full)
}

fn encode<M: sluice::Message>(message: &M) -> Vec<u8> {
    let mut out = Vec::new();
    message.encode(&mut out).expect("encodable");
    out
}

fn error(payload: &[u8]) -> DecodeError {
    FullOrder::decode(payload).expect_err("must not decode")
}

#[test]
fn what_prost_writes_sluice_reads_and_the_other_way_round_byte_for_byte() {
    for i in 0..300 {
        let note = (i % 3 != 0).then(|| format!("note {i} é"));
        let coupon = (i % 4 == 0).then_some(-i);
        let (prost, full) = pair(i, note.clone(), coupon, -(i as i32) * 1_000);
        let written = prost.encode_to_vec();
        assert_eq!(FullOrder::decode(&written), Ok(full.clone()), "order {i}");
        assert_eq!(encode(&full), written, "order {i}: prost's bytes");
        assert_eq!(
            ProstOrder::decode(encode(&full).as_slice()),
            Ok(prost),
            "order {i}"
        );
        let order = Order::decode(&written).expect("the reader skips what it does not need");
        assert_eq!((order.order_id, order.note), (i as u64, note));
    }
    // Repeated fields the struct does not read are skipped.
    let (mut prost, full) = pair(7, None, None, 1);
    prost.tags = vec!["a".into(), "b".into()];
    assert_eq!(FullOrder::decode(&prost.encode_to_vec()), Ok(full));
    // Absent fields are their defaults; an absent optional is None, a present default Some.
    assert_eq!(FullOrder::decode(&[]), Ok(FullOrder::default()));
    let zero = ProstOrder {
        coupon: Some(0),
        ..ProstOrder::default()
    };
    let decoded = FullOrder::decode(&zero.encode_to_vec()).expect("decodes");
    assert_eq!(decoded.coupon, Some(0));
    assert_eq!(encode(&decoded), zero.encode_to_vec());
}

#[test]
fn a_field_with_presence_is_written_even_when_it_holds_its_default() {
    let written = encode(&CouponOnly { coupon: 0 });
    let read = ProstOrder::decode(written.as_slice()).expect("prost reads it");
    assert_eq!(read.coupon, Some(0));
    assert_eq!(CouponOnly::decode(&[]), Ok(CouponOnly { coupon: 0 }));
}

#[test]
fn malformed_messages_are_errors_that_name_the_field() {
    let (prost, _) = pair(7, Some("x".into()), Some(3), -5);
    let good = prost.encode_to_vec();
    // Cut inside the string of field 4 (after its key and length).
    let currency_at = good.windows(3).position(|w| w == b"EUR").expect("currency");
    let cut = error(&good[..currency_at + 1]);
    assert_eq!(cut.field, Some("currency"));
    assert_eq!(
        cut.kind,
        DecodeErrorKind::Protobuf("the message ends inside a value")
    );
    // The varint of field 1 never ends.
    let open = error(&[0x08, 0x80]);
    assert_eq!(
        (open.field, open.kind.clone()),
        (
            Some("id"),
            DecodeErrorKind::Protobuf("the message ends inside a number")
        )
    );
    // Field 1 (int64) sent as a string: the wrong wire type.
    let wire = error(&[0x0a, 1, b'7']);
    assert_eq!(wire.field, Some("id"));
    assert_eq!(
        wire.kind,
        DecodeErrorKind::Protobuf("a value of another wire type than the field's type")
    );
    // A string that is not UTF-8.
    let mut bad_text = good.clone();
    bad_text[currency_at + 1] = 0xff;
    let text = error(&bad_text);
    assert_eq!(
        (text.field, text.kind.clone()),
        (Some("currency"), DecodeErrorKind::InvalidUtf8)
    );
    // A group in a field the struct does not read (20), field number 0.
    assert_eq!(
        error(&[0xa3, 0x01]).kind,
        DecodeErrorKind::Protobuf("a group or an unknown wire type (sluice reads 0, 1, 2 and 5)")
    );
    assert_eq!(
        error(&[0x00, 0x01]).kind,
        DecodeErrorKind::Protobuf("a field number out of range")
    );
    // A uint32 beyond the u16 the reader declares.
    let wide = ProstOrder {
        customer_id: 70_000,
        ..ProstOrder::default()
    };
    let narrow = Order::decode(&wide.encode_to_vec()).expect_err("out of range");
    assert_eq!(narrow.field, Some("customer_id"));
    assert!(matches!(narrow.kind, DecodeErrorKind::OutOfRange { .. }));
    assert_eq!(
        narrow.to_string(),
        "field `customer_id`: number out of range for an integer (u16) (at byte 1)"
    );
}

proptest! {
    /// Whatever the values, sluice writes prost's bytes and reads them back.
    #[test]
    fn any_order_round_trips(
        i in -1_000_000i64..1_000_000,
        note in proptest::option::of("\\PC{0,20}"),
        coupon: Option<i64>,
        delta: i32,
    ) {
        let (prost, full) = pair(i, note, coupon, delta);
        prop_assert_eq!(encode(&full), prost.encode_to_vec());
        prop_assert_eq!(FullOrder::decode(&prost.encode_to_vec()), Ok(full));
    }

    /// No payload panics the decoder.
    #[test]
    fn arbitrary_bytes_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..80)) {
        let _ = FullOrder::decode(&payload);
        let _ = Order::decode(&payload);
    }
}

/// A message with enum fields, read as their numbers.
#[derive(sluice::Message, Debug, Clone, PartialEq)]
#[message(
    topic = "payments",
    format = "protobuf",
    schema = "tests/protobuf/payment.proto"
)]
struct Payment {
    id: u64,
    status: i32,
    previous: Option<i32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
enum ProstStatus {
    New = 0,
    Paid = 1,
    Refunded = -1,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ProstPayment {
    #[prost(uint64, tag = "1")]
    id: u64,
    #[prost(enumeration = "ProstStatus", tag = "2")]
    status: i32,
    #[prost(enumeration = "ProstStatus", optional, tag = "3")]
    previous: Option<i32>,
}

#[test]
fn enums_are_read_and_written_as_their_numbers_as_prost_does() {
    let statuses = [ProstStatus::New, ProstStatus::Paid, ProstStatus::Refunded];
    for (i, status) in statuses.into_iter().enumerate() {
        for previous in [None, Some(ProstStatus::New), Some(ProstStatus::Refunded)] {
            let prost = ProstPayment {
                id: i as u64,
                status: status as i32,
                previous: previous.map(|p| p as i32),
            };
            let payment = Payment {
                id: i as u64,
                status: status as i32,
                previous: previous.map(|p| p as i32),
            };
            let mut written = Vec::new();
            payment.encode(&mut written).expect("encode");
            assert_eq!(written, prost.encode_to_vec(), "{payment:?}");
            assert_eq!(Payment::decode(&written), Ok(payment));
        }
    }
}
