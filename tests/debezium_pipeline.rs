//! Debezium change events through a whole job. A MySQL table's changes are captured by
//! triggers as Debezium's MySQL connector writes them (the JSON envelope, with and without the
//! schema, a tombstone after each delete, a key change as a delete and a create), produced to
//! Kafka keyed and partitioned by the primary key, and applied by a pipeline to a copy of the
//! table, which must end equal to the source. Corrupted events become dead letters; a Kafka
//! output carries the deletes on.

mod common;

use std::collections::BTreeMap;

use common::*;
use sluice::Change;
use sluice_testkit::broker::{BulkProducer, EmbeddedKafka};

const PARTITIONS: i32 = 4;
const OPERATIONS: u64 = 3_000;

#[path = "../examples/shared/cdc.rs"]
mod cdc;

use cdc::{CUSTOMERS_DDL, CustomerChange, CustomerRow, replicate};

/// The same rows as plain JSON, keyed: a delete becomes a tombstone.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(topic = "customers_json", format = "json")]
struct CustomerJson {
    #[message(key)]
    id: u32,
    first_name: String,
    balance_cents: i64,
}

/// The same rows as change events again.
#[derive(Message, Debug, Clone, PartialEq)]
#[message(topic = "customers_events", format = "debezium")]
struct CustomerEvent {
    #[message(key)]
    id: u32,
    first_name: String,
    balance_cents: i64,
}

/// A table that keeps every row: it cannot take deletes.
#[derive(Row, Debug)]
#[row(table = "customer_log", append_only)]
struct CustomerLog {
    id: u32,
    first_name: String,
}

#[pipeline]
fn replicate_and_publish(
    changes: Kafka<CustomerChange>,
) -> (
    MySql<CustomerRow>,
    Kafka<CustomerJson>,
    Kafka<CustomerEvent>,
) {
    let json = changes.clone().map(|c| CustomerJson {
        id: c.id,
        first_name: c.first_name.clone(),
        balance_cents: c.balance_cents,
    });
    let events = changes.clone().map(|c| CustomerEvent {
        id: c.id,
        first_name: c.first_name.clone(),
        balance_cents: c.balance_cents,
    });
    (changes.map(CustomerRow::from), json, events)
}

#[pipeline]
fn log_changes(changes: Kafka<CustomerChange>) -> MySql<CustomerLog> {
    changes.map(|c| CustomerLog {
        id: c.id,
        first_name: c.first_name,
    })
}

#[pipeline]
fn count_changes(changes: Kafka<CustomerChange>) -> Print<u64> {
    changes
        .key_by(|c| c.id)
        .window(Tumbling::minutes(1))
        .aggregate(|_window, _key, records| records.count() as u64)
}

/// The row image of `row` (`NEW` or `OLD`) as Debezium's MySQL connector writes it by default:
/// DATETIME(3) as milliseconds since the epoch, DATE as days.
fn image(row: &str) -> String {
    format!(
        "JSON_OBJECT('id', {row}.id, 'first_name', {row}.first_name, 'email', {row}.email, \
         'balance_cents', {row}.balance_cents, \
         'updated', TIMESTAMPDIFF(MICROSECOND, '1970-01-01', {row}.updated) DIV 1000, \
         'score', {row}.score, 'born', DATEDIFF({row}.born, '1970-01-01'))"
    )
}

/// A change event: the envelope around `before` and `after`.
fn envelope(op: &str, before: &str, after: &str) -> String {
    format!(
        "JSON_OBJECT('before', {before}, 'after', {after}, 'source', JSON_OBJECT('version', \
         '2.7.3.Final', 'connector', 'mysql', 'name', 'shop', 'db', DATABASE(), 'table', \
         'customers_src', 'snapshot', 'false'), 'op', '{op}', \
         'ts_ms', ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000), 'transaction', NULL)"
    )
}

/// `customers_src`, the capture table and the triggers that fill it in commit order, and the
/// (empty) copy.
fn capture_schema(database: &str) {
    execute(database, &CUSTOMERS_DDL.replace("{}", "customers_src"));
    execute(database, &CUSTOMERS_DDL.replace("{}", "customers"));
    execute(
        database,
        "CREATE TABLE customer_log (id INT UNSIGNED NOT NULL, first_name VARCHAR(64) NOT NULL)",
    );
    execute(
        database,
        "CREATE TABLE cdc_events (seq BIGINT AUTO_INCREMENT PRIMARY KEY, \
         id INT UNSIGNED NOT NULL, event LONGTEXT NULL)",
    );
    let (new, old) = (image("NEW"), image("OLD"));
    execute(
        database,
        &format!(
            "CREATE TRIGGER capture_insert AFTER INSERT ON customers_src FOR EACH ROW \
             INSERT INTO cdc_events (id, event) VALUES (NEW.id, {})",
            envelope("c", "NULL", &new)
        ),
    );
    execute(
        database,
        &format!(
            "CREATE TRIGGER capture_delete AFTER DELETE ON customers_src FOR EACH ROW \
             INSERT INTO cdc_events (id, event) VALUES (OLD.id, {}), (OLD.id, NULL)",
            envelope("d", &old, "NULL")
        ),
    );
    // A new key is a delete of the old row, its tombstone, and a create of the new one.
    execute(
        database,
        &format!(
            "CREATE TRIGGER capture_update AFTER UPDATE ON customers_src FOR EACH ROW \
             IF OLD.id <> NEW.id THEN \
               INSERT INTO cdc_events (id, event) VALUES (OLD.id, {}), (OLD.id, NULL), (NEW.id, {}); \
             ELSE \
               INSERT INTO cdc_events (id, event) VALUES (NEW.id, {}); \
             END IF",
            envelope("d", &old, "NULL"),
            envelope("c", "NULL", &new),
            envelope("u", &old, &new),
        ),
    );
}

/// Seeded inserts, updates (one row and ranges), deletes (one row and ranges) and key changes
/// on `customers_src`, one statement at a time.
fn change_the_source(database: &str, random: &mut Seeded) {
    let names = [
        "Anne",
        "José",
        "O'Brien",
        "Zoë \"Z\"",
        "back\\slash",
        "🦀 Ferris",
    ];
    let mut statements = Vec::new();
    for i in 0..OPERATIONS {
        let id = random.between(1, 400);
        let name = names[random.between(0, names.len() as u64) as usize].replace('\'', "''");
        let name = name.replace('\\', "\\\\");
        let email = match random.between(0, 3) {
            0 => "NULL".to_owned(),
            _ => format!("'c{id}.{i}@example.org'"),
        };
        let balance = random.between(0, 2_000_000) as i64 - 1_000_000;
        let updated = format!(
            "TIMESTAMPADD(MICROSECOND, {}, '2026-01-01')",
            random.between(0, 31_536_000_000) * 1000
        );
        let score = match random.between(0, 4) {
            0 => "NULL".to_owned(),
            _ => format!("{}", random.between(0, 4000) as f64 / 8.0 - 250.0),
        };
        let born = match random.between(0, 3) {
            0 => "NULL".to_owned(),
            _ => format!(
                "DATE_ADD('1900-01-01', INTERVAL {} DAY)",
                random.between(0, 60_000)
            ),
        };
        let statement = match random.between(0, 100) {
            0..40 => format!(
                "INSERT INTO customers_src VALUES ({id}, '{name}', {email}, {balance}, {updated}, \
                 {score}, {born}) ON DUPLICATE KEY UPDATE first_name = VALUES(first_name), \
                 balance_cents = VALUES(balance_cents), updated = VALUES(updated)"
            ),
            40..70 => format!(
                "UPDATE customers_src SET email = {email}, balance_cents = {balance}, \
                 score = {score}, born = {born} WHERE id = {id}"
            ),
            70..85 => format!("DELETE FROM customers_src WHERE id = {id}"),
            // To a key no row has (MariaDB runs the AFTER UPDATE trigger of an UPDATE IGNORE
            // whose new key is taken, so the capture would be wrong).
            85..91 => format!("UPDATE customers_src SET id = {} WHERE id = {id}", 1000 + i),
            91..96 => format!(
                "UPDATE customers_src SET balance_cents = balance_cents + 1 \
                 WHERE id BETWEEN {id} AND {}",
                id + 25
            ),
            _ => format!(
                "DELETE FROM customers_src WHERE id BETWEEN {id} AND {}",
                id + 6
            ),
        };
        statements.push(statement);
    }
    execute(database, &statements.join(";\n"));
}

/// One captured event: its key's row id and the payload (`None`: a tombstone).
struct Captured {
    id: u32,
    event: Option<String>,
}

fn captured_events(database: &str) -> Vec<Captured> {
    let rows = query_strings(
        database,
        "SELECT CONCAT(id, ' ', IFNULL(event, '')) FROM cdc_events ORDER BY seq",
    );
    rows.into_iter()
        .map(|row| {
            let (id, event) = row.split_once(' ').expect("id and event");
            Captured {
                id: id.parse().expect("id"),
                event: (!event.is_empty()).then(|| event.to_owned()),
            }
        })
        .collect()
}

/// The event under `"payload"`, beside a schema, as the JSON converter writes it by default.
fn with_schema(event: &str) -> String {
    format!(
        r#"{{"schema":{{"type":"struct","optional":false,"name":"shop.customers.Envelope","version":2,"fields":[{{"type":"struct","optional":true,"field":"before","fields":[{{"type":"int64","optional":false,"field":"id"}}]}},{{"type":"struct","optional":true,"field":"after","fields":[{{"type":"int64","optional":false,"field":"id"}}]}},{{"type":"string","optional":false,"field":"op"}}]}},"payload":{event}}}"#
    )
}

/// Produces `events` keyed as Debezium keys them (`{"id":N}`), each key in partition
/// `id % 4`; every third event with its schema. Each `every`th event is followed by a corrupted
/// one on partition `0`. Returns how many corrupted events were produced.
fn produce(brokers: &str, events: &[Captured], first: usize, every: usize) -> u64 {
    let producer = BulkProducer::new(brokers).expect("producer");
    let mut corrupted = 0;
    for (n, captured) in events.iter().enumerate() {
        let key = format!(r#"{{"id":{}}}"#, captured.id);
        let partition = (captured.id % PARTITIONS as u32) as i32;
        match &captured.event {
            None => producer.send_tombstone_to("shop.customers", partition, key.as_bytes()),
            Some(event) if (first + n).is_multiple_of(3) => {
                let event = with_schema(event);
                producer.send_to(
                    "shop.customers",
                    partition,
                    key.as_bytes(),
                    event.as_bytes(),
                )
            }
            Some(event) => producer.send_to(
                "shop.customers",
                partition,
                key.as_bytes(),
                event.as_bytes(),
            ),
        }
        .expect("send");
        if (first + n) % every == every - 1 {
            let bad = match corrupted % 4 {
                0 => r#"{"before":null,"after":{"id":7,"first_name":"#.to_owned(),
                1 => r#"{"before":null,"after":null,"source":{},"op":"t","ts_ms":1}"#.to_owned(),
                2 => r#"{"before":null,"after":{"id":"seven"},"op":"c"}"#.to_owned(),
                _ => "not json at all".to_owned(),
            };
            producer
                .send_to("shop.customers", 0, b"{\"id\":0}", bad.as_bytes())
                .expect("send");
            corrupted += 1;
        }
    }
    producer.flush().expect("flush");
    corrupted
}

const COLUMNS: &str = "id, first_name, IFNULL(email, '-'), balance_cents, updated, \
                       IFNULL(score, '-'), IFNULL(born, '-')";

fn table(database: &str, name: &str) -> Vec<String> {
    dump(database, name, COLUMNS, "id")
}

/// The source changed, its changes captured, and a broker with the topic.
fn captured(test: &str) -> (String, EmbeddedKafka, Vec<Captured>) {
    let database = fresh_database(test);
    capture_schema(&database);
    change_the_source(&database, &mut Seeded::from_env(test));
    let events = captured_events(&database);
    let deletes = events.iter().filter(|e| e.event.is_none()).count();
    assert!(
        deletes > 200,
        "the workload deletes rows: {deletes} deletes"
    );
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka
        .create_topic("shop.customers", PARTITIONS)
        .expect("topic");
    (database, kafka, events)
}

#[test]
fn a_captured_change_stream_leaves_the_copy_equal_to_the_source_table() {
    let (database, kafka, events) = captured("debezium_copy");
    let brokers = kafka.bootstrap_servers();
    let source = table(&database, "customers_src");
    assert!(source.len() > 50, "rows remain: {}", source.len());

    // Half of the stream, then the rest: the second run resumes where the first stopped.
    let half = events.len() / 2;
    let mut corrupted = produce(&brokers, &events[..half], 0, 400);
    let first = replicate::run(config(&brokers, &database, "shop.customers")).expect("run");
    assert!(first.reconciles(), "{}", first.summary());
    corrupted += produce(&brokers, &events[half..], half, 400);
    let second = replicate::run(config(&brokers, &database, "shop.customers")).expect("run");
    assert!(second.reconciles(), "{}", second.summary());

    assert_eq!(table(&database, "customers"), source);
    assert_eq!(
        first.consumed + second.consumed,
        events.len() as u64 + corrupted
    );
    assert_eq!(first.dead_lettered + second.dead_lettered, corrupted);
    let reasons = query_strings(
        &database,
        "SELECT message FROM sluice_dead_letters ORDER BY `offset`",
    );
    assert_eq!(reasons.len() as u64, corrupted);
    assert!(
        reasons.iter().any(|r| r.contains("truncate")),
        "a truncate event says why: {reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("field `id`")),
        "a wrong type names its field: {reasons:?}"
    );
}

#[test]
fn a_copy_killed_while_changes_arrive_ends_equal_to_the_source_after_a_restart() {
    let (database, kafka, events) = captured("debezium_kill");
    let brokers = kafka.bootstrap_servers();
    let mut random = Seeded::from_env("debezium_kill kills");
    let job = |extra: &[&str]| {
        pipeline_command("replicate", (&brokers, &database, "shop.customers"), extra)
    };
    let kills = 3;
    let slice = events.len() / (kills + 1);
    for k in 0..kills {
        let mut child = job(&["--epoch", "20ms"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the job");
        std::thread::sleep(std::time::Duration::from_millis(random.between(150, 600)));
        produce(
            &brokers,
            &events[k * slice..(k + 1) * slice],
            k * slice,
            usize::MAX,
        );
        std::thread::sleep(std::time::Duration::from_millis(random.between(0, 100)));
        assert!(child.try_wait().expect("poll").is_none(), "the job ended");
        child.kill().expect("kill -9");
        child.wait().expect("reap the job");
    }
    produce(
        &brokers,
        &events[kills * slice..],
        kills * slice,
        usize::MAX,
    );
    let output = job(&["--until-end"]).output().expect("run to the end");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        table(&database, "customers"),
        table(&database, "customers_src")
    );
}

/// The changes of a topic read back, applied in order per key: the last payload of each key,
/// unless a tombstone came after it.
fn compacted(records: &[Record]) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut latest = BTreeMap::new();
    for record in records {
        let key = record.key.clone().expect("every record has a key");
        if record.payload.is_empty() {
            latest.remove(&key);
        } else {
            latest.insert(key, record.payload.clone());
        }
    }
    latest
}

#[test]
fn kafka_outputs_carry_the_deletes_as_tombstones_or_as_delete_events() {
    let (database, kafka, events) = captured("debezium_publish");
    let brokers = kafka.bootstrap_servers();
    kafka.create_topic("customers_json", 1).expect("topic");
    kafka.create_topic("customers_events", 1).expect("topic");
    produce(&brokers, &events, 0, usize::MAX);
    let report =
        replicate_and_publish::run(config(&brokers, &database, "shop.customers")).expect("run");
    assert!(report.reconciles(), "{}", report.summary());
    let source = table(&database, "customers_src");
    assert_eq!(table(&database, "customers"), source);
    let expected: Vec<String> = query_strings(
        &database,
        "SELECT CONCAT_WS('|', id, first_name, balance_cents) FROM customers_src ORDER BY id",
    );

    // Plain JSON: a delete is a tombstone, and the compacted topic is the table.
    let json = read_topic(&brokers, "customers_json", 1);
    let tombstones = json.iter().filter(|r| r.payload.is_empty()).count();
    assert!(tombstones > 200, "{tombstones} tombstones");
    let mut rows: Vec<(u32, String)> = compacted(&json)
        .values()
        .map(|payload| {
            let c = CustomerJson::decode(payload).expect("JSON");
            (
                c.id,
                format!("{}|{}|{}", c.id, c.first_name, c.balance_cents),
            )
        })
        .collect();
    rows.sort();
    assert_eq!(
        rows.into_iter().map(|(_, r)| r).collect::<Vec<_>>(),
        expected
    );

    // Change events: every record an event, the deletes `d`, applied in order the table.
    let changes = read_topic(&brokers, "customers_events", 1);
    let mut table: BTreeMap<u32, String> = BTreeMap::new();
    let mut deletes = 0;
    for record in &changes {
        let (change, c) = CustomerEvent::decode_change(&record.payload).expect("an event");
        match change {
            Change::Upsert => {
                table.insert(
                    c.id,
                    format!("{}|{}|{}", c.id, c.first_name, c.balance_cents),
                );
            }
            Change::Delete => {
                deletes += 1;
                table.remove(&c.id);
            }
        }
    }
    assert!(deletes > 200, "{deletes} delete events");
    assert_eq!(table.into_values().collect::<Vec<_>>(), expected);
}

#[test]
fn what_cannot_take_deletes_refuses_a_change_stream_at_start() {
    let (database, kafka, events) = captured("debezium_refused");
    let brokers = kafka.bootstrap_servers();
    produce(&brokers, &events[..100], 0, usize::MAX);

    let error = log_changes::run(config(&brokers, &database, "shop.customers"))
        .expect_err("an append-only table cannot take deletes")
        .to_string();
    assert!(
        error.contains("customer_log") && error.contains("#[row(key)]"),
        "{error}"
    );

    let error = count_changes::run(config(&brokers, &database, "shop.customers"))
        .expect_err("a window cannot take deletes")
        .to_string();
    assert!(error.contains("change stream"), "{error}");
    assert_eq!(count(&database, "SELECT COUNT(*) FROM customer_log"), 0);
}
