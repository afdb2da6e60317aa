use sluice::prelude::*;

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
fn ingest(orders: Kafka<Order>) -> MySql<OrderRow> {
    orders.map(|o| OrderRow { id: o.id })
}

fn main() {}
