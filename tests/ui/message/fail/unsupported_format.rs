use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders", format = "protobuf")]
struct Order {
    id: u64,
}

fn main() {}
