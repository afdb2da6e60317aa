use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders", format = "protobuf", schema = "../../../../tests/protobuf/order.proto", message_type = "Order")]
pub struct Order {
    #[message(key)]
    pub id: i64,
    pub customer_id: u32,
    pub note: Option<String>,
    #[message(rename = "amount_cents")]
    pub cents: i64,
    pub blob: Vec<u8>,
}

#[derive(Message)]
#[message(topic = "refunds", format = "protobuf", schema = "../../../../tests/protobuf/order.proto", message_type = "Refund")]
pub struct Refund {
    pub order_id: u64,
}

const _: () = assert!(matches!(<Order as sluice::Message>::FORMAT, sluice::Format::Protobuf));

fn main() {}
