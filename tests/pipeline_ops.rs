//! Stream operators, field mappings, NULLs, an append-only table and dead letters, end to end.

mod common;

use common::*;
use sluice_testkit::broker::{BulkProducer, EmbeddedKafka};

#[derive(Message)]
#[message(topic = "events")]
struct Event {
    id: u64,
    #[message(rename = "user")]
    user_id: Option<u32>,
    kind: String,
}

#[derive(Row)]
#[row(table = "event_rows")]
struct EventRow {
    #[row(key)]
    id: u64,
    #[row(column = "user")]
    user_id: Option<u32>,
    kind: String,
    #[row(skip)]
    #[allow(dead_code)]
    scratch: Vec<u8>,
}

/// Drops `ignore` events, writes `double` events twice (ids `10 * id` and `10 * id + 1`).
#[pipeline]
fn shape(events: Kafka<Event>) -> MySql<EventRow> {
    events
        .filter(|e| e.kind != "ignore")
        .flat_map(|e| {
            let copies = if e.kind == "double" { 2 } else { 1 };
            (0..copies).map(move |copy| (e.id * 10 + copy, e.user_id, e.kind.clone()))
        })
        .map(|(id, user_id, kind)| EventRow {
            id,
            user_id,
            kind,
            scratch: Vec::new(),
        })
}

#[derive(Row)]
#[row(table = "event_log", append_only)]
struct LogRow {
    id: u64,
    kind: String,
}

/// Appends every event: the table has no key, so only the offsets keep a replay out.
#[pipeline]
fn log(events: Kafka<Event>) -> MySql<LogRow> {
    events.map(|e| LogRow {
        id: e.id,
        kind: e.kind,
    })
}

const N: u64 = 700;

/// Event `i`: every 7th payload is broken, every 10th is `ignore`, every 3rd is `double`,
/// odd ids have no user.
fn payload(i: u64) -> String {
    let kind = match i {
        i if i % 10 == 0 => "ignore",
        i if i % 3 == 0 => "double",
        _ => "plain",
    };
    let user = if i % 2 == 1 {
        "null".to_owned()
    } else {
        (i * 3).to_string()
    };
    match i % 7 {
        0 if i.is_multiple_of(14) => {
            format!(r#"{{"id": {i}, "user": "{user}", "kind": "{kind}"}}"#)
        }
        0 => format!(r#"{{"id": {i}, "kind": "{kind}""#),
        _ => format!(r#"{{"id": {i}, "user": {user}, "kind": "{kind}"}}"#),
    }
}

fn produce(brokers: &str, topic: &str) {
    let producer = BulkProducer::new(brokers).expect("producer");
    for i in 0..N {
        producer
            .send(topic, i.to_string().as_bytes(), payload(i).as_bytes())
            .expect("send");
    }
    producer.flush().expect("flush");
}

/// A database of the test's own, with `ddl` applied when given, and an embedded broker whose
/// `topic` holds the N events.
fn setup(test: &str, ddl: Option<&str>, topic: &str, partitions: i32) -> (String, EmbeddedKafka) {
    let database = fresh_database(test);
    if let Some(ddl) = ddl {
        execute(&database, ddl);
    }
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic(topic, partitions).expect("topic");
    produce(&kafka.bootstrap_servers(), topic);
    (database, kafka)
}

#[test]
fn operators_nulls_renames_and_dead_letters() {
    let (database, kafka) = setup(
        "ops_shape",
        Some(
            "CREATE TABLE event_rows (id BIGINT UNSIGNED PRIMARY KEY, user INT UNSIGNED NULL, kind VARCHAR(16) NOT NULL)",
        ),
        "events_shape",
        3,
    );

    let broken = (0..N).filter(|i| i % 7 == 0).count() as u64;
    let ignored = (0..N).filter(|i| i % 7 != 0 && i % 10 == 0).count() as u64;
    let doubled = (0..N)
        .filter(|i| i % 7 != 0 && i % 10 != 0 && i % 3 == 0)
        .count() as u64;
    let kept = N - broken - ignored;

    let report = shape::run(config(
        &kafka.bootstrap_servers(),
        &database,
        "events_shape",
    ))
    .expect("run");
    assert_eq!(report.consumed, N);
    assert_eq!(report.dead_lettered, broken);
    assert_eq!(report.filtered, ignored);
    assert_eq!(report.written, kept + doubled);
    assert_eq!(
        report.consumed,
        report.written - doubled + report.filtered + report.dead_lettered,
        "every message is accounted for"
    );

    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM event_rows") as u64,
        kept + doubled
    );
    assert_eq!(
        count(
            &database,
            "SELECT COUNT(*) FROM event_rows WHERE user IS NULL"
        ) as u64,
        (0..N)
            .filter(|i| i % 7 != 0 && i % 10 != 0 && i % 2 == 1)
            .map(|i| if i % 3 == 0 { 2 } else { 1 })
            .sum::<u64>()
    );
    assert_eq!(
        count(
            &database,
            "SELECT COUNT(*) FROM event_rows WHERE id IN (360, 361) AND kind = 'double' AND user = 108"
        ),
        2,
        "event 36 is written twice"
    );
    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM event_rows WHERE id = 400"),
        0,
        "event 40 is filtered"
    );

    // Each broken payload once, with its source position, raw bytes and the reason.
    assert_eq!(
        count(
            &database,
            "SELECT COUNT(DISTINCT `offset`, `partition`) FROM sluice_dead_letters WHERE pipeline = 'shape.event_rows' AND kind = 'decode' AND payload IS NOT NULL AND `key` IS NOT NULL"
        ) as u64,
        broken
    );
    assert_eq!(
        count(
            &database,
            "SELECT COUNT(*) FROM sluice_dead_letters WHERE `key` = '14' AND message LIKE 'field `user`: expected an unsigned integer (u32), found a string%'"
        ),
        1
    );
    assert_eq!(
        count(
            &database,
            "SELECT COUNT(*) FROM sluice_dead_letters WHERE `key` = '7' AND message LIKE 'invalid JSON%'"
        ),
        1
    );
}

#[test]
fn an_append_only_table_is_written_once_across_runs() {
    let (database, kafka) = setup(
        "ops_log",
        Some("CREATE TABLE event_log (id BIGINT UNSIGNED NOT NULL, kind VARCHAR(16) NOT NULL)"),
        "events_log",
        2,
    );
    let decodable = (0..N).filter(|i| i % 7 != 0).count() as i64;

    let mut first = config(&kafka.bootstrap_servers(), &database, "events_log");
    first.limit = Some(N / 3);
    log::run(first).expect("first run");
    log::run(config(&kafka.bootstrap_servers(), &database, "events_log")).expect("second run");
    log::run(config(&kafka.bootstrap_servers(), &database, "events_log")).expect("third run");

    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM event_log"),
        decodable
    );
    assert_eq!(
        count(&database, "SELECT COUNT(DISTINCT id) FROM event_log"),
        decodable
    );
}

#[test]
fn a_missing_table_stops_the_run_before_reading_with_an_error_naming_it() {
    let (database, kafka) = setup("ops_missing_table", None, "events_missing", 2);

    let error = shape::run(config(
        &kafka.bootstrap_servers(),
        &database,
        "events_missing",
    ))
    .expect_err("no event_rows table");
    let message = error.to_string();
    assert!(message.contains("table `event_rows`"), "{message}");
    assert!(message.contains("does not exist"), "{message}");
    assert!(
        stored_offsets(&database, "shape.event_rows").is_empty(),
        "no offsets are stored for rows that were not written"
    );
}
