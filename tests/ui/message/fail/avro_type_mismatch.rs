use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders", format = "avro", schema = "../../../../tests/avro/order.avsc", schema_id = 1)]
struct Order {
    id: String,
    ratio: f32,
    ts: i64,
    day: NaiveDateTime,
}

fn main() {}
