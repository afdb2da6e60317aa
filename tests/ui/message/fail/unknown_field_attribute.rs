use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders")]
struct Order {
    #[message(renam = "ID")]
    id: u64,
}

fn main() {}
