//! No poison message: a payload or key of any size the broker delivers, hundreds of large dead
//! letters in one epoch, rows larger than the server's `max_allowed_packet` and a dead letter the
//! table refuses never wedge the job. Stored keys and payloads are capped and keep the
//! original's length and SHA-256; statements are sized by bytes against `max_allowed_packet`.

mod common;

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use sluice::dead_letter::{KEY_CAP, PAYLOAD_CAP};
use sluice_testkit::broker::EmbeddedKafka;
use sluice_testkit::workload::{ORDERS_DDL, W1Order};
use sqlx::{Connection, MySqlConnection};

/// How long a job may take before the test calls it wedged (a job stuck on a statement the
/// server refuses retries for five minutes before it gives up).
const DEADLINE: Duration = Duration::from_secs(150);

/// The `max_allowed_packet` of the private servers: small enough that the statements of a
/// few large values exceed it.
const SMALL_PACKET: usize = 1 << 20;

/// A producer that accepts messages of several megabytes and tells each message's offset.
struct LargeProducer {
    producer: BaseProducer,
    topic: String,
    next_offset: BTreeMap<i32, i64>,
}

impl LargeProducer {
    fn new(brokers: &str, topic: &str) -> LargeProducer {
        let producer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("message.max.bytes", "10000000")
            .set("max.in.flight.requests.per.connection", "1")
            .set("linger.ms", "5")
            .create()
            .expect("producer");
        LargeProducer {
            producer,
            topic: topic.to_owned(),
            next_offset: BTreeMap::new(),
        }
    }

    /// Sends one message; returns its offset (messages of a partition are numbered in the
    /// order they are sent, from 0).
    fn send(&mut self, partition: i32, key: &[u8], payload: &[u8]) -> i64 {
        loop {
            let record = BaseRecord::to(&self.topic)
                .partition(partition)
                .key(key)
                .payload(payload);
            match self.producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    self.producer.poll(Duration::from_millis(50));
                }
                Err((error, _)) => panic!("send: {error}"),
            }
        }
        let offset = self.next_offset.entry(partition).or_insert(0);
        *offset += 1;
        *offset - 1
    }

    fn flush(&self) {
        self.producer
            .flush(Duration::from_secs(60))
            .expect("every message delivered");
    }
}

/// Runs `run(config)` on a thread of its own; panics if it has not returned by the deadline.
fn run_within_deadline<T: Send + 'static>(run: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(run());
    });
    finished
        .recv_timeout(DEADLINE)
        .unwrap_or_else(|_| panic!("the job is wedged: still running after {DEADLINE:?}"))
}

/// A private MariaDB whose `max_allowed_packet` is [`SMALL_PACKET`] for every new session.
fn server_with_small_packet(test: &str) -> PrivateMariaDb {
    let server = PrivateMariaDb::start(test);
    execute(
        &server.url(),
        &format!("SET GLOBAL max_allowed_packet = {SMALL_PACKET}"),
    );
    assert_eq!(
        count(&server.url(), "SELECT CAST(@@max_allowed_packet AS SIGNED)"),
        SMALL_PACKET as i64
    );
    server
}

/// SHA-256 of each of `originals` in hex, as MySQL computes it: the hash a user can recompute.
fn sha256_by_server<'a>(url: &str, originals: impl Iterator<Item = &'a [u8]>) -> Vec<String> {
    runtime().block_on(async {
        let mut conn = MySqlConnection::connect(url).await.expect("connect");
        let mut hashes = Vec::new();
        for bytes in originals {
            let hash = sqlx::query_scalar::<_, String>("SELECT SHA2(?, 256)")
                .bind(bytes)
                .fetch_one(&mut conn)
                .await
                .expect("SHA2");
            hashes.push(hash);
        }
        hashes
    })
}

/// What a dead letter stored: its position and kind, then per key and payload the stored
/// length, the original's length and hash (`-` for NULL).
fn stored_letters(url: &str) -> Vec<String> {
    query_strings(
        url,
        "SELECT CONCAT_WS(' ', `partition`, `offset`, kind, \
           COALESCE(LENGTH(`key`), '-'), COALESCE(key_length, '-'), COALESCE(key_sha256, '-'), \
           COALESCE(LENGTH(payload), '-'), COALESCE(payload_length, '-'), \
           COALESCE(payload_sha256, '-')) \
         FROM sluice_dead_letters ORDER BY `partition`, `offset`",
    )
}

/// A dead letter expected at a position, of a kind, with its original key and payload.
struct Expected<'a> {
    position: (i32, i64),
    kind: &'a str,
    key: &'a [u8],
    payload: &'a [u8],
}

/// The lines [`stored_letters`] gives for `letters`, sorted.
fn expected_letters(url: &str, letters: &[Expected<'_>]) -> Vec<String> {
    let keys = sha256_by_server(url, letters.iter().map(|l| l.key));
    let payloads = sha256_by_server(url, letters.iter().map(|l| l.payload));
    let mut lines: Vec<String> = letters
        .iter()
        .zip(keys.iter().zip(&payloads))
        .map(|(letter, (key_sha256, payload_sha256))| {
            let (partition, offset) = letter.position;
            format!(
                "{partition} {offset} {} {} {} {key_sha256} {} {} {payload_sha256}",
                letter.kind,
                letter.key.len().min(KEY_CAP),
                letter.key.len(),
                letter.payload.len().min(PAYLOAD_CAP),
                letter.payload.len(),
            )
        })
        .collect();
    lines.sort();
    lines
}

/// The first bytes of each stored payload, by position.
fn stored_payloads(url: &str) -> BTreeMap<(i32, i64), Vec<u8>> {
    runtime().block_on(async {
        let mut conn = MySqlConnection::connect(url).await.expect("connect");
        sqlx::query_as::<_, (i32, i64, Vec<u8>)>(
            "SELECT `partition`, `offset`, payload FROM sluice_dead_letters WHERE payload IS NOT NULL",
        )
        .fetch_all(&mut conn)
        .await
        .expect("payloads")
        .into_iter()
        .map(|(partition, offset, payload)| ((partition, offset), payload))
        .collect()
    })
}

/// `sluice_dead_letters` as sluice 0.1 created it: no lengths, no hashes.
const OLD_DEAD_LETTERS_TABLE: &str = "CREATE TABLE sluice_dead_letters (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  pipeline VARCHAR(255) NOT NULL,
  topic VARCHAR(255) NOT NULL,
  `partition` INT NOT NULL,
  `offset` BIGINT NOT NULL,
  kind VARCHAR(32) NOT NULL,
  message TEXT NOT NULL,
  `key` BLOB NULL,
  payload LONGBLOB NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY sluice_dead_letters_source (pipeline, topic, `partition`, `offset`, kind)
) ENGINE=InnoDB";

/// A deterministic byte string of `len` bytes, different for each `seed`, not UTF-8.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// Megabyte messages that do not decode, one of them under a 2 MB key, end as dead letters of
/// at most the caps with the original's length and hash; every order around them is written;
/// a dead-letter table of an older sluice gets the new columns and keeps its rows.
#[test]
fn megabyte_messages_are_capped_dead_letters_with_length_and_hash() {
    let database = fresh_database("poison_huge");
    execute(&database, ORDERS_DDL);
    execute(&database, OLD_DEAD_LETTERS_TABLE);
    execute(
        &database,
        "INSERT INTO sluice_dead_letters (pipeline, topic, `partition`, `offset`, kind, message) \
         VALUES ('older', 'elsewhere', 0, 7, 'decode', 'kept from an older run')",
    );
    let kafka = Tansu::start();
    let topic = "poison_huge";
    kafka.create_topic(topic, 4).expect("topic");
    let mut producer = LargeProducer::new(&kafka.bootstrap_servers(), topic);

    // (partition, key, payload) of each poison message, sent after the order `after`.
    let unterminated = {
        let mut json = br#"{"id": 1, "note": ""#.to_vec();
        json.resize(4_000_000, b'a');
        json
    };
    let wrong_type = {
        let mut json = br#"{"id": ""#.to_vec();
        json.resize(2_500_000, b'7');
        json.extend_from_slice(br#"", "customer_id": 1}"#);
        json
    };
    let poison: Vec<(u64, i32, Vec<u8>, Vec<u8>)> = vec![
        (10, 0, b"huge-0".to_vec(), unterminated),
        (50, 1, b"huge-1".to_vec(), noise(1, 3_000_000)),
        (90, 2, vec![b'k'; 2_000_000], b"not json".to_vec()),
        (130, 3, b"huge-3".to_vec(), wrong_type),
    ];
    const N: u64 = 400;
    let mut positions = Vec::new();
    let mut good_ids = 0;
    for i in 0..N {
        let order = W1Order::nth(i);
        producer.send(
            (i % 4) as i32,
            order.key().as_bytes(),
            order.json().as_bytes(),
        );
        good_ids += i;
        for (_, partition, key, payload) in poison.iter().filter(|p| p.0 == i) {
            positions.push((*partition, producer.send(*partition, key, payload)));
        }
    }
    producer.flush();

    let url = database.clone();
    let brokers = kafka.bootstrap_servers();
    let report = run_within_deadline(move || ingest::run(config(&brokers, &url, topic)))
        .expect("the run survives megabyte messages");
    assert_eq!(report.consumed, N + 4);
    assert_eq!(report.dead_lettered, 4);
    assert_eq!(report.written, N);
    assert_eq!(count(&database, "SELECT COUNT(*) FROM orders"), N as i64);
    assert_eq!(
        count(&database, "SELECT CAST(SUM(id) AS SIGNED) FROM orders"),
        good_ids as i64
    );

    let letters: Vec<Expected<'_>> = positions
        .iter()
        .zip(&poison)
        .map(|(position, (_, _, key, payload))| Expected {
            position: *position,
            kind: "decode",
            key,
            payload,
        })
        .collect();
    let mut expected = expected_letters(&database, &letters);
    // The older run's letter, now with empty new columns.
    expected.push("0 7 decode - - - - - -".to_owned());
    expected.sort();
    let mut stored = stored_letters(&database);
    stored.sort();
    assert_eq!(stored, expected);
    // The stored bytes are the start of the original.
    let payloads = stored_payloads(&database);
    for (position, (_, _, _, payload)) in positions.iter().zip(&poison) {
        assert!(
            payloads[position] == payload[..payload.len().min(PAYLOAD_CAP)],
            "payload at {position:?} is not the start of the original"
        );
    }
    let key = query_strings(
        &database,
        "SELECT CAST(`key` AS CHAR) FROM sluice_dead_letters WHERE `partition` = 2 \
         AND pipeline <> 'older'",
    );
    assert_eq!(key, vec!["k".repeat(KEY_CAP)]);
    // Messages stay below their cap.
    assert_eq!(
        count(
            &database,
            "SELECT MAX(LENGTH(message)) <= 4096 FROM sluice_dead_letters"
        ),
        1
    );
}

/// 320 undecodable messages of 100 KB each, read in one long epoch, under a 1 MiB
/// `max_allowed_packet`: all stored (capped at 64 KiB each, so a few per statement), every
/// order written, the job finishes.
#[test]
fn hundreds_of_large_dead_letters_fit_a_small_packet() {
    let server = server_with_small_packet("poison_many");
    let database = server.url();
    execute(&database, ORDERS_DDL);
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    let topic = "poison_many";
    const PARTITIONS: i32 = 8;
    kafka.create_topic(topic, PARTITIONS).expect("topic");
    let mut producer = LargeProducer::new(&kafka.bootstrap_servers(), topic);
    const N: u64 = 800;
    const BAD: u64 = 320;
    let mut letters = Vec::new();
    for i in 0..N {
        let order = W1Order::nth(i);
        let partition = (i % PARTITIONS as u64) as i32;
        producer.send(partition, order.key().as_bytes(), order.json().as_bytes());
        if i < BAD {
            let mut payload = format!(r#"{{"id": {i}, "pad": ""#).into_bytes();
            payload.resize(100_000, b'x');
            let key = format!("bad-{i}").into_bytes();
            let offset = producer.send(partition, &key, &payload);
            letters.push(((partition, offset), key, payload));
        }
    }
    producer.flush();

    let url = database.clone();
    let brokers = kafka.bootstrap_servers();
    let report = run_within_deadline(move || {
        let mut config = config(&brokers, &url, topic);
        config.epoch = Duration::from_secs(5);
        ingest::run(config)
    })
    .expect("the run survives hundreds of large dead letters");
    assert_eq!(report.consumed, N + BAD);
    assert_eq!(report.dead_lettered, BAD);
    assert_eq!(report.written, N);
    assert_eq!(count(&database, "SELECT COUNT(*) FROM orders"), N as i64);

    let letters: Vec<Expected<'_>> = letters
        .iter()
        .map(|(position, key, payload)| Expected {
            position: *position,
            kind: "decode",
            key,
            payload,
        })
        .collect();
    let expected = expected_letters(&database, &letters);
    let mut stored = stored_letters(&database);
    stored.sort();
    assert_eq!(stored.len(), BAD as usize);
    assert_eq!(stored, expected);
}

#[derive(Message)]
#[message(topic = "docs")]
struct Doc {
    id: u64,
    body: String,
}

#[derive(Row)]
#[row(table = "docs")]
struct DocRow {
    #[row(key)]
    id: u64,
    body: String,
}

#[pipeline]
fn store_docs(docs: Kafka<Doc>) -> MySql<DocRow> {
    docs.map(|d| DocRow {
        id: d.id,
        body: d.body,
    })
}

/// Rows of 200 KB each under a 1 MiB `max_allowed_packet`: written in statements of a few
/// rows instead of one statement of all of them; the one row of 1.5 MB, which no statement
/// can carry, is a `constraint` dead letter that says so.
#[test]
fn rows_are_split_by_bytes_and_a_row_larger_than_the_packet_is_a_dead_letter() {
    let server = server_with_small_packet("poison_rows");
    let database = server.url();
    execute(
        &database,
        "CREATE TABLE docs (id BIGINT UNSIGNED PRIMARY KEY, body LONGTEXT NOT NULL)",
    );
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    let topic = "poison_rows";
    const PARTITIONS: i32 = 8;
    kafka.create_topic(topic, PARTITIONS).expect("topic");
    let mut producer = LargeProducer::new(&kafka.bootstrap_servers(), topic);
    const DOCS: u64 = 40;
    const BODY: usize = 200_000;
    let letter = |c: u64| char::from(b'a' + (c % 26) as u8);
    for id in 0..DOCS {
        let body = letter(id).to_string().repeat(BODY);
        let json = format!(r#"{{"id": {id}, "body": "{body}"}}"#);
        producer.send((id % PARTITIONS as u64) as i32, b"doc", json.as_bytes());
    }
    let huge = format!(r#"{{"id": 1000, "body": "{}"}}"#, "h".repeat(1_500_000));
    let huge_offset = producer.send(3, b"huge", huge.as_bytes());
    producer.flush();

    let url = database.clone();
    let brokers = kafka.bootstrap_servers();
    let report = run_within_deadline(move || store_docs::run(config(&brokers, &url, topic)))
        .expect("the run survives rows larger than the packet");
    assert_eq!(report.consumed, DOCS + 1);
    assert_eq!(report.written, DOCS);
    assert_eq!(report.dead_lettered, 1);
    let expected: Vec<String> = (0..DOCS)
        .map(|id| format!("{id} {BODY} {}", letter(id)))
        .collect();
    assert_eq!(
        query_strings(
            &database,
            "SELECT CONCAT_WS(' ', id, LENGTH(body), LEFT(body, 1)) FROM docs \
             WHERE body = REPEAT(LEFT(body, 1), LENGTH(body)) ORDER BY id",
        ),
        expected
    );
    let letters = query_strings(
        &database,
        "SELECT CONCAT_WS(' ', `partition`, `offset`, kind, message) FROM sluice_dead_letters",
    );
    assert_eq!(letters.len(), 1, "{letters:?}");
    let prefix =
        format!("3 {huge_offset} constraint the row is too large to be written: it takes about ");
    assert!(letters[0].starts_with(&prefix), "{letters:?}");
    assert!(
        letters[0].ends_with(&format!(
            "under the server's max_allowed_packet ({SMALL_PACKET} bytes)"
        )),
        "{letters:?}"
    );
}

/// A dead letter the table itself refuses (here a trigger, as a column too narrow or a
/// charset would) is stored without key and payload, with the reason, and every other letter
/// and row is written.
#[test]
fn a_dead_letter_the_table_refuses_is_stored_without_its_bytes() {
    let topic = "poison_refused";
    let (database, kafka) = database_and_topic("poison_refused_letter", &[ORDERS_DDL], topic, 1);
    let mut producer = LargeProducer::new(&kafka.bootstrap_servers(), topic);
    const N: u64 = 300;
    let mut bad = Vec::new();
    for i in 0..N {
        let order = W1Order::nth(i);
        let payload = match i % 30 {
            7 => "refuse me".to_owned(),
            3 => "broken".to_owned(),
            _ => order.json(),
        };
        let offset = producer.send(0, order.key().as_bytes(), payload.as_bytes());
        if payload != order.json() {
            bad.push((offset, payload));
        }
    }
    producer.flush();
    // A table of an older sluice (the run adds its new columns), with a trigger that
    // refuses some payloads.
    execute(&database, OLD_DEAD_LETTERS_TABLE);
    execute(
        &database,
        "CREATE TRIGGER refuse_letters BEFORE INSERT ON sluice_dead_letters FOR EACH ROW \
         IF NEW.payload LIKE 'refuse%' THEN \
           SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'payload refused by the table'; \
         END IF",
    );

    let url = database.clone();
    let brokers = kafka.bootstrap_servers();
    let report = run_within_deadline(move || ingest::run(config(&brokers, &url, topic)))
        .expect("a refused dead letter does not stop the run");
    assert_eq!(report.consumed, N);
    assert_eq!(report.dead_lettered, bad.len() as u64);
    assert_eq!(report.written, N - bad.len() as u64);

    let stored = query_strings(
        &database,
        "SELECT CONCAT_WS(' ', `offset`, kind, COALESCE(CAST(payload AS CHAR), '-'), \
           payload_length, COALESCE(CAST(`key` AS CHAR), '-'), message) \
         FROM sluice_dead_letters ORDER BY `offset`",
    );
    let expected: Vec<String> = bad
        .iter()
        .map(|(offset, payload)| {
            let key = W1Order::nth(*offset as u64).key();
            if payload == "refuse me" {
                format!(
                    "{offset} decode - 9 - expected a JSON object, found an invalid token (at byte 0) \
                     [stored without key and payload: payload refused by the table]"
                )
            } else {
                format!(
                    "{offset} decode broken 6 {key} expected a JSON object, found an invalid token (at byte 0)"
                )
            }
        })
        .collect();
    assert_eq!(stored, expected);
}

/// The server's `max_allowed_packet` lowered while the job runs, after it has read the value:
/// the job's next statement is refused with error 1153 and its connection closed; the job
/// writes the transaction again in statements that fit the new value, and finishes.
#[test]
fn a_packet_lowered_while_the_job_runs_is_met_by_smaller_statements() {
    let server = PrivateMariaDb::start("poison_lowered");
    let database = server.url();
    execute(
        &database,
        "CREATE TABLE docs (id BIGINT UNSIGNED PRIMARY KEY, body LONGTEXT NOT NULL)",
    );
    let kafka = EmbeddedKafka::start().expect("mock cluster");
    let topic = "poison_lowered";
    kafka.create_topic(topic, 4).expect("topic");
    let mut producer = LargeProducer::new(&kafka.bootstrap_servers(), topic);
    const SMALL: u64 = 8;
    const LARGE: u64 = 24;
    const BODY: usize = 200_000;
    for id in 0..SMALL {
        let json = format!(r#"{{"id": {id}, "body": "small"}}"#);
        producer.send((id % 4) as i32, b"doc", json.as_bytes());
    }
    producer.flush();

    let (done, finished) = mpsc::channel();
    let url = database.clone();
    let brokers = kafka.bootstrap_servers();
    std::thread::spawn(move || {
        let mut config = config(&brokers, &url, topic);
        config.until_end = false;
        config.limit = Some(SMALL + LARGE);
        let _ = done.send(store_docs::run(config));
    });
    wait_for_progress(&database, &format!("SELECT COUNT(*) = {SMALL} FROM docs"));
    // New sessions get the smaller packet; the job's idle connections are closed, so the
    // pool opens new ones without the job seeing an error.
    execute(
        &database,
        &format!("SET GLOBAL max_allowed_packet = {SMALL_PACKET}"),
    );
    let idle = query_strings(
        &database,
        "SELECT CAST(ID AS CHAR) FROM information_schema.PROCESSLIST \
         WHERE ID <> CONNECTION_ID() AND COMMAND = 'Sleep'",
    );
    for id in idle {
        execute(&database, &format!("KILL CONNECTION {id}"));
    }
    for id in SMALL..SMALL + LARGE {
        let json = format!(r#"{{"id": {id}, "body": "{}"}}"#, "b".repeat(BODY));
        producer.send((id % 4) as i32, b"doc", json.as_bytes());
    }
    producer.flush();

    let report = finished
        .recv_timeout(DEADLINE)
        .unwrap_or_else(|_| panic!("the job is wedged: still running after {DEADLINE:?}"))
        .expect("the run survives a lowered max_allowed_packet");
    assert_eq!(report.consumed, SMALL + LARGE);
    assert_eq!(report.written, SMALL + LARGE);
    assert_eq!(report.dead_lettered, 0);
    assert!(
        report.retries >= 1,
        "the server refused a statement and it was written again smaller: {}",
        report.summary()
    );
    assert_eq!(
        count(
            &database,
            &format!("SELECT COUNT(*) FROM docs WHERE LENGTH(body) = {BODY}")
        ),
        LARGE as i64
    );
    assert_eq!(
        count(&database, "SELECT COUNT(*) FROM docs"),
        (SMALL + LARGE) as i64
    );
}
