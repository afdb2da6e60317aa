use sluice::prelude::*;

#[derive(Row)]
#[row(table = "orders", migrations = "../../../../tests/ui/schema/no_such_folder")]
struct OrderRow {
    #[row(key)]
    id: u64,
}

fn main() {}
