//! RabbitMQ in and out, against the broker of this machine (127.0.0.1:5672, guest/guest):
//! exactly-once rows from a queue under `kill -9` and lost connections, for a keyed and an
//! append-only table; a stream queue read twice; the Kafka → RabbitMQ output confirmed once per
//! message; dead letters acknowledged with their commit; windows refused on a queue.

mod common;

use std::collections::HashSet;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use sluice_testkit::rabbitmq::{QueueKind, Rabbit, close_connections};
use sluice_testkit::workload::{W1Checksum, W1Order};

const N: u64 = 10_000;
const KILLS: u64 = 5;

fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "the job failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `R replayed` of a run summary: copies of messages already on their way or written.
fn replayed_in(summary: &str) -> u64 {
    summary
        .split(" replayed")
        .next()
        .and_then(|before| before.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no replayed count in {summary}"))
}

/// `order_audit` as MySQL sums it: count, distinct orders, and the sums of W1's checksum.
fn audit_checksum(database: &str) -> W1Checksum {
    let line = query_strings(
        database,
        "SELECT CONCAT_WS(' ', COUNT(*), COUNT(DISTINCT order_id), COALESCE(SUM(order_id), 0), \
         COALESCE(SUM(amount_cents), 0), COALESCE(SUM(customer_id), 0)) FROM order_audit",
    );
    let numbers: Vec<i64> = line[0]
        .split(' ')
        .map(|n| n.parse().expect("a number"))
        .collect();
    assert_eq!(numbers[0], numbers[1], "an order was appended twice");
    let unsigned = |n: i64| u64::try_from(n).expect("not negative");
    W1Checksum {
        count: unsigned(numbers[0]),
        sum_id: unsigned(numbers[2]),
        sum_amount_cents: numbers[3],
        sum_customer_id: unsigned(numbers[4]),
    }
}

/// W1 orders `0..N` arrive in `KILLS + 1` slices; a job is killed with SIGKILL at a seeded
/// moment while each of the first slices is published, then one reads the queue to its end.
fn kill_while_publishing(test: &str, extra: &[&str]) -> (String, Vec<String>) {
    let (database, queue, rabbit) = database_and_queue(test, QueueKind::Classic);
    let mut rng = Seeded::from_env(test);
    let slice = N / (KILLS + 1);
    let mut printed = Vec::new();
    for k in 0..KILLS {
        let mut child = rabbitmq_job(&queue, &database, test, extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the job");
        rabbit
            .publish_w1(&queue, k * slice..(k + 1) * slice)
            .expect("publish");
        std::thread::sleep(Duration::from_millis(rng.between(100, 900)));
        assert!(child.try_wait().expect("poll").is_none(), "the job ended");
        child.kill().expect("kill -9");
        let output = child.wait_with_output().expect("reap the job");
        printed.push(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    rabbit
        .publish_w1(&queue, KILLS * slice..N)
        .expect("publish");
    let mut last = extra.to_vec();
    last.push("--until-end");
    printed.push(succeeded(
        &rabbitmq_job(&queue, &database, test, &last)
            .output()
            .expect("run"),
    ));
    assert_eq!(rabbit.ready(&queue).expect("count"), 0, "messages left");
    rabbit.delete_queue(&queue).expect("delete the queue");
    (database, printed)
}

#[test]
fn kill_nine_at_random_moments_loses_and_doubles_no_keyed_row() {
    let (database, _) = kill_while_publishing("rmq_kill_keyed", &[]);
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
}

#[test]
fn kill_nine_at_random_moments_loses_and_doubles_no_appended_row() {
    let (database, printed) = kill_while_publishing("rmq_kill_append", &["--audit"]);
    assert_eq!(audit_checksum(&database), W1Checksum::expected(N));
    // Every message's id is stored with its row (and deleted a minute after its
    // acknowledgement is confirmed, later than this test looks).
    eprintln!("runs: {printed:#?}");
    let ids = count(&database, "SELECT COUNT(*) FROM sluice_message_ids");
    assert_eq!(ids, N as i64, "one stored id per message");
}

#[test]
fn connections_closed_by_the_broker_mid_run_lose_and_double_nothing() {
    let test = "rmq_closed";
    let (database, queue, rabbit) = database_and_queue(test, QueueKind::Classic);
    rabbit.publish_w1(&queue, 0..N).expect("publish");
    // Small transactions into a slow table: the run lasts long enough to lose connections.
    // Appended rows: a message written twice would show. About 10 s for the whole queue,
    // whatever the machine: long enough for three closings.
    slow_order_audit(&database);
    let child = rabbitmq_job(
        &queue,
        &database,
        test,
        &["--audit", "--until-end", "--max-rows-in-flight", "300"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("start the job");
    for written in [500, 3_000, 6_000] {
        wait_for_progress(
            &database,
            &format!("SELECT COUNT(*) > {written} FROM order_audit"),
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while close_connections(&format!("sluice {test}")).expect("rabbitmqctl") == 0 {
            assert!(Instant::now() < deadline, "the job has no connection");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let output = child.wait_with_output().expect("reap the job");
    let summary = succeeded(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("RabbitMQ connection lost"),
        "the job never noticed: {stderr}"
    );
    // Each closing gave back messages still on their way to MySQL: their copies are skipped.
    assert!(replayed_in(&summary) > 0, "{summary}");
    assert_eq!(audit_checksum(&database), W1Checksum::expected(N));
    assert_eq!(rabbit.ready(&queue).expect("count"), 0, "messages left");
    rabbit.delete_queue(&queue).expect("delete the queue");
}

#[test]
fn undecodable_messages_and_messages_without_an_id_are_dead_letters_acknowledged_with_their_commit()
{
    let test = "rmq_dead_letters";
    let (database, queue, rabbit) = database_and_queue(test, QueueKind::Classic);
    let mut messages: Vec<(String, Vec<u8>)> = (0..1_000)
        .map(|i| {
            let order = W1Order::nth(i);
            (format!("order-{i}"), order.json().into_bytes())
        })
        .collect();
    messages.push(("broken-1".into(), b"{\"id\": 1, \"customer_id\":".to_vec()));
    messages.push(("broken-2".into(), b"not json at all".to_vec()));
    rabbit.publish(&queue, messages).expect("publish");
    rabbit
        .publish_without_id(&queue, W1Order::nth(1_000).json().into_bytes())
        .expect("publish");
    let stdout = succeeded(
        &rabbitmq_job(&queue, &database, test, &["--until-end"])
            .output()
            .expect("run"),
    );
    assert!(stdout.contains("3 dead-lettered"), "{stdout}");
    assert_eq!(w1_checksum(&database), W1Checksum::expected(1_000));
    let letters = query_strings(
        &database,
        "SELECT CONCAT_WS(' ', kind, COALESCE(CAST(`key` AS CHAR), '-'), LEFT(message, 60)) \
         FROM sluice_dead_letters ORDER BY message",
    );
    assert_eq!(letters.len(), 3, "{letters:#?}");
    assert!(
        letters
            .iter()
            .any(|l| l.starts_with("decode - the message has no message_id property")),
        "{letters:#?}"
    );
    assert!(
        letters.iter().any(|l| l.starts_with("decode broken-1")),
        "{letters:#?}"
    );
    assert!(
        letters.iter().any(|l| l.starts_with("decode broken-2")),
        "{letters:#?}"
    );
    // Acknowledged once stored: nothing is delivered again.
    assert_eq!(rabbit.ready(&queue).expect("count"), 0);
    rabbit.delete_queue(&queue).expect("delete the queue");
}

#[test]
fn a_stream_read_from_the_start_twice_gives_the_same_table() {
    let test = "rmq_stream";
    let (database, queue, rabbit) = database_and_queue(test, QueueKind::Stream);
    rabbit.publish_w1(&queue, 0..N).expect("publish");
    rabbit
        .publish(&queue, [("broken".to_owned(), b"{oops".to_vec())])
        .expect("publish");
    let run = |extra: &[&str]| {
        let mut args = vec!["--stream", "--until-end"];
        args.extend_from_slice(extra);
        succeeded(
            &rabbitmq_job(&queue, &database, test, &args)
                .output()
                .expect("run"),
        )
    };
    let first = run(&[]);
    assert!(first.contains(&format!("consumed {}", N + 1)), "{first}");
    let table = dump(
        &database,
        "orders",
        "id, customer_id, amount_cents, currency, ts",
        "id",
    );
    assert_eq!(w1_checksum(&database), W1Checksum::expected(N));
    assert_eq!(
        stored_offsets(&database, test),
        [(0, N as i64 + 1)],
        "the stream's offset is stored like a partition's"
    );
    // Nothing new: a restart resumes after the stored offset and reads nothing.
    let again = run(&[]);
    assert!(again.contains("consumed 0"), "{again}");
    // From the start again, into the same table: the same rows, one dead letter.
    execute(&database, "TRUNCATE TABLE orders");
    let second = run(&["--from", "earliest"]);
    assert!(second.contains(&format!("consumed {}", N + 1)), "{second}");
    assert_eq!(
        dump(
            &database,
            "orders",
            "id, customer_id, amount_cents, currency, ts",
            "id"
        ),
        table
    );
    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM sluice_dead_letters"),
        1,
        "a dead letter is stored once per offset"
    );
    rabbit.delete_queue(&queue).expect("delete the queue");
}

/// An order as the alerts queue carries it.
#[derive(Message, Debug, Clone, PartialEq, serde::Serialize)]
#[message(topic = "orders", queue = "sluice_t_rmq_alerts", format = "json")]
struct QueuedAlert {
    #[message(key)]
    id: u64,
    customer_id: u32,
    amount_cents: i64,
}

/// Every order of the topic as a message on a RabbitMQ queue.
#[pipeline]
fn alerts_to_rabbitmq(orders: Kafka<Order>) -> RabbitMq<QueuedAlert> {
    orders.map(|o| QueuedAlert {
        id: o.id,
        customer_id: o.customer_id,
        amount_cents: o.amount_cents,
    })
}

#[test]
fn kafka_to_a_rabbitmq_queue_confirms_every_message_once() {
    let test = "rmq_alerts";
    let (database, kafka) = database_and_topic(test, &[], "orders", 4);
    sluice_testkit::workload::produce_w1(&kafka.bootstrap_servers(), "orders", 0..N)
        .expect("produce");
    let rabbit = Rabbit::connect().expect("RabbitMQ on 127.0.0.1:5672");
    let queue = "sluice_t_rmq_alerts";
    rabbit
        .fresh_queue(queue, QueueKind::Classic)
        .expect("queue");
    let mut config = config(&kafka.bootstrap_servers(), &database, "orders");
    config.until_end = true;
    let report = alerts_to_rabbitmq::run(config).expect("run");
    assert_eq!(report.written, N, "every message confirmed");
    let taken = rabbit.drain(queue, Duration::from_secs(2)).expect("drain");
    assert_eq!(taken.len() as u64, N, "each message published once");
    let ids: HashSet<&str> = taken.iter().filter_map(|(id, _)| id.as_deref()).collect();
    assert_eq!(ids.len() as u64, N, "each with a message id of its own");
    let mut orders: Vec<u64> = taken
        .iter()
        .map(|(_, payload)| QueuedAlert::decode(payload).expect("decodes").id)
        .collect();
    orders.sort_unstable();
    assert_eq!(
        orders,
        (0..N).map(|i| W1Order::nth(i).id).collect::<Vec<_>>()
    );
    rabbit.delete_queue(queue).expect("delete the queue");
}

/// Windows over a queue: refused at start, a queue cannot replay in order.
#[pipeline]
fn queue_minutes(orders: RabbitMq<Order>) -> MySql<CustomerMinute> {
    customer_minutes(orders.map(|o| (o.customer_id, o.amount_cents)))
}

#[test]
fn windows_over_a_queue_are_refused_before_anything_is_written() {
    let test = "rmq_windows";
    let (database, queue, rabbit) = database_and_queue(test, QueueKind::Classic);
    rabbit.publish_w1(&queue, 0..100).expect("publish");
    let mut config = sluice::Config::default();
    config.database_url = database.clone();
    config.topic = Some(queue.clone());
    config.migrate = true;
    config.until_end = true;
    let error = queue_minutes::run(config).expect_err("refused").to_string();
    assert!(
        error.contains("RabbitMqStream") && error.contains("any order"),
        "{error}"
    );
    assert_eq!(count(&database, "SELECT COUNT(*) FROM customer_minute"), 0);
    // What the consumer had been sent goes back to the queue with its connection.
    let deadline = Instant::now() + Duration::from_secs(10);
    while rabbit.ready(&queue).expect("count") != 100 {
        assert!(Instant::now() < deadline, "messages were taken");
        std::thread::sleep(Duration::from_millis(100));
    }
    rabbit.delete_queue(&queue).expect("delete the queue");
}

#[path = "../examples/shared/cdc.rs"]
mod cdc;

/// Change events over a queue: refused at start, a key's changes could reach two workers.
#[pipeline]
fn queue_replicate(changes: RabbitMq<cdc::CustomerChange>) -> MySql<cdc::CustomerRow> {
    changes.map(cdc::CustomerRow::from)
}

#[test]
fn a_change_stream_over_a_queue_is_refused_before_anything_is_written() {
    let test = "rmq_changes";
    let (database, queue, rabbit) = database_and_queue(test, QueueKind::Classic);
    execute(&database, &cdc::CUSTOMERS_DDL.replace("{}", "customers"));
    let mut config = sluice::Config::default();
    config.database_url = database.clone();
    config.topic = Some(queue.clone());
    config.until_end = true;
    let error = queue_replicate::run(config)
        .expect_err("refused")
        .to_string();
    assert!(
        error.contains("change stream") && error.contains("RabbitMqStream"),
        "{error}"
    );
    rabbit.delete_queue(&queue).expect("delete the queue");
}
