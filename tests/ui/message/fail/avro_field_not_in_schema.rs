use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders", format = "avro", schema = "../../../../tests/avro/order.avsc", schema_id = 1)]
struct Order {
    id: u64,
    customer: u32,
}

fn main() {}
