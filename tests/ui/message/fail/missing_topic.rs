use sluice::prelude::*;

#[derive(Message)]
#[message(format = "json")]
struct Order {
    id: u64,
}

fn main() {}
