//! W1 end to end: produce orders into Kafka, run the ingest pipeline to the end of the topic,
//! check the `orders` table.
//!
//! ```text
//! cargo run --release --example quickstart                 # embedded broker, 100,000 orders
//! cargo run --release --example quickstart -- --brokers 127.0.0.1:9092 --orders 1000000
//! ```

use sluice_testkit::workload::{self, W1Checksum};
use sqlx::Connection;

#[path = "shared/orders_topic.rs"]
mod orders_topic;
#[path = "shared/w1.rs"]
mod w1;

use orders_topic::{OrdersTopic, database_url, parse_args};
use w1::ingest;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    sluice::cli::init_tracing();
    let args = parse_args()?;
    let database_url = database_url();
    let runtime = tokio::runtime::Runtime::new()?;
    let orders = OrdersTopic::produce(&args, "quickstart")?;

    // A fresh topic: start from an empty table and no stored offsets.
    runtime.block_on(async {
        let mut db = sqlx::MySqlConnection::connect(&database_url).await?;
        sqlx::query(workload::ORDERS_DDL).execute(&mut db).await?;
        sqlx::query("TRUNCATE TABLE orders")
            .execute(&mut db)
            .await?;
        Ok::<_, sqlx::Error>(())
    })?;

    let report = ingest::run(orders.config(&args, &database_url))?;
    let seconds = report.elapsed.as_secs_f64();
    println!(
        "wrote {} rows in {seconds:.2} s: {:.0} rows/s ({} transactions, {} dead letters)",
        report.written,
        report.written as f64 / seconds,
        report.transactions,
        report.dead_lettered
    );

    let found = runtime.block_on(async {
        let mut db = sqlx::MySqlConnection::connect(&database_url).await?;
        W1Checksum::query(&mut db).await
    })?;
    let expected = W1Checksum::expected(args.orders);
    if found == expected {
        println!(
            "check: OK, orders has {} rows, SUM(id) = {}, SUM(amount_cents) = {}, SUM(customer_id) = {}",
            expected.count, expected.sum_id, expected.sum_amount_cents, expected.sum_customer_id
        );
        Ok(())
    } else {
        Err(format!("check FAILED: expected {expected:?}, found {found:?}").into())
    }
}
