use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders", format = "csv")]
struct Order {
    id: u64,
    bytes: Vec<u8>,
}

fn main() {}
