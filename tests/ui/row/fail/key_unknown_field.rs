use sluice::prelude::*;

#[derive(Row)]
#[row(table = "orders", key(order_id))]
struct OrderRow {
    id: u64,
    orders_id: u64,
}

fn main() {}
