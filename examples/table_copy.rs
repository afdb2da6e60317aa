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

#[path = "shared/table_copy.rs"]
mod table_copy;
#[path = "shared/w1.rs"]
mod w1;

use table_copy::summarize;

fn main() -> sluice::Result<()> {
    summarize::main()
}
