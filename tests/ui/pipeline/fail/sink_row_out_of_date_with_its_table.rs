use sluice::prelude::*;

#[derive(Message)]
#[message(topic = "orders")]
struct Order {
    id: u64,
    amount_cents: u32,
}

// Only the column type is wrong: the pipeline below adds no error of its own.
#[derive(Row)]
#[row(table = "orders", schema = "../../../../tests/ui/schema/shop.sql")]
struct OrderRow {
    #[row(key)]
    id: u64,
    customer_id: u32,
    amount_cents: u32,
    currency: String,
    ts: DateTime<Utc>,
}

#[pipeline]
fn ingest(orders: Kafka<Order>) -> MySql<OrderRow> {
    orders.map(|o| OrderRow {
        id: o.id,
        customer_id: 0,
        amount_cents: o.amount_cents,
        currency: "EUR".into(),
        ts: Utc::now(),
    })
}

fn main() {
    let _ = ingest::main;
}
