//! A user closure that panics on a record: the record becomes a dead letter of kind `panic` with
//! the panic's message, every other record is written, the run ends well, and the next run goes
//! on from the committed offsets instead of crashing on the same record again.

mod common;

use common::*;
use sluice_testkit::broker::{BulkProducer, EmbeddedKafka};

#[derive(Message)]
#[message(topic = "jobs")]
struct Job {
    id: u64,
    kind: String,
}

#[derive(Row)]
#[row(table = "job_rows")]
struct JobRow {
    #[row(key)]
    id: u64,
    kind: String,
}

const JOB_ROWS_DDL: &str =
    "CREATE TABLE job_rows (id BIGINT UNSIGNED PRIMARY KEY, kind VARCHAR(16) NOT NULL)";

/// Panics on every job whose id ends in 7 modulo 50.
#[pipeline]
fn cursed_map(jobs: Kafka<Job>) -> MySql<JobRow> {
    jobs.map(|j| {
        if j.id % 50 == 7 {
            panic!("job {} is cursed", j.id);
        }
        JobRow {
            id: j.id,
            kind: j.kind,
        }
    })
}

/// `true`, or a panic when `id` is `which` modulo 50.
fn curse(id: u64, which: u64, operator: &str) -> bool {
    if id % 50 == which {
        panic!("{operator} refuses job {id}");
    }
    true
}

/// Each closure panics on its own ids.
#[pipeline]
fn every_closure(jobs: Kafka<Job>) -> MySql<JobRow> {
    jobs.filter(|j| curse(j.id, 1, "filter"))
        .flat_map(|j| curse(j.id, 2, "flat_map").then_some(j))
        .inspect(|j| {
            curse(j.id, 3, "inspect");
        })
        .map(|j| (j.id, j.kind))
        .key_by(|(id, _)| curse(*id, 4, "key_by").then_some(id % 4))
        .map_with_state(|seen: &mut u64, _, (id, kind)| {
            curse(id, 5, "map_with_state");
            *seen += 1;
            Some(JobRow { id, kind })
        })
}

const PARTITIONS: i32 = 3;

/// Job `id` goes to partition `id % 3`, at offset `id / 3`.
fn produce_jobs(brokers: &str, topic: &str, ids: std::ops::Range<u64>) {
    let producer = BulkProducer::new(brokers).expect("producer");
    for id in ids {
        let payload = format!(r#"{{"id": {id}, "kind": "k{}"}}"#, id % 5);
        producer
            .send_to(
                topic,
                (id % 3) as i32,
                id.to_string().as_bytes(),
                payload.as_bytes(),
            )
            .expect("send");
    }
    producer.flush().expect("flush");
}

/// The kind, partition and offset of each dead letter.
fn kinds_and_positions(letters: &[(String, i32, i64, String)]) -> Vec<(&str, i32, i64)> {
    letters.iter().map(|l| (l.0.as_str(), l.1, l.2)).collect()
}

/// `(kind, partition, offset, message)` of every dead letter, in source order.
fn dead_letters(database: &str) -> Vec<(String, i32, i64, String)> {
    query_strings(
        database,
        "SELECT CONCAT_WS('|', kind, `partition`, `offset`, message) FROM sluice_dead_letters \
         ORDER BY `partition`, `offset`",
    )
    .into_iter()
    .map(|line| {
        let mut parts = line.splitn(4, '|');
        let mut next = || parts.next().expect("four columns").to_owned();
        let (kind, partition, offset, message) = (next(), next(), next(), next());
        (
            kind,
            partition.parse().expect("partition"),
            offset.parse().expect("offset"),
            message,
        )
    })
    .collect()
}

/// Checks that `message` is `` `operator` panicked at tests/panics.rs:L:C: text ``.
fn assert_panic_message(message: &str, operator: &str, text: &str) {
    let prefix = format!("`{operator}` panicked at tests/panics.rs:");
    assert!(
        message.starts_with(&prefix) && message.ends_with(&format!(": {text}")),
        "expected {prefix}…: {text}, found {message}"
    );
}

#[test]
fn a_panicking_map_makes_panic_dead_letters_and_the_job_goes_on() {
    let topic = "jobs_cursed_map";
    let (database, kafka) =
        database_and_tansu_topic("panics_map", &[JOB_ROWS_DDL], topic, PARTITIONS);
    let brokers = kafka.bootstrap_servers();
    produce_jobs(&brokers, topic, 0..300);

    let report = cursed_map::run(config(&brokers, &database, topic)).expect("the run ends well");
    let cursed: Vec<u64> = (0..300).filter(|id| id % 50 == 7).collect();
    assert_eq!(cursed.len(), 6);
    assert_eq!(report.consumed, 300);
    assert_eq!(report.written, 294);
    assert_eq!(report.dead_lettered, 6);
    assert_eq!(count(&database, "SELECT COUNT(*) FROM job_rows"), 294);
    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM job_rows WHERE id % 50 = 7"),
        0
    );

    let check = |ids: &[u64]| {
        let letters = dead_letters(&database);
        let mut expected: Vec<(i32, i64)> = ids
            .iter()
            .map(|id| ((id % 3) as i32, (id / 3) as i64))
            .collect();
        expected.sort_unstable();
        let found: Vec<(i32, i64)> = letters.iter().map(|l| (l.1, l.2)).collect();
        assert_eq!(found, expected);
        for (kind, partition, offset, message) in &letters {
            assert_eq!(kind, "panic");
            let id = *offset as u64 * 3 + *partition as u64;
            assert_panic_message(message, "map", &format!("job {id} is cursed"));
        }
    };
    check(&cursed);

    // More jobs, two of them cursed: the next run starts after the committed offsets, does
    // not meet the old panics again, and sets the new ones aside the same way.
    produce_jobs(&brokers, topic, 300..360);
    let again = cursed_map::run(config(&brokers, &database, topic)).expect("second run");
    assert_eq!(again.consumed, 60);
    assert_eq!(again.written, 58);
    assert_eq!(again.dead_lettered, 2);
    assert_eq!(count(&database, "SELECT COUNT(*) FROM job_rows"), 294 + 58);
    let all: Vec<u64> = (0..360).filter(|id| id % 50 == 7).collect();
    check(&all);
}

#[test]
fn every_closure_of_a_stream_is_isolated() {
    let topic = "jobs_every_closure";
    let (database, kafka) =
        database_and_topic("panics_every_closure", &[JOB_ROWS_DDL], topic, PARTITIONS);
    let brokers = kafka.bootstrap_servers();
    produce_jobs(&brokers, topic, 0..300);

    let report = every_closure::run(config(&brokers, &database, topic)).expect("the run ends well");
    let operators = ["filter", "flat_map", "inspect", "key_by", "map_with_state"];
    let refused = |id: u64| (1..=5).contains(&(id % 50));
    assert_eq!(report.consumed, 300);
    assert_eq!(report.dead_lettered, 30, "6 records for each of 5 closures");
    assert_eq!(report.written, 270);
    assert_eq!(report.filtered, 0, "a panic is not a filtered record");
    let written: Vec<String> = query_strings(
        &database,
        "SELECT CAST(id AS CHAR) FROM job_rows ORDER BY id",
    );
    let expected: Vec<String> = (0..300)
        .filter(|id| !refused(*id))
        .map(|id| id.to_string())
        .collect();
    assert_eq!(written, expected);

    let letters = dead_letters(&database);
    let mut expected: Vec<(i32, i64)> = (0..300)
        .filter(|id| refused(*id))
        .map(|id| ((id % 3) as i32, (id / 3) as i64))
        .collect();
    expected.sort_unstable();
    assert_eq!(
        letters.iter().map(|l| (l.1, l.2)).collect::<Vec<_>>(),
        expected
    );
    for (kind, partition, offset, message) in &letters {
        assert_eq!(kind, "panic");
        let id = *offset as u64 * 3 + *partition as u64;
        let operator = operators[(id % 50 - 1) as usize];
        assert_panic_message(message, operator, &format!("{operator} refuses job {id}"));
    }
}

#[derive(Message)]
#[message(topic = "sales")]
struct Sale {
    #[allow(dead_code)]
    id: u64,
    shop: u32,
    amount: i64,
    #[message(event_time)]
    ts: i64,
}

#[derive(Row)]
#[row(table = "shop_minute", key(shop, window_start))]
struct ShopMinute {
    shop: u32,
    window_start: DateTime<Utc>,
    sales: i64,
    total: i64,
}

const SHOP_MINUTE_DDL: &str = "CREATE TABLE shop_minute (shop INT UNSIGNED NOT NULL, \
     window_start DATETIME(3) NOT NULL, sales BIGINT NOT NULL, total BIGINT NOT NULL, \
     PRIMARY KEY (shop, window_start))";

/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000;

/// Shop 3's window of minute 1 panics; shop 2's of minute 2 sums past `i64::MAX`.
#[pipeline]
fn shop_minutes(sales: Kafka<Sale>) -> MySql<ShopMinute> {
    sales
        .map(|s| (s.shop, s.amount))
        .key_by(|&(shop, _)| shop)
        .window(Tumbling::minutes(1))
        .aggregate(|window, &shop, sales| {
            if shop == 3 && window.start.timestamp_millis() == T0 + 60_000 {
                panic!("shop 3 is closed in minute 1");
            }
            ShopMinute {
                shop,
                window_start: window.start,
                sales: sales.count(),
                total: sales.sum(|&(_, amount)| amount),
            }
        })
}

/// The reduce closure refuses an amount of 666.
#[pipeline]
fn shop_totals(sales: Kafka<Sale>) -> MySql<ShopMinute> {
    sales
        .map(|s| (s.shop, s.amount))
        .key_by(|&(shop, _)| shop)
        .window(Tumbling::minutes(1))
        .reduce(|(shop, a), (_, b)| {
            assert!(b != 666, "amount 666 refused");
            (shop, a + b)
        })
        .map(|(window, shop, (_, total))| ShopMinute {
            shop,
            window_start: window.start,
            sales: 0,
            total,
        })
}

const SALES: u64 = 240;

/// Sale `id` at `T0 + id` seconds, shop `id % 4`, amount `amount(id)`, all in partition 0 (at
/// offset `id`), so that the first record of each window is known.
fn produce_sales(brokers: &str, topic: &str, amount: impl Fn(u64) -> i64) {
    let producer = BulkProducer::new(brokers).expect("producer");
    for id in 0..SALES {
        let payload = format!(
            r#"{{"id": {id}, "shop": {}, "amount": {}, "ts": {}}}"#,
            id % 4,
            amount(id),
            T0 + id as i64 * 1_000
        );
        producer
            .send_to(topic, 0, id.to_string().as_bytes(), payload.as_bytes())
            .expect("send");
    }
    producer.flush().expect("flush");
}

fn setup_sales(test: &str, topic: &str, amount: impl Fn(u64) -> i64) -> (String, EmbeddedKafka) {
    let database = fresh_database(test);
    execute(&database, SHOP_MINUTE_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic(topic, 1).expect("topic");
    produce_sales(&kafka.bootstrap_servers(), topic, amount);
    (database, kafka)
}

/// `shop minute sales total` for each window of the sales, but those in `skip`.
fn expected_windows(amount: impl Fn(u64) -> i64, skip: &[(u64, u64)], count: bool) -> Vec<String> {
    let mut windows = std::collections::BTreeMap::new();
    for id in 0..SALES {
        let key = (id % 4, id / 60);
        let entry = windows.entry(key).or_insert((0i64, 0i128));
        entry.0 += 1;
        entry.1 += i128::from(amount(id));
    }
    windows
        .into_iter()
        .filter(|(key, _)| !skip.contains(key))
        .map(|((shop, minute), (sales, total))| {
            let sales = if count { sales } else { 0 };
            format!("{shop} 2026-01-01 00:0{minute}:00.000 {sales} {total}")
        })
        .collect()
}

fn shop_rows(database: &str) -> Vec<String> {
    query_strings(
        database,
        "SELECT CONCAT_WS(' ', shop, window_start, sales, total) FROM shop_minute \
         ORDER BY shop, window_start",
    )
}

#[test]
fn a_panicking_aggregate_and_a_sum_past_i64_make_their_windows_dead_letters() {
    // Shop 2's sales in minute 2 (ids 122, 126, ..., 178: 15 of them) sum past i64::MAX.
    let amount = |id: u64| {
        if id % 4 == 2 && id / 60 == 2 {
            i64::MAX / 8
        } else {
            id as i64
        }
    };
    let topic = "sales_aggregate";
    let (database, kafka) = setup_sales("panics_aggregate", topic, amount);

    let report = shop_minutes::run(config(&kafka.bootstrap_servers(), &database, topic))
        .expect("the run ends well");
    assert_eq!(report.consumed, SALES);
    assert_eq!(report.aggregated, SALES);
    assert_eq!(report.written, 14, "16 windows, 2 of them dead letters");
    assert_eq!(report.dead_lettered, 2);
    assert_eq!(
        shop_rows(&database),
        expected_windows(amount, &[(3, 1), (2, 2)], true)
    );

    // Each under the first record of its window.
    let letters = dead_letters(&database);
    assert_eq!(
        kinds_and_positions(&letters),
        vec![("panic", 0, 63), ("panic", 0, 122)]
    );
    assert_panic_message(
        &letters[0].3,
        "aggregate",
        "shop 3 is closed in minute 1; the window [2026-01-01T00:01:00.000Z, \
         2026-01-01T00:02:00.000Z) of key 3 is not written",
    );
    assert_panic_message(
        &letters[1].3,
        "aggregate",
        "`Records::sum` overflowed: the sum of 15 records is past the range of i64; widen the \
         values (`|r| i128::from(..)`) or use `checked_sum`; the window \
         [2026-01-01T00:02:00.000Z, 2026-01-01T00:03:00.000Z) of key 2 is not written",
    );
}

#[test]
fn a_panicking_reduce_makes_its_record_and_its_window_dead_letters() {
    // Sale 70 (shop 2, minute 1, whose first sale is 62) has the refused amount.
    let amount = |id: u64| if id == 70 { 666 } else { id as i64 };
    let topic = "sales_reduce";
    let (database, kafka) = setup_sales("panics_reduce", topic, amount);

    let report = shop_totals::run(config(&kafka.bootstrap_servers(), &database, topic))
        .expect("the run ends well");
    assert_eq!(report.consumed, SALES);
    assert_eq!(report.aggregated, SALES - 1);
    assert_eq!(report.written, 15);
    assert_eq!(report.dead_lettered, 2);
    assert_eq!(
        shop_rows(&database),
        expected_windows(amount, &[(2, 1)], false)
    );

    let letters = dead_letters(&database);
    assert_eq!(
        kinds_and_positions(&letters),
        vec![("panic", 0, 62), ("panic", 0, 70)]
    );
    assert_eq!(
        letters[0].3,
        "`reduce` panicked on one of its records (that record's dead letter of kind `panic` \
         says why), and the window's value was lost with it; the window \
         [2026-01-01T00:01:00.000Z, 2026-01-01T00:02:00.000Z) of key 2 is not written"
    );
    assert_panic_message(&letters[1].3, "reduce", "amount 666 refused");
}

#[test]
fn in_memory_a_panic_is_counted_as_a_dead_letter_and_the_run_goes_on() {
    let report = sluice::run_in_memory(
        sluice::InMemory::workers(2),
        |worker, workers| {
            (worker as u64..1_000)
                .step_by(workers)
                .map(|i| (i as i64, i))
        },
        |events| {
            events.map(|i| {
                assert!(i % 100 != 42, "event {i} refused");
                i
            })
        },
    )
    .expect("the run ends well");
    assert_eq!(report.consumed, 1_000);
    assert_eq!(report.dead_lettered, 10);
    assert_eq!(report.written, 990);
}
