use std::collections::HashMap;

use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders")]
struct Order {
    id: u64,
    tags: HashMap<String, String>,
}

fn main() {}
