use sluice::prelude::*;

#[derive(Message, Clone)]
#[message(topic = "orders")]
struct Order {
    id: u64,
}

#[derive(Row)]
#[row(table = "orders")]
struct OrderRow {
    #[row(key)]
    id: u64,
}

#[pipeline]
fn ingest(orders: Kafka<Order>) -> (MySql<OrderRow>, Vec<u64>) {
    let ids = orders.clone().map(|o| o.id);
    (orders.map(|o| OrderRow { id: o.id }), ids)
}

fn main() -> sluice::Result<()> {
    ingest::main()
}
