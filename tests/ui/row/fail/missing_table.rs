use sluice::prelude::*;

#[derive(Row)]
struct OrderRow {
    #[row(key)]
    id: u64,
}

fn main() {}
