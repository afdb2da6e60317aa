use sluice::prelude::*;

#[derive(Row)]
#[row(table = "ordres", schema = "../../../../tests/ui/schema/shop.sql")]
struct OrderRow {
    #[row(key)]
    id: u64,
}

fn main() {}
