use sluice::prelude::*;

#[derive(Row)]
#[row(table = "orders")]
struct OrderRow {
    #[row(key, key)]
    id: u64,
    #[row(column = "amount_cents")]
    #[row(column = "cents")]
    amount: i64,
    #[row(skip, skip)]
    note: String,
    #[row(decimal_as_float, decimal_as_float)]
    price: f64,
}

fn main() {}
