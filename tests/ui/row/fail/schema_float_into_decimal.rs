use sluice::prelude::*;

#[derive(Row)]
#[row(table = "events", schema = "../../../../tests/ui/schema/shop.sql", key(source, seq), allow_other_unique_keys)]
struct EventRow {
    source: String,
    seq: u64,
    external_ref: String,
    price: f64,
}

fn main() {}
