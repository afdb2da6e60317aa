use sluice::prelude::*;

#[derive(Row)]
#[row(table = "orders", schema = "../../../../tests/ui/schema/broken.sql")]
struct OrderRow {
    #[row(key)]
    id: u64,
    customer_id: u32,
}

fn main() {}
