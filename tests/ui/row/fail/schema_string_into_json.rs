use sluice::prelude::*;

#[derive(Row)]
#[row(table = "everything", schema = "../../../../tests/ui/schema/shop.sql")]
struct Everything {
    #[row(key)]
    id: i32,
    small: u16,
    medium: i32,
    flag: bool,
    price: rust_decimal::Decimal,
    ratio: f64,
    code: String,
    kind: String,
    digest: Vec<u8>,
    attrs: Option<String>,
    day: NaiveDate,
    created: DateTime<Utc>,
    updated: NaiveDateTime,
}

fn main() {}
