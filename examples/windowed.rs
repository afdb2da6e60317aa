//! W2 end to end: produce orders into Kafka, count and sum them per customer and minute of
//! event time into `customer_minute`, print how many windows were written.
//!
//! ```text
//! cargo run --release --example windowed                    # embedded broker, 100,000 orders
//! cargo run --release --example windowed -- --brokers 127.0.0.1:9092 --orders 1000000
//! ```

use sluice_testkit::workload;
use sqlx::Connection;

#[path = "shared/orders_topic.rs"]
mod orders_topic;
#[path = "shared/w1.rs"]
#[allow(dead_code)]
mod w1;
#[path = "shared/w2.rs"]
mod w2;

use orders_topic::{OrdersTopic, database_url, parse_args};
use w2::per_customer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    sluice::cli::init_tracing();
    let args = parse_args()?;
    let database_url = database_url();
    let runtime = tokio::runtime::Runtime::new()?;
    let orders = OrdersTopic::produce(&args, "windowed")?;

    // A fresh topic: start from an empty table.
    runtime.block_on(async {
        let mut db = sqlx::MySqlConnection::connect(&database_url).await?;
        sqlx::query(workload::CUSTOMER_MINUTE_DDL)
            .execute(&mut db)
            .await?;
        sqlx::query("TRUNCATE TABLE customer_minute")
            .execute(&mut db)
            .await?;
        Ok::<_, sqlx::Error>(())
    })?;

    let report = per_customer::run(orders.config(&args, &database_url))?;
    let seconds = report.elapsed.as_secs_f64();
    println!(
        "read {} orders in {seconds:.2} s: {:.0} events/s; wrote {} windows ({} transactions, {} dead letters)",
        report.consumed,
        report.consumed as f64 / seconds,
        report.written,
        report.transactions,
        report.dead_lettered
    );
    let rows: i64 = runtime.block_on(async {
        let mut db = sqlx::MySqlConnection::connect(&database_url).await?;
        sqlx::query_scalar("SELECT COUNT(*) FROM customer_minute")
            .fetch_one(&mut db)
            .await
    })?;
    println!("customer_minute has {rows} rows");
    Ok(())
}
