use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders", format = "thrift")]
struct Order {
    id: u64,
}

fn main() {}
