use sluice::prelude::*;

#[derive(Message)]
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
fn ingest(orders: Vec<Order>) -> MySql<OrderRow> {
    orders.map(|o| OrderRow { id: o.id })
}

fn main() -> sluice::Result<()> {
    ingest::main()
}
