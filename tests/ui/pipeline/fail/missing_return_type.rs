use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders")]
struct Order {
    id: u64,
}

#[pipeline]
fn ingest(orders: Kafka<Order>) {
    orders;
}

fn main() {}
