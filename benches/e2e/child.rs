//! Every measured run happens in a child process of the bench (the same binary, started with
//! `--child`), so that its peak RSS is its own and not what earlier runs left in the allocator,
//! and its time counts from process start, as WORKLOADS.md measures W1.

use std::hint::black_box;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use sluice_testkit::workload;

use super::database::{self, BoxError};
use super::{
    avro, ceiling, connectors, debezium, handwritten, latency, load_data, queue, rabbitmq, rss,
    table_copy, tx_insert, w1, w2, w3,
};

/// One measured run.
#[derive(Debug, Clone, Copy)]
pub enum Run {
    Ceiling {
        connections: usize,
    },
    /// The ceiling with the rows in the order the topic's partitions give them.
    CeilingTopicOrder {
        connections: usize,
    },
    /// `LOAD DATA LOCAL INFILE` per piece, autocommit.
    LoadData {
        connections: usize,
    },
    /// Per piece a transaction: multi-row `INSERT` and a position upsert (sqlx).
    TxInsert {
        connections: usize,
    },
    /// Per piece a transaction: `LOAD DATA LOCAL INFILE` and a position upsert.
    TxLoadData {
        connections: usize,
    },
    SluiceW1 {
        workers: usize,
    },
    HandWritten {
        connections: usize,
    },
    ConsumeDecode,
    SluiceW2 {
        workers: usize,
    },
    HashMapLoop,
    SluiceW3 {
        workers: usize,
    },
    InsertSelect,
    SluiceScan {
        workers: usize,
    },
    ConsumeProduce,
    SluiceCopy {
        workers: usize,
    },
    /// Process `process` of two, one worker each, over `Input::hostfile`.
    SluiceW1Process {
        process: usize,
    },
    SluiceW3Process {
        process: usize,
    },
    /// A lapin consume + decode loop over the queue named by `Input::topic`.
    ConsumeQueue,
    SluiceQueue {
        workers: usize,
    },
    /// W1 from the Avro topic named by `Input::topic`.
    SluiceAvro {
        workers: usize,
    },
    /// W1 from the Debezium topic named by `Input::topic`.
    SluiceDebezium {
        workers: usize,
    },
    /// W1 unbounded (not `until_end`), stopping after `Input::orders` messages, with
    /// `Input::epoch_ms`.
    SluiceLatency {
        workers: usize,
    },
    /// `Input::orders` orders produced at `rate` a second, stamped with the time.
    ProduceAt {
        rate: usize,
    },
}

/// What a run works on.
#[derive(Debug, Clone)]
pub struct Input {
    pub brokers: String,
    pub topic: String,
    pub orders: u64,
    pub events: u64,
    /// The name the sluice runs store their offsets under: new for every run.
    pub pipeline_id: String,
    /// The host file of a run as two processes; empty otherwise.
    pub hostfile: String,
    /// Orders a second of the `latency` workload's producer.
    pub rate: u64,
    /// The epoch length of the `latency` workload's job; 0 for sluice's default.
    pub epoch_ms: u64,
}

/// What the child reports.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub items: u64,
    /// A count the parent checks (W3: windows emitted).
    pub check: u64,
    pub seconds: f64,
    pub peak_rss_mib: Option<f64>,
    pub cpu_seconds: Option<f64>,
    /// When the parent started the child process.
    pub spawned: Instant,
}

const RESULT: &str = "sluice-bench-result";

impl Run {
    fn name(self) -> String {
        match self {
            Run::Ceiling { connections } => format!("ceiling:{connections}"),
            Run::CeilingTopicOrder { connections } => format!("ceiling-topic-order:{connections}"),
            Run::LoadData { connections } => format!("load-data:{connections}"),
            Run::TxInsert { connections } => format!("tx-insert:{connections}"),
            Run::TxLoadData { connections } => format!("tx-load-data:{connections}"),
            Run::SluiceW1 { workers } => format!("sluice-w1:{workers}"),
            Run::HandWritten { connections } => format!("hand:{connections}"),
            Run::ConsumeDecode => "consume-decode:1".into(),
            Run::SluiceW2 { workers } => format!("sluice-w2:{workers}"),
            Run::HashMapLoop => "hash-map:1".into(),
            Run::SluiceW3 { workers } => format!("sluice-w3:{workers}"),
            Run::InsertSelect => "insert-select:1".into(),
            Run::SluiceScan { workers } => format!("sluice-scan:{workers}"),
            Run::ConsumeProduce => "consume-produce:1".into(),
            Run::SluiceCopy { workers } => format!("sluice-copy:{workers}"),
            Run::SluiceW1Process { process } => format!("sluice-w1-process:{process}"),
            Run::SluiceW3Process { process } => format!("sluice-w3-process:{process}"),
            Run::ConsumeQueue => "consume-queue:1".into(),
            Run::SluiceQueue { workers } => format!("sluice-queue:{workers}"),
            Run::SluiceAvro { workers } => format!("sluice-avro:{workers}"),
            Run::SluiceDebezium { workers } => format!("sluice-debezium:{workers}"),
            Run::SluiceLatency { workers } => format!("sluice-latency:{workers}"),
            Run::ProduceAt { rate } => format!("produce-at:{rate}"),
        }
    }

    fn parse(name: &str) -> Option<Run> {
        let (kind, n) = name.split_once(':')?;
        let n: usize = n.parse().ok()?;
        Some(match kind {
            "ceiling" => Run::Ceiling { connections: n },
            "ceiling-topic-order" => Run::CeilingTopicOrder { connections: n },
            "load-data" => Run::LoadData { connections: n },
            "tx-insert" => Run::TxInsert { connections: n },
            "tx-load-data" => Run::TxLoadData { connections: n },
            "sluice-w1" => Run::SluiceW1 { workers: n },
            "hand" => Run::HandWritten { connections: n },
            "consume-decode" => Run::ConsumeDecode,
            "sluice-w2" => Run::SluiceW2 { workers: n },
            "hash-map" => Run::HashMapLoop,
            "sluice-w3" => Run::SluiceW3 { workers: n },
            "insert-select" => Run::InsertSelect,
            "sluice-scan" => Run::SluiceScan { workers: n },
            "consume-produce" => Run::ConsumeProduce,
            "sluice-copy" => Run::SluiceCopy { workers: n },
            "sluice-w1-process" => Run::SluiceW1Process { process: n },
            "sluice-w3-process" => Run::SluiceW3Process { process: n },
            "consume-queue" => Run::ConsumeQueue,
            "sluice-queue" => Run::SluiceQueue { workers: n },
            "sluice-avro" => Run::SluiceAvro { workers: n },
            "sluice-debezium" => Run::SluiceDebezium { workers: n },
            "sluice-latency" => Run::SluiceLatency { workers: n },
            "produce-at" => Run::ProduceAt { rate: n },
            _ => return None,
        })
    }

    /// Runs this in a child process and reads what it reports.
    pub fn in_child(self, input: &Input) -> Result<Outcome, BoxError> {
        self.spawn(input)?.wait_until(None)
    }

    /// Starts this in a child process.
    pub fn spawn(self, input: &Input) -> Result<Started, BoxError> {
        let exe = std::env::current_exe()?;
        let spawned = Instant::now();
        let child = Command::new(exe)
            .args(["--child", &self.name()])
            .args(["--child-brokers", &input.brokers])
            .args(["--child-topic", &input.topic])
            .args(["--child-orders", &input.orders.to_string()])
            .args(["--child-events", &input.events.to_string()])
            .args(["--child-pipeline", &input.pipeline_id])
            .args(["--child-hostfile", &input.hostfile])
            .args(["--child-rate", &input.rate.to_string()])
            .args(["--child-epoch-ms", &input.epoch_ms.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        Ok(Started {
            run: self,
            child: Some(child),
            spawned,
        })
    }

    /// The run itself, in this process: items handled and the count to check.
    fn execute(self, input: &Input, clock: &mut Clock) -> Result<(u64, u64), BoxError> {
        let runtime = || tokio::runtime::Runtime::new();
        // As a job started from the command line does, sluice's runs take `SLUICE_KAFKA_*`.
        let kafka_options = sluice::cli::kafka_properties_outside_command_line(None)?;
        let config = |workers: usize| {
            let mut config = sluice::Config::default();
            config.kafka_options = kafka_options.clone();
            config.brokers = input.brokers.clone();
            config.database_url = database::bench_url();
            config.topic = Some(input.topic.clone());
            config.until_end = true;
            config.workers = workers;
            config.pipeline_id = Some(input.pipeline_id.clone());
            config
        };
        let partitions = workload::PARTITIONS;
        let process_of_two = |process: usize| {
            sluice::Cluster::from_hostfile(process, 2, std::path::Path::new(&input.hostfile))
        };
        Ok(match self {
            Run::Ceiling { connections } => (
                ceiling::insert_all(&runtime()?, input.orders, connections)?,
                0,
            ),
            Run::CeilingTopicOrder { connections } => {
                let shares =
                    clock.untimed(|| ceiling::shares_in_topic_order(input.orders, connections));
                (ceiling::insert_shares(&runtime()?, shares)?, 0)
            }
            Run::LoadData { connections } => (
                load_data::load_all(&runtime()?, input.orders, connections, false)?,
                0,
            ),
            Run::TxInsert { connections } => (
                tx_insert::insert_all(&runtime()?, input.orders, connections)?,
                0,
            ),
            Run::TxLoadData { connections } => (
                load_data::load_all(&runtime()?, input.orders, connections, true)?,
                0,
            ),
            Run::SluiceW1 { workers } => (w1::ingest::run(config(workers))?.written, 0),
            Run::HandWritten { connections } => {
                let rt = runtime()?;
                let read = handwritten::ingest(
                    &rt,
                    &input.brokers,
                    &input.topic,
                    partitions,
                    connections,
                )?;
                (read, 0)
            }
            Run::ConsumeDecode => {
                let read =
                    handwritten::consume(&input.brokers, &input.topic, partitions, |order| {
                        black_box(order);
                    })?;
                (read, 0)
            }
            Run::SluiceW2 { workers } => (w2::per_customer::run(config(workers))?.consumed, 0),
            Run::HashMapLoop => (input.events, w3::hash_map_loop(input.events)),
            Run::SluiceW3 { workers } => {
                w3::sluice_in(sluice::InMemory::workers(workers), input.events)?
            }
            Run::InsertSelect => {
                let rt = runtime()?;
                let copied = rt.block_on(async {
                    let sql = "INSERT INTO order_summaries (id, customer_id, amount_cents, day) \
                               SELECT id, customer_id, amount_cents, DATE(ts) FROM orders";
                    sqlx::query(sql)
                        .execute(&mut database::connect().await?)
                        .await
                        .map(|done| done.rows_affected())
                        .map_err(BoxError::from)
                })?;
                (copied, 0)
            }
            Run::SluiceScan { workers } => {
                let mut config = config(workers);
                config.topic = None;
                (table_copy::summarize::run(config)?.written, 0)
            }
            Run::ConsumeProduce => (
                connectors::consume_produce(&input.brokers, &input.topic, partitions)?,
                0,
            ),
            Run::SluiceCopy { workers } => {
                (connectors::copy_orders::run(config(workers))?.written, 0)
            }
            Run::SluiceW1Process { process } => {
                let mut config = config(1);
                config.cluster = Some(process_of_two(process)?);
                (w1::ingest::run(config)?.written, 0)
            }
            Run::SluiceW3Process { process } => {
                let plan = sluice::InMemory::workers(1).cluster(process_of_two(process)?);
                w3::sluice_in(plan, input.events)?
            }
            Run::ConsumeQueue => (rabbitmq::consume_decode(&input.topic, input.orders)?, 0),
            Run::SluiceQueue { workers } => (queue::queue_ingest::run(config(workers))?.written, 0),
            Run::SluiceAvro { workers } => (avro::avro_ingest::run(config(workers))?.written, 0),
            Run::SluiceDebezium { workers } => {
                (debezium::debezium_ingest::run(config(workers))?.written, 0)
            }
            Run::SluiceLatency { workers } => {
                let mut config = config(workers);
                config.until_end = false;
                config.limit = Some(input.orders);
                if input.epoch_ms > 0 {
                    config.epoch = std::time::Duration::from_millis(input.epoch_ms);
                }
                (w1::ingest::run(config)?.written, 0)
            }
            Run::ProduceAt { rate } => (
                latency::produce_at(&input.brokers, &input.topic, input.orders, rate as u64)?,
                0,
            ),
        })
    }
}

/// A run's child process; killed if dropped before it ended.
pub struct Started {
    run: Run,
    child: Option<Child>,
    spawned: Instant,
}

impl Started {
    /// Waits for the child to end (and kills it at `deadline`), then reads what it reported.
    pub fn wait_until(mut self, deadline: Option<Instant>) -> Result<Outcome, BoxError> {
        let name = self.run.name();
        let mut child = self
            .child
            .take()
            .ok_or("the child was already waited for")?;
        if let Some(deadline) = deadline {
            while child.try_wait()?.is_none() {
                if Instant::now() >= deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("{name} did not end in time: killed").into());
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        let output = child.wait_with_output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(format!("{name} failed ({}): {stdout}", output.status).into());
        }
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix(RESULT))
            .ok_or_else(|| format!("{name} reported nothing: {stdout}"))?;
        let field = |key: &str| -> Option<f64> {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
        };
        Ok(Outcome {
            items: field("items").ok_or("no items")? as u64,
            check: field("check").unwrap_or(0.0) as u64,
            seconds: field("seconds").ok_or("no seconds")?,
            peak_rss_mib: field("peak_rss_mib"),
            cpu_seconds: field("cpu"),
            spawned: self.spawned,
        })
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Where the child's time and CPU count from: its start, moved on by what a run excludes.
#[derive(Debug)]
pub struct Clock {
    started: Instant,
    cpu_before: Option<f64>,
}

impl Clock {
    /// Runs `prepare` without counting its time or CPU: work a ceiling does before what it
    /// measures.
    fn untimed<T>(&mut self, prepare: impl FnOnce() -> T) -> T {
        let (at, cpu_at) = (Instant::now(), super::db_cpu::own_seconds());
        let prepared = prepare();
        self.started += at.elapsed();
        if let (Some(before), Some(at), Some(now)) = (
            self.cpu_before.as_mut(),
            cpu_at,
            super::db_cpu::own_seconds(),
        ) {
            *before += now - at;
        }
        prepared
    }
}

/// The child's `main`, when the bench was started with `--child`.
pub fn child_main(args: &[String]) -> Result<(), BoxError> {
    let started = Instant::now();
    // A run's own log only when asked for: it would otherwise interleave with the table.
    if std::env::var_os("RUST_LOG").is_some() {
        sluice::cli::init_tracing();
    }
    let value = |flag: &str| -> Result<String, BoxError> {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .ok_or_else(|| format!("child: {flag} missing").into())
    };
    let run = Run::parse(&value("--child")?).ok_or("child: unknown run")?;
    let input = Input {
        brokers: value("--child-brokers")?,
        topic: value("--child-topic")?,
        orders: value("--child-orders")?.parse()?,
        events: value("--child-events")?.parse()?,
        pipeline_id: value("--child-pipeline")?,
        hostfile: value("--child-hostfile").unwrap_or_default(),
        rate: value("--child-rate").map_or(Ok(0), |v| v.parse())?,
        epoch_ms: value("--child-epoch-ms").map_or(Ok(0), |v| v.parse())?,
    };
    let mut clock = Clock {
        started,
        cpu_before: super::db_cpu::own_seconds(),
    };
    let (items, check) = run.execute(&input, &mut clock)?;
    let seconds = clock.started.elapsed().as_secs_f64();
    let cpu = super::db_cpu::own_seconds()
        .zip(clock.cpu_before)
        .map_or(String::new(), |(after, before)| {
            format!(" cpu={:.3}", after - before)
        });
    let rss = rss::peak_mib().map_or(String::new(), |mib| format!(" peak_rss_mib={mib:.1}"));
    println!("{RESULT} items={items} check={check} seconds={seconds:.6}{rss}{cpu}");
    Ok(())
}
