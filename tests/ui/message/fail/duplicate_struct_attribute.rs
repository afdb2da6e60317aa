use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders", topic = "returns")]
struct Order {
    id: u64,
}

#[derive(Message)]
#[message(topic = "clicks", format = "json")]
#[message(topic = "views", format = "json")]
struct Click {
    id: u64,
}

fn main() {}
