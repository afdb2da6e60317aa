//! `map_with_state` state that survives: running totals per customer (`examples/running_totals`)
//! killed with SIGKILL at seeded moments while orders arrive, restarted each time with another
//! number of workers (once as two processes), end with the totals of a clean run; a run that
//! does not resume from the stored positions starts from empty state; a pipeline whose stateful
//! records would move to another worker is refused.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use sluice_testkit::broker::EmbeddedKafka;
use sluice_testkit::workload::{self, PARTITIONS};

const N: u64 = 40_000;

const CUSTOMER_TOTALS_DDL: &str =
    include_str!("../migrations/20260101000003_create_customer_totals.sql");

/// The totals in `customer_totals`, one line per customer.
fn totals(database: &str) -> Vec<String> {
    query_strings(
        database,
        "SELECT CONCAT_WS(' ', customer_id, orders, amount_cents) FROM customer_totals \
         ORDER BY customer_id",
    )
}

/// The same totals computed by MySQL from `orders`, which W1 fills from the same topic.
fn totals_grouped_by_mysql(brokers: &str, database: &str) -> Vec<String> {
    orders_from_topic(brokers, database);
    query_strings(
        database,
        "SELECT CONCAT_WS(' ', customer_id, COUNT(*), SUM(amount_cents)) FROM orders \
         GROUP BY customer_id ORDER BY customer_id",
    )
}

/// Both lists of totals are equal; else the first few that differ.
fn assert_same_totals(found: &[String], expected: &[String]) {
    let differ: Vec<(&String, &String)> = found
        .iter()
        .zip(expected)
        .filter(|(f, e)| f != e)
        .take(5)
        .collect();
    assert!(
        found.len() == expected.len() && differ.is_empty(),
        "{} customers, {} expected; first differences (found, expected): {differ:?}",
        found.len(),
        expected.len()
    );
}

fn running_totals(brokers: &str, database: &str, extra: &[&str]) -> Command {
    let mut args = vec!["--epoch", "50ms"];
    args.extend_from_slice(extra);
    let mut command = pipeline_command("running_totals", (brokers, database, "orders"), &args);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

fn stderr_of(child: Child) -> String {
    let output = child.wait_with_output().expect("reap");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn running_totals_killed_and_restarted_with_other_worker_counts_end_as_a_clean_run() {
    let mut rng = Seeded::from_env("keyed_state_kills");
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders", PARTITIONS).expect("topic");
    let brokers = kafka.bootstrap_servers();
    let database = fresh_database("keyed_state_kills");
    execute(&database, CUSTOMER_TOTALS_DDL);

    // Workers per run; the second run is two processes of one worker each.
    let rounds: [&[&str]; 4] = [
        &["--workers", "1"],
        &[],
        &["--workers", "3"],
        &["--workers", "2"],
    ];
    let slice = N / (rounds.len() as u64 + 1);
    // Read by the cluster round's processes as they start: it lives until the test ends.
    let hostfile = Hostfile::for_two("keyed_state_kills");
    for (k, workers) in rounds.iter().enumerate() {
        let k = k as u64;
        let mut children = if k == 1 {
            (0..2)
                .map(|process| {
                    let process = process.to_string();
                    running_totals(
                        &brokers,
                        &database,
                        &[
                            "--workers",
                            "1",
                            "--processes",
                            "2",
                            "--process",
                            &process,
                            "--hostfile",
                            hostfile.arg(),
                            "--cluster-join-timeout",
                            "10s",
                        ],
                    )
                    .spawn()
                    .expect("a process")
                })
                .collect::<Vec<_>>()
        } else {
            vec![
                running_totals(&brokers, &database, workers)
                    .spawn()
                    .expect("the job"),
            ]
        };
        workload::produce_w1(&brokers, "orders", k * slice..(k + 1) * slice).expect("produce");
        let delay = rng.between(300, 1_500);
        std::thread::sleep(Duration::from_millis(delay));
        eprintln!("keyed_state_kills: SIGKILL after {delay} ms ({workers:?})");
        if children
            .iter_mut()
            .any(|c| c.try_wait().ok().flatten().is_some())
        {
            for child in children.iter_mut() {
                let _ = child.kill();
            }
            let said: Vec<String> = children.into_iter().map(stderr_of).collect();
            panic!("a streaming run ended: {said:?}");
        }
        children[0].kill().expect("kill -9");
        for child in children {
            // In the cluster round, the other process stops by itself.
            let _ = stderr_of(child);
        }
    }
    workload::produce_w1(&brokers, "orders", rounds.len() as u64 * slice..N).expect("produce");
    succeeded(&mut running_totals(
        &brokers,
        &database,
        &["--workers", "2", "--until-end"],
    ));
    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM sluice_dead_letters"),
        0
    );
    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM sluice_keyed_state"),
        1_000,
        "one stored state per customer"
    );
    let expected = totals_grouped_by_mysql(&brokers, &database);
    assert_eq!(expected.len(), 1_000);
    assert_same_totals(&totals(&database), &expected);
}

#[test]
fn a_run_from_the_beginning_builds_its_state_anew() {
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic("orders", PARTITIONS).expect("topic");
    let brokers = kafka.bootstrap_servers();
    workload::produce_w1(&brokers, "orders", 0..10_000).expect("produce");
    let database = fresh_database("keyed_state_from_earliest");
    execute(&database, CUSTOMER_TOTALS_DDL);
    for extra in [&["--until-end"][..], &["--until-end", "--from", "earliest"]] {
        succeeded(&mut running_totals(&brokers, &database, extra));
    }
    assert_eq!(
        totals(&database),
        totals_grouped_by_mysql(&brokers, &database)
    );
}

/// One order's amount per customer, moved again after the state: refused.
#[derive(Row, Debug)]
#[row(table = "customer_totals", migrations = "migrations", key(customer_id))]
struct CustomerTotal {
    customer_id: u32,
    orders: i64,
    amount_cents: i64,
}

#[pipeline]
fn moved_after_state(orders: Kafka<Order>) -> MySql<CustomerTotal> {
    orders
        .map(|order| (order.customer_id, order.amount_cents))
        .key_by(|&(customer, _)| customer)
        .map_with_state(|count: &mut i64, &customer_id, (_, amount)| {
            *count += 1;
            Some((customer_id, *count, amount))
        })
        .key_by(|&(customer, _, _)| customer % 7)
        .map_with_state(|_: &mut (), _, (customer_id, orders, amount_cents)| {
            Some(CustomerTotal {
                customer_id,
                orders,
                amount_cents,
            })
        })
}

#[test]
fn stateful_records_moved_to_another_worker_are_refused_at_start() {
    let (database, kafka) = database_and_topic(
        "keyed_state_moved",
        &[CUSTOMER_TOTALS_DDL],
        "orders_moved",
        2,
    );
    workload::produce_w1(&kafka.bootstrap_servers(), "orders_moved", 0..100).expect("produce");
    let error = moved_after_state::run(config(
        &kafka.bootstrap_servers(),
        &database,
        "orders_moved",
    ))
    .expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("a `key_by` after it moves its records to other workers"),
        "{error}"
    );
    assert_eq!(count(&database, "SELECT COUNT(*) FROM customer_totals"), 0);
}
