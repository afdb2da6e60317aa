use sluice::prelude::*;

#[derive(Row)]
#[row(table = "events", schema = "../../../../tests/ui/schema/shop.sql", key(source, seq))]
struct EventRow {
    source: String,
    seq: u64,
    external_ref: String,
}

fn main() {}
