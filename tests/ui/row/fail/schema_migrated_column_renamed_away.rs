use sluice::prelude::*;

#[derive(Row)]
#[row(table = "visits", migrations = "../../../../tests/ui/schema/migrations")]
struct VisitRow {
    #[row(key)]
    visitor: String,
    #[row(key)]
    day: NaiveDate,
    pages: i32,
}

fn main() {}
