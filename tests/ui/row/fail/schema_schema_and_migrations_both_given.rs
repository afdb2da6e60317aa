use sluice::prelude::*;

#[derive(Row)]
#[row(table = "orders", schema = "../../../../tests/ui/schema/shop.sql", migrations = "../../../../tests/ui/schema/migrations")]
struct OrderRow {
    #[row(key)]
    id: u64,
}

fn main() {}
