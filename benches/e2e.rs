//! End-to-end benchmark of the workloads of `shared/bench/WORKLOADS.md`, each against its
//! reference measured in the same run:
//!
//! - W1 (Kafka JSON orders into `orders`): sluice, the MySQL ceilings with the same
//!   connections (multi-row `INSERT`, `LOAD DATA LOCAL INFILE`), the same rows in transactions
//!   with a position upsert each (`INSERT` or `LOAD DATA`), and a hand-written rdkafka + sqlx
//!   consumer on 1 and N connections; each with the time to its first committed row;
//! - W2 (per-customer one-minute windows into `customer_minute`): sluice over 1,000 and over
//!   10,000 customers, and a plain consume-and-decode loop over the same topic;
//! - W3 (10,000,000 in-memory events, keyed one-minute window sums, discarded): sluice on 1
//!   and 2 workers, and a single-threaded HashMap loop;
//! - `scan` and `k2k`: a MySQL table copied by a table source against `INSERT ... SELECT`, and
//!   the W1 topic copied into another topic exactly-once against a hand-written consume and
//!   produce loop (`e2e/connectors.rs`);
//! - `cluster`: W1 and W3 as 1 process of 2 workers and as 2 processes of 1 worker (timely's
//!   cluster mode on loopback);
//! - `rabbitmq`: W1's orders from a RabbitMQ queue into `orders` against a plain lapin
//!   consume + decode loop over the same queue (RabbitMQ on 127.0.0.1:5672);
//! - `avro`: W1's orders as Avro records in Confluent's wire format into `orders`, against
//!   W1's JSON pipeline over the same orders;
//! - `debezium`: W1's orders as Debezium snapshot events (a table's capture starting) applied
//!   to `orders`, against W1's JSON pipeline over the same orders;
//! - `latency`: W1 orders produced at fixed rates, stamped with their production time, read by
//!   an unbounded W1 job: each row's commit time minus its stamp, p50 / p99 / max per rate and
//!   epoch length (`e2e/latency.rs`).
//!
//! ```text
//! cargo bench --bench e2e                                   # embedded broker, 150,000 orders
//! cargo bench --bench e2e -- --brokers 127.0.0.1:9092       # a real broker, 1,000,000 orders
//! cargo bench --bench e2e -- --only w3 --events 10000000
//! ```
//!
//! Every run is checked (W1 checksum, W2 order count, W3 window count); a wrong result fails
//! the bench instead of printing a rate.

#[path = "e2e/args.rs"]
mod args;
#[path = "e2e/avro.rs"]
mod avro;
#[path = "e2e/ceiling.rs"]
mod ceiling;
#[path = "e2e/child.rs"]
mod child;
#[path = "e2e/connectors.rs"]
mod connectors;
#[path = "e2e/database.rs"]
mod database;
#[path = "e2e/db_cpu.rs"]
mod db_cpu;
#[path = "e2e/debezium.rs"]
mod debezium;
#[path = "e2e/first_row.rs"]
mod first_row;
#[path = "e2e/handwritten.rs"]
mod handwritten;
#[path = "e2e/latency.rs"]
mod latency;
#[path = "e2e/load_data.rs"]
mod load_data;
#[path = "../examples/shared/orders_topic.rs"]
#[allow(dead_code)]
mod orders_topic;
#[path = "e2e/positions.rs"]
mod positions;
#[path = "../examples/shared/queue.rs"]
#[allow(dead_code)]
mod queue;
#[path = "e2e/rabbitmq.rs"]
mod rabbitmq;
#[path = "e2e/rss.rs"]
mod rss;
#[path = "e2e/serde_order.rs"]
mod serde_order;
#[path = "e2e/table.rs"]
mod table;
#[path = "../examples/shared/table_copy.rs"]
mod table_copy;
#[path = "e2e/tx_insert.rs"]
mod tx_insert;
#[path = "../examples/shared/w1.rs"]
mod w1;
#[path = "../examples/shared/w2.rs"]
mod w2;
#[path = "e2e/w2_wide.rs"]
mod w2_wide;
#[path = "e2e/w3.rs"]
mod w3;
#[path = "e2e/workloads.rs"]
mod workloads;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = if args.iter().any(|a| a == "--child") {
        child::child_main(&args)
    } else {
        run()
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("e2e bench failed: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), database::BoxError> {
    let args = args::parse()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let mut results = Vec::new();
    let mut broker = None;
    let on_orders_topic = ["w1", "w2", "k2k", "cluster", "avro", "debezium", "latency"];
    if on_orders_topic.iter().any(|w| args.runs(w)) {
        let topic = workloads::orders_topic(&runtime, &args)?;
        broker = Some(topic.brokers.clone());
        if args.runs("w1") {
            results.extend(workloads::w1(&runtime, &args, &topic)?);
        }
        if args.runs("w2") {
            results.extend(workloads::w2(&runtime, &args, &topic)?);
        }
        if args.runs("k2k") {
            results.extend(workloads::kafka_to_kafka(&args, &topic)?);
        }
        if args.runs("cluster") {
            results.extend(workloads::cluster(&runtime, &args, &topic)?);
        }
        if args.runs("avro") {
            results.extend(workloads::avro(&runtime, &args, &topic)?);
        }
        if args.runs("debezium") {
            results.extend(workloads::debezium(&runtime, &args, &topic)?);
        }
        if args.runs("latency") {
            results.extend(latency::latency(&runtime, &args, &topic)?);
        }
    }
    if args.runs("scan") {
        results.extend(workloads::scan(&runtime, &args)?);
    }
    if args.runs("w3") {
        results.extend(workloads::w3(&runtime, &args)?);
    }
    if args.runs("rabbitmq") {
        results.extend(workloads::rabbitmq(&runtime, &args)?);
    }
    table::print(&results);
    workloads::print_machine(&runtime, &args, broker.as_deref());
    Ok(())
}
