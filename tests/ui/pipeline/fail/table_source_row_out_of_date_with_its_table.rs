use sluice::prelude::*;

// The source table's `currency` is CHAR(3): a struct that reads it as an integer is refused
// where it is declared, and the pipeline reading it adds no error of its own.
#[derive(Row)]
#[row(table = "orders", schema = "../../../../tests/ui/schema/shop.sql")]
struct OrderRow {
    #[row(key)]
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: u16,
    ts: DateTime<Utc>,
}

#[pipeline]
fn amounts(orders: MySqlTable<OrderRow>) -> Print<i64> {
    orders.map(|o| o.amount_cents)
}

fn main() {
    let _ = amounts::main;
}
