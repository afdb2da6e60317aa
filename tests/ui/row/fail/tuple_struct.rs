use sluice::prelude::*;

#[derive(Row)]
#[row(table = "orders")]
struct OrderRow(u64, String);

fn main() {}
