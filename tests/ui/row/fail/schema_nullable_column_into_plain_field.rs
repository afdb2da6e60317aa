use sluice::prelude::*;

#[derive(Row)]
#[row(table = "orders", schema = "../../../../tests/ui/schema/shop.sql")]
struct OrderRow {
    #[row(key)]
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    currency: String,
    note: String,
    ts: DateTime<Utc>,
}

fn main() {}
