use sluice::prelude::*;

#[derive(Row)]
#[row(tabel = "orders")]
struct OrderRow {
    #[row(primary)]
    id: u64,
}

fn main() {}
