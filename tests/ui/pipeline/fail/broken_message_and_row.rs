use sluice::prelude::*;

// One mistake in each struct: the pipeline below adds no error of its own.
#[derive(Message)]
#[message(topic = "orders", topic = "returns")]
struct Order {
    id: u64,
    amount_cents: i64,
}

#[derive(Row)]
#[row(table = "orders")]
struct OrderRow {
    #[row(primary)]
    id: u64,
    amount_cents: i64,
}

#[pipeline]
fn ingest(orders: Kafka<Order>) -> MySql<OrderRow> {
    orders.map(|o| OrderRow {
        id: o.id,
        amount_cents: o.amount_cents,
    })
}

fn main() {
    let _ = ingest::main;
}
