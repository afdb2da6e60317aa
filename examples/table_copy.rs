//! A table as the input: `orders` copied into `order_summaries` with each order's day instead
//! of its time, as Flink's `INSERT INTO order_summaries SELECT ... FROM orders` would, in key
//! ranges read by every worker.
//!
//! ```text
//! cargo run --release --example table_copy -- --workers 2 --migrate
//! ```
//!
//! The scan is bounded: the run ends once every range is read. Each range's position is stored
//! with the rows it produced, so a killed copy resumes where it was. Needs the `orders` table
//! (`quickstart` fills it) and a database (`--database-url` or `DATABASE_URL`).

#[path = "shared/w1.rs"]
mod w1;

use sluice::prelude::*;
use w1::OrderRow;

/// One order with its day.
#[derive(Row, Debug)]
#[row(table = "order_summaries", migrations = "migrations")]
struct OrderSummary {
    #[row(key)]
    id: u64,
    customer_id: u32,
    amount_cents: i64,
    day: NaiveDate,
}

/// Every row of `orders`, summarized.
#[pipeline]
fn summarize(orders: MySqlTable<OrderRow>) -> MySql<OrderSummary> {
    orders.map(|o| OrderSummary {
        id: o.id,
        customer_id: o.customer_id,
        amount_cents: o.amount_cents,
        day: o.ts.date_naive(),
    })
}

fn main() -> sluice::Result<()> {
    summarize::main()
}
