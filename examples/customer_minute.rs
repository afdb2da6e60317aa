//! Workload W2 as a deployable binary: the `per_customer` pipeline behind the generated
//! command line.
//!
//! ```text
//! cargo run --release --example customer_minute -- --help
//! cargo run --release --example customer_minute -- --brokers 127.0.0.1:9092 --migrate
//! ```
//!
//! It needs a broker (`--brokers` or `SLUICE_BROKERS`) holding the `orders` topic and the
//! database (`--database-url` or `DATABASE_URL`: like any pipeline binary, it has no default)
//! with the `customer_minute` table of WORKLOADS.md (`--migrate` creates it).

#[path = "shared/w1.rs"]
#[allow(dead_code)]
mod w1;
#[path = "shared/w2.rs"]
mod w2;

use w2::per_customer;

fn main() -> sluice::Result<()> {
    per_customer::main()
}
