use sluice::prelude::*;

#[derive(Row)]
#[row(table = "orders", schema = "../../../../tests/ui/schema/shop.sql")]
struct OrderRow {
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: String,
    ts: DateTime<Utc>,
}

fn main() {}
