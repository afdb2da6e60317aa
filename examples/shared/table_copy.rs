//! The table-copy pipeline: `orders` into `order_summaries`, each order with its day. Shared by
//! `examples/table_copy.rs` and the e2e bench (`#[path]`-included, not a crate).

use sluice::prelude::*;

use super::w1::OrderRow;

/// One order with its day.
#[derive(Row, Debug)]
#[row(table = "order_summaries", migrations = "migrations")]
pub struct OrderSummary {
    #[row(key)]
    pub id: u64,
    pub customer_id: u32,
    pub amount_cents: i64,
    pub day: NaiveDate,
}

/// Every row of `orders`, summarized.
#[pipeline]
pub fn summarize(orders: MySqlTable<OrderRow>) -> MySql<OrderSummary> {
    orders.map(|o| OrderSummary {
        id: o.id,
        customer_id: o.customer_id,
        amount_cents: o.amount_cents,
        day: o.ts.date_naive(),
    })
}
