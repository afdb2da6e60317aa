use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders")]
enum Order {
    Created { id: u64 },
}

fn main() {}
