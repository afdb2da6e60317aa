use sluice::prelude::*;

struct Money(i64);

#[derive(Row)]
#[row(table = "orders")]
struct OrderRow {
    #[row(key)]
    id: u64,
    amount: Money,
}

fn main() {}
