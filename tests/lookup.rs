//! The lookup join: W1 orders enriched with their customer from a MySQL table, one query per
//! batch of keys the cache does not hold; missing customers dropped, dead-lettered or replaced
//! by a default, as the pipeline says.

mod common;

use std::time::Duration;

use common::*;
use sluice_testkit::broker::EmbeddedKafka;
use sluice_testkit::workload::{self, PARTITIONS, W1Order};

const N: u64 = 20_000;
/// Customers `0..KNOWN` have a row; W1's customer ids go up to 999.
const KNOWN: u32 = 900;

const CUSTOMERS_DDL: &str = "CREATE TABLE customers (
  id INT UNSIGNED PRIMARY KEY,
  name VARCHAR(40) NOT NULL
)";

const ENRICHED_DDL: &str = "CREATE TABLE enriched_orders (
  id BIGINT UNSIGNED PRIMARY KEY,
  customer_name VARCHAR(40) NOT NULL,
  amount_cents BIGINT NOT NULL
)";

#[derive(Row, Clone, Debug)]
#[row(table = "customers")]
struct Customer {
    #[row(key)]
    id: u32,
    name: String,
}

#[derive(Row)]
#[row(table = "enriched_orders")]
struct EnrichedOrder {
    #[row(key)]
    id: u64,
    customer_name: String,
    amount_cents: i64,
}

fn enriched((order, customer): (Order, Customer)) -> EnrichedOrder {
    EnrichedOrder {
        id: order.id,
        customer_name: customer.name,
        amount_cents: order.amount_cents,
    }
}

fn by_customer() -> Lookup<Customer, impl FnMut(&Order) -> i64> {
    Lookup::by(|o: &Order| i64::from(o.customer_id)).ttl(Duration::from_secs(600))
}

#[pipeline]
fn dead_letter_unknown(orders: Kafka<Order>) -> MySql<EnrichedOrder> {
    orders
        .lookup(by_customer().on_missing(OnMissing::DeadLetter))
        .map(enriched)
}

#[pipeline]
fn drop_unknown(orders: Kafka<Order>) -> MySql<EnrichedOrder> {
    orders.lookup(by_customer()).map(enriched)
}

#[pipeline]
fn default_unknown(orders: Kafka<Order>) -> MySql<EnrichedOrder> {
    let unknown = Customer {
        id: 0,
        name: "unknown".into(),
    };
    orders
        .lookup(by_customer().on_missing(OnMissing::Default(unknown)))
        .map(enriched)
}

fn setup(test: &str) -> (EmbeddedKafka, String, String) {
    let database = fresh_database(test);
    execute(&database, CUSTOMERS_DDL);
    execute(&database, ENRICHED_DDL);
    execute(
        &database,
        &format!(
            "INSERT INTO customers (id, name) SELECT seq, CONCAT('customer ', seq) \
             FROM seq_0_to_{}",
            KNOWN - 1
        ),
    );
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders", PARTITIONS).expect("topic");
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, "orders", 0..N).expect("produce");
    (kafka, brokers, database)
}

fn unknown_orders() -> u64 {
    (0..N)
        .filter(|&i| W1Order::nth(i).customer_id >= KNOWN)
        .count() as u64
}

#[test]
fn orders_are_enriched_and_unknown_customers_are_dead_letters() {
    let (_kafka, brokers, database) = setup("lookup_dead_letter");
    let report = dead_letter_unknown::run(config(&brokers, &database, "orders")).expect("run");
    println!("{}", report.summary());
    let unknown = unknown_orders();
    assert!(unknown > 0);
    assert_eq!(report.written, N - unknown);
    assert_eq!(report.dead_lettered, unknown);
    assert!(report.reconciles(), "{}", report.summary());
    assert_eq!(
        count(
            &database,
            "SELECT COUNT(*) FROM sluice_dead_letters WHERE kind = 'lookup'"
        ),
        unknown as i64
    );
    // Each worker reads each customer once (the TTL outlives the run): at most 2 x 1,000
    // keys, the rest are cache hits.
    assert!(report.lookup_keys_queried <= 2_000, "{}", report.summary());
    assert_eq!(report.lookup_hits + report.lookup_keys_queried, N);
    let wrong = count(
        &database,
        "SELECT COUNT(*) FROM enriched_orders e JOIN customers c \
         ON e.customer_name = c.name WHERE e.id % 1000 * 7919 % 1000 <> c.id",
    );
    assert_eq!(wrong, 0, "every order has its own customer's name");
    eprintln!(
        "cache hit rate {:.1}% ({} hits, {} keys in {} queries)",
        100.0 * report.lookup_hits as f64 / N as f64,
        report.lookup_hits,
        report.lookup_keys_queried,
        report.lookup_queries
    );
}

#[test]
fn unknown_customers_are_dropped_or_defaulted_as_asked() {
    let (_kafka, brokers, database) = setup("lookup_drop_default");
    let unknown = unknown_orders();
    let dropped = drop_unknown::run(config(&brokers, &database, "orders")).expect("run");
    assert_eq!((dropped.written, dropped.filtered), (N - unknown, unknown));
    assert!(dropped.reconciles(), "{}", dropped.summary());

    execute(&database, "DELETE FROM enriched_orders");
    let defaulted = default_unknown::run(config(&brokers, &database, "orders")).expect("run");
    assert_eq!(defaulted.written, N);
    assert_eq!(
        count(
            &database,
            "SELECT COUNT(*) FROM enriched_orders WHERE customer_name = 'unknown'"
        ),
        unknown as i64
    );
}

#[pipeline]
fn tiny_cache(orders: Kafka<Order>) -> MySql<EnrichedOrder> {
    orders
        .lookup(
            Lookup::by(|o: &Order| i64::from(o.customer_id))
                .capacity(1)
                .ttl(Duration::ZERO)
                .on_missing(OnMissing::DeadLetter),
        )
        .map(enriched)
}

#[test]
fn a_cache_too_small_to_hold_a_batch_still_pairs_every_record_it_read() {
    let (_kafka, brokers, database) = setup("lookup_tiny_cache");
    let report = tiny_cache::run(config(&brokers, &database, "orders")).expect("run");
    let unknown = unknown_orders();
    assert_eq!(report.dead_lettered, unknown, "{}", report.summary());
    assert_eq!(report.written, N - unknown);
    assert!(report.reconciles(), "{}", report.summary());
}
