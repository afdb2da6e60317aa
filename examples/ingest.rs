//! Workload W1 as a deployable binary: the `ingest` pipeline behind the generated command line.
//!
//! ```text
//! cargo run --release --example ingest -- --help
//! cargo run --release --example ingest -- --brokers 127.0.0.1:9092 --until-end
//! ```
//!
//! It needs a broker (`--brokers` or `SLUICE_BROKERS`) holding the `orders` topic and the
//! `orders` table of WORKLOADS.md in the database (`--database-url` or `DATABASE_URL`: like any
//! pipeline binary, it has no default).

#[path = "shared/w1.rs"]
mod w1;

use w1::ingest;

fn main() -> sluice::Result<()> {
    ingest::main()
}
