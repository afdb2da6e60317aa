//! Event times that no window can hold (null, `i64::MIN`, a `u64` past `i64::MAX`, dates outside
//! the range of `DateTime`) under tumbling, sliding and session windows: each record is a dead
//! letter of kind `event_time` under its offset, the run neither panics nor loops, and every
//! other window is exactly what the good records make.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use sluice_testkit::broker::BulkProducer;

#[derive(Message)]
#[message(topic = "readings")]
struct Reading {
    sensor: u32,
    value: i64,
    #[message(event_time)]
    ts: Option<i64>,
}

#[derive(Message)]
#[message(topic = "ticks")]
struct Tick {
    sensor: u32,
    value: i64,
    #[message(event_time)]
    ts: u64,
}

#[derive(Row)]
#[row(table = "sensor_windows", key(sensor, window_start))]
struct SensorWindow {
    sensor: u32,
    window_start: DateTime<Utc>,
    window_end: DateTime<Utc>,
    readings: i64,
    total: i64,
}

const SENSOR_WINDOWS_DDL: &str = "CREATE TABLE sensor_windows (sensor INT UNSIGNED NOT NULL, \
     window_start DATETIME(3) NOT NULL, window_end DATETIME(3) NOT NULL, \
     readings BIGINT NOT NULL, total BIGINT NOT NULL, PRIMARY KEY (sensor, window_start))";

fn row(window: &Window, sensor: u32, values: &Records<'_, (u32, i64)>) -> SensorWindow {
    SensorWindow {
        sensor,
        window_start: window.start,
        window_end: window.end,
        readings: values.count(),
        total: values.sum(|&(_, v)| v),
    }
}

#[pipeline]
fn tumbling_readings(readings: Kafka<Reading>) -> MySql<SensorWindow> {
    readings
        .map(|r| (r.sensor, r.value))
        .key_by(|&(sensor, _)| sensor)
        .window(Tumbling::minutes(1))
        .aggregate(|w, &sensor, values| row(w, sensor, values))
}

#[pipeline]
fn sliding_readings(readings: Kafka<Reading>) -> MySql<SensorWindow> {
    readings
        .map(|r| (r.sensor, r.value))
        .key_by(|&(sensor, _)| sensor)
        .window(Sliding::of(
            Duration::from_secs(60),
            Duration::from_secs(30),
        ))
        .aggregate(|w, &sensor, values| row(w, sensor, values))
}

#[pipeline]
fn session_readings(readings: Kafka<Reading>) -> MySql<SensorWindow> {
    readings
        .map(|r| (r.sensor, r.value))
        .key_by(|&(sensor, _)| sensor)
        .window(Session::gap(Duration::from_secs(30)))
        .aggregate(|w, &sensor, values| row(w, sensor, values))
}

#[pipeline]
fn tumbling_ticks(ticks: Kafka<Tick>) -> MySql<SensorWindow> {
    ticks
        .map(|t| (t.sensor, t.value))
        .key_by(|&(sensor, _)| sensor)
        .window(Tumbling::minutes(1))
        .aggregate(|w, &sensor, values| row(w, sensor, values))
}

/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600_000;
const GOOD: i64 = 120;
/// A bad record's value: a window that counted one would show it in its total.
const BAD_VALUE: i64 = 1_000_000;

/// Good reading `i`: sensor `i % 3`, value `i`, one a second, with a five-minute pause after
/// the 60th (two sessions per sensor).
fn good_ts(i: i64) -> i64 {
    if i < 60 {
        T0 + i * 1_000
    } else {
        T0 + 300_000 + i * 1_000
    }
}

/// What became of a bad record: its position and the dead letter expected for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    partition: i32,
    offset: i64,
    kind: &'static str,
    /// The whole message, or `None` when only the kind is checked (another part's wording).
    message: Option<String>,
}

const NO_EVENT_TIME: &str = "the message has no event time (null, or not a number of \
                             milliseconds an i64 holds): it cannot be windowed";

fn outside_the_dates(ts: impl std::fmt::Display) -> String {
    format!(
        "event time {ts} ms cannot be windowed: its window would lie outside the dates from {} \
         to {} ms (years -262143 to 262142)",
        DateTime::<Utc>::MIN_UTC.timestamp_millis(),
        DateTime::<Utc>::MAX_UTC.timestamp_millis()
    )
}

/// Produces the good records over two partitions (reading `i` to partition `i % 2`) with, after
/// the good readings numbered in `bad`, a record whose event time is the JSON text given; returns
/// the dead letters expected for those.
fn produce(brokers: &str, topic: &str, bad: &[Bad]) -> Vec<Expected> {
    let producer = BulkProducer::new(brokers).expect("producer");
    let mut next = [0i64; 2];
    let mut send = |partition: usize, sensor: i64, value: i64, ts: &str| {
        let payload = format!(r#"{{"sensor": {sensor}, "value": {value}, "ts": {ts}}}"#);
        producer
            .send_to(topic, partition as i32, b"k", payload.as_bytes())
            .expect("send");
        next[partition] += 1;
        next[partition] - 1
    };
    let mut expected = Vec::new();
    for i in 0..GOOD {
        let partition = (i % 2) as usize;
        send(partition, i % 3, i, &good_ts(i).to_string());
        for (_, ts, kind, message) in bad.iter().filter(|b| b.0 == i) {
            let offset = send(partition, i % 3, BAD_VALUE, ts);
            expected.push(Expected {
                partition: partition as i32,
                offset,
                kind,
                message: message.clone(),
            });
        }
    }
    producer.flush().expect("flush");
    expected.sort();
    expected
}

/// A bad record: after which good reading it comes, its event time as JSON text, and the kind and
/// message of the dead letter expected for it.
type Bad = (i64, String, &'static str, Option<String>);

/// The bad readings: null, `i64::MIN` (which reads as no event time), `i64::MIN + 1` and the
/// millisecond before the first date, spread over both partitions; and `i64::MAX`, which the
/// source sets aside first as further in the future than `max_future` allows.
fn bad_readings() -> Vec<Bad> {
    let before_dates = DateTime::<Utc>::MIN_UTC.timestamp_millis() - 1;
    let no_event_time = Some(NO_EVENT_TIME.to_owned());
    vec![
        (10, "null".into(), "event_time", no_event_time.clone()),
        (21, i64::MIN.to_string(), "event_time", no_event_time),
        (
            30,
            (i64::MIN + 1).to_string(),
            "event_time",
            Some(outside_the_dates(i64::MIN + 1)),
        ),
        (
            59,
            before_dates.to_string(),
            "event_time",
            Some(outside_the_dates(before_dates)),
        ),
        (75, i64::MAX.to_string(), "future", None),
    ]
}

/// `sensor start end readings total` per window, from the good records and `windows_of`.
fn model(windows_of: impl Fn(i64) -> Vec<(i64, i64)>) -> Vec<String> {
    let mut windows: BTreeMap<(i64, i64, i64), (i64, i64)> = BTreeMap::new();
    for i in 0..GOOD {
        for (start, end) in windows_of(good_ts(i)) {
            let entry = windows.entry((i % 3, start, end)).or_default();
            entry.0 += 1;
            entry.1 += i;
        }
    }
    windows
        .into_iter()
        .map(|((sensor, start, end), (n, total))| {
            format!("{sensor} {} {} {n} {total}", date(start), date(end))
        })
        .collect()
}

fn date(millis: i64) -> String {
    DateTime::from_timestamp_millis(millis)
        .expect("in range")
        .format("%Y-%m-%d %H:%M:%S%.3f")
        .to_string()
}

/// Sessions of 30 s gap per sensor over the good records.
fn session_model() -> Vec<String> {
    let mut rows = Vec::new();
    for sensor in 0..3 {
        let times: Vec<(i64, i64)> = (0..GOOD)
            .filter(|i| i % 3 == sensor)
            .map(|i| (good_ts(i), i))
            .collect();
        let mut current: Option<(i64, i64, i64, i64)> = None;
        for (ts, value) in times {
            current = match current {
                Some((start, last, n, total)) if ts < last + 30_000 => {
                    Some((start, ts, n + 1, total + value))
                }
                other => {
                    if let Some((start, last, n, total)) = other {
                        rows.push((sensor, start, last + 30_000, n, total));
                    }
                    Some((ts, ts, 1, value))
                }
            };
        }
        if let Some((start, last, n, total)) = current {
            rows.push((sensor, start, last + 30_000, n, total));
        }
    }
    rows.into_iter()
        .map(|(sensor, start, end, n, total)| {
            format!("{sensor} {} {} {n} {total}", date(start), date(end))
        })
        .collect()
}

fn written_windows(database: &str) -> Vec<String> {
    query_strings(
        database,
        "SELECT CONCAT_WS(' ', sensor, window_start, window_end, readings, total) \
         FROM sensor_windows ORDER BY sensor, window_start",
    )
}

fn stored_dead_letters(database: &str) -> Vec<(i32, i64, String, String)> {
    query_strings(
        database,
        "SELECT CONCAT_WS('|', `partition`, `offset`, kind, message) FROM sluice_dead_letters \
         ORDER BY `partition`, `offset`",
    )
    .into_iter()
    .map(|line| {
        let mut parts = line.splitn(4, '|');
        let mut next = || parts.next().expect("four columns").to_owned();
        let (partition, offset, kind, message) = (next(), next(), next(), next());
        (
            partition.parse().expect("partition"),
            offset.parse().expect("offset"),
            kind,
            message,
        )
    })
    .collect()
}

fn assert_dead_letters(database: &str, expected: &[Expected]) {
    let stored = stored_dead_letters(database);
    assert_eq!(
        stored
            .iter()
            .map(|(p, o, kind, _)| (*p, *o, kind.as_str()))
            .collect::<Vec<_>>(),
        expected
            .iter()
            .map(|e| (e.partition, e.offset, e.kind))
            .collect::<Vec<_>>()
    );
    for ((_, _, _, message), expected) in stored.iter().zip(expected) {
        if let Some(text) = &expected.message {
            assert_eq!(message, text);
        }
    }
}

type Run = fn(sluice::Config) -> sluice::Result<sluice::RunReport>;

/// Runs `pipeline` over the good and the bad readings; its windows must equal `expected`.
fn check_readings(test: &str, pipeline: Run, expected: Vec<String>) {
    let database = fresh_database(test);
    execute(&database, SENSOR_WINDOWS_DDL);
    let kafka = Tansu::start();
    let topic = format!("readings_{test}");
    kafka.create_topic(&topic, 2).expect("topic");
    let bad = bad_readings();
    let letters = produce(&kafka.bootstrap_servers(), &topic, &bad);
    assert_eq!(letters.len(), bad.len());

    let report =
        pipeline(config(&kafka.bootstrap_servers(), &database, &topic)).expect("the run ends well");
    assert_eq!(report.consumed, (GOOD as usize + bad.len()) as u64);
    assert_eq!(report.aggregated, GOOD as u64, "only the good records");
    assert_eq!(report.dead_lettered, bad.len() as u64);
    assert_eq!(report.written, expected.len() as u64);
    assert_eq!(written_windows(&database), expected);
    assert_dead_letters(&database, &letters);
}

#[test]
fn tumbling_windows_set_aside_event_times_they_cannot_hold() {
    let expected = model(|ts| {
        let start = ts.div_euclid(60_000) * 60_000;
        vec![(start, start + 60_000)]
    });
    assert_eq!(expected.len(), 3 * 2, "3 sensors in 2 minutes");
    check_readings("event_time_tumbling", tumbling_readings::run, expected);
}

#[test]
fn sliding_windows_set_aside_event_times_they_cannot_hold() {
    let expected = model(|ts| {
        let start = ts.div_euclid(30_000) * 30_000;
        vec![(start, start + 60_000), (start - 30_000, start + 30_000)]
    });
    check_readings("event_time_sliding", sliding_readings::run, expected);
}

#[test]
fn session_windows_set_aside_event_times_they_cannot_hold() {
    let expected = session_model();
    assert_eq!(expected.len(), 3 * 2, "two sessions per sensor");
    check_readings("event_time_session", session_readings::run, expected);
}

#[test]
fn a_u64_event_time_past_i64_is_an_event_time_dead_letter() {
    let topic = "ticks_event_time_u64";
    let (database, kafka) = database_and_topic("event_time_u64", &[SENSOR_WINDOWS_DDL], topic, 2);
    let no_event_time = Some(NO_EVENT_TIME.to_owned());
    let bad: Vec<Bad> = vec![
        (5, u64::MAX.to_string(), "event_time", no_event_time.clone()),
        (44, (1u64 << 63).to_string(), "event_time", no_event_time),
    ];
    let letters = produce(&kafka.bootstrap_servers(), topic, &bad);

    let report = tumbling_ticks::run(config(&kafka.bootstrap_servers(), &database, topic))
        .expect("the run ends well");
    assert_eq!(report.consumed, GOOD as u64 + 2);
    assert_eq!(report.dead_lettered, 2);
    let expected = model(|ts| {
        let start = ts.div_euclid(60_000) * 60_000;
        vec![(start, start + 60_000)]
    });
    assert_eq!(written_windows(&database), expected);
    assert_dead_letters(&database, &letters);
}
