//! W1 end to end: produce orders into Kafka, run the ingest pipeline to the end of the topic,
//! check the `orders` table.
//!
//! ```text
//! cargo run --release --example quickstart                 # embedded broker, 100,000 orders
//! cargo run --release --example quickstart -- --brokers 127.0.0.1:9092 --orders 1000000
//! ```

use std::time::Instant;

use sluice::kafka::EmbeddedKafka;
use sluice::workload::{self, W1Checksum};
use sqlx::Connection;

#[path = "shared/w1.rs"]
mod w1;

use w1::ingest;

/// `--orders N` and `--brokers HOST:PORT`; everything else has a default.
struct Args {
    orders: u64,
    brokers: Option<String>,
    workers: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        orders: 100_000,
        brokers: std::env::var("SLUICE_BROKERS").ok(),
        workers: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--orders" => args.orders = value()?.parse().map_err(|e| format!("--orders: {e}"))?,
            "--brokers" => args.brokers = Some(value()?),
            "--workers" => {
                args.workers = Some(value()?.parse().map_err(|e| format!("--workers: {e}"))?)
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}` (expected --orders, --brokers, --workers)"
                ));
            }
        }
    }
    Ok(args)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    sluice::cli::init_tracing();
    let args = parse_args()?;
    let database_url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| sluice::DEFAULT_DATABASE_URL.to_owned());
    let runtime = tokio::runtime::Runtime::new()?;

    // Without --brokers, a Kafka-protocol broker runs inside this process.
    let embedded = match args.brokers {
        Some(_) => None,
        None => Some(EmbeddedKafka::start()?),
    };
    let brokers = match (&args.brokers, &embedded) {
        (Some(brokers), _) => brokers.clone(),
        (None, Some(kafka)) => kafka.bootstrap_servers(),
        (None, None) => unreachable!("an embedded broker is started when none is given"),
    };
    let topic = format!("orders_quickstart_{}", std::process::id());
    match &embedded {
        Some(kafka) => kafka.create_topic(&topic, workload::PARTITIONS)?,
        None => sluice::kafka::create_topic(&brokers, &topic, workload::PARTITIONS)?,
    }

    println!(
        "producing {} orders to topic {topic} on {brokers}",
        args.orders
    );
    let produced = Instant::now();
    workload::produce_w1(&brokers, &topic, 0..args.orders)?;
    println!("produced in {:.2} s", produced.elapsed().as_secs_f64());
    let truncated = sluice::kafka::watermarks(&brokers, &topic, workload::PARTITIONS)?
        .iter()
        .any(|w| w.low > 0);
    if truncated {
        return Err(format!(
            "the broker no longer holds all {} orders (the embedded broker keeps a few MB per \
             partition): use fewer --orders or a real broker with --brokers",
            args.orders
        )
        .into());
    }

    // A fresh topic: start from an empty table and no stored offsets.
    runtime.block_on(async {
        let mut db = sqlx::MySqlConnection::connect(&database_url).await?;
        sqlx::query(workload::ORDERS_DDL).execute(&mut db).await?;
        sqlx::query("TRUNCATE TABLE orders")
            .execute(&mut db)
            .await?;
        Ok::<_, sqlx::Error>(())
    })?;

    let mut config = sluice::Config::default();
    config.brokers = brokers;
    config.database_url = database_url.clone();
    config.topic = Some(topic);
    config.until_end = true;
    if let Some(workers) = args.workers {
        config.workers = workers;
    }
    let report = ingest::run(config)?;
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
