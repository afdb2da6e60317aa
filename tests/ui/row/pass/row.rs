use sluice::prelude::*;

#[derive(Row)]
#[row(table = "customer_minute")]
pub struct CustomerMinute {
    #[row(key)]
    pub customer_id: u32,
    #[row(key)]
    pub window_start: DateTime<Utc>,
    pub orders: i64,
    #[row(column = "amount_cents")]
    pub amount: i64,
    #[row(skip)]
    pub debug_note: String,
}

#[derive(Row)]
#[row(table = "shop.visits", key(visitor, day))]
pub struct Visit {
    pub visitor: u64,
    pub day: NaiveDate,
    pub pages: Option<u32>,
}

#[derive(Row)]
#[row(table = "log")]
pub struct LogLine {
    pub line: String,
}

fn main() {
    use sluice::Row;
    assert_eq!(CustomerMinute::COLUMNS, ["customer_id", "window_start", "orders", "amount_cents"]);
    assert_eq!(CustomerMinute::KEY, ["customer_id", "window_start"]);
    assert_eq!(
        CustomerMinute::ON_DUPLICATE_KEY,
        " ON DUPLICATE KEY UPDATE `orders` = VALUES(`orders`), `amount_cents` = VALUES(`amount_cents`)"
    );
    assert_eq!(Visit::INSERT, "INSERT INTO `shop`.`visits` (`visitor`, `day`, `pages`) VALUES ");
    assert_eq!(Visit::KEY, ["visitor", "day"]);
    assert_eq!(LogLine::ON_DUPLICATE_KEY, "");
}
