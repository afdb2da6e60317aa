use sluice::prelude::*;

#[derive(Message)]
#[message(topik = "orders")]
struct Order {
    id: u64,
}

fn main() {}
