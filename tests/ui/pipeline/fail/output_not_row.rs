use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders")]
struct Order {
    id: u64,
}

struct Summary {
    id: u64,
}

#[pipeline]
fn ingest(orders: Kafka<Order>) -> MySql<Summary> {
    orders.map(|o| Summary { id: o.id })
}

fn main() {}
