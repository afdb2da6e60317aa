//! Change data capture: Debezium's change events of a MySQL `customers` table (the topic
//! `shop.customers`) applied to a copy of the table, deletes included, behind the generated
//! command line.
//!
//! ```text
//! cargo run --release --example replicate -- --brokers 127.0.0.1:9092 --topic dbserver.shop.customers
//! ```
//!
//! It needs a broker (`--brokers` or `SLUICE_BROKERS`) and the database URL (`--database-url`
//! or `DATABASE_URL`) holding the `customers` table (`shared/cdc.rs` has its DDL).

#[path = "shared/cdc.rs"]
mod cdc;

fn main() -> sluice::Result<()> {
    cdc::replicate::main()
}
