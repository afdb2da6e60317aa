use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders", format = "protobuf", schema = "../../../../tests/protobuf/order.proto", message_type = "Order")]
struct Mismatched {
    id: String,
    customer: u32,
    currency: Option<String>,
    ratio: f32,
    tags: Vec<u8>,
}

#[derive(Message)]
#[message(topic = "orders", format = "protobuf", schema = "../../../../tests/protobuf/order.proto")]
struct WhichMessage {
    id: i64,
}

#[derive(Message)]
#[message(topic = "orders", format = "protobuf", schema = "../../../../tests/protobuf/order.proto", message_type = "Ordr")]
struct NoSuchMessage {
    id: i64,
}

#[derive(Message)]
#[message(topic = "orders", message_type = "Order")]
struct NotProtobuf {
    id: i64,
}

fn main() {}
