use sluice::prelude::*;

#[derive(Row)]
#[row(table = "orders")]
#[row(table = "order_rows", append_only, append_only)]
struct OrderRow {
    id: u64,
}

#[derive(Row)]
#[row(table = "visits", key(visitor), key(visitor, day), allow_other_unique_keys)]
#[row(allow_other_unique_keys)]
struct Visit {
    visitor: u32,
    day: NaiveDate,
}

#[derive(Row)]
#[row(table = "events", key(source, seq, source))]
struct Event {
    source: String,
    #[row(key)]
    seq: u64,
}

fn main() {}
