//! Latency under steady load: W1 orders produced at a fixed rate, each stamped with the time
//! it was handed to the producer (`ts`, epoch ms), read by an unbounded W1 job into an
//! `orders` table with an extra column `written_at DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6)`.
//! A row's latency is `written_at - ts`. MariaDB's `CURRENT_TIMESTAMP(6)` is the start of the
//! `INSERT` statement, so the rest of that statement and the transaction's commit are not in
//! it: the figures are a little below the time until a row is visible.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use sluice_testkit::workload;

use super::args::Args;
use super::child::Run;
use super::database::{self, BoxError};
use super::db_cpu;
use super::orders_topic::OrdersTopic;
use super::table::Measured;

const ORDERS_WITH_WRITTEN_AT_DDL: &str = "CREATE TABLE orders (
  id BIGINT UNSIGNED PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  amount_cents BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  ts DATETIME(3) NOT NULL,
  written_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB";

/// How long the job may take, after the producer is done, to write the last rows.
const DRAIN: Duration = Duration::from_secs(60);

/// One run of the job per rate and epoch length, on `orders` recreated with `written_at`
/// (W1's table is restored afterwards).
pub fn latency(
    runtime: &tokio::runtime::Runtime,
    args: &Args,
    topic: &OrdersTopic,
) -> Result<Vec<Measured>, BoxError> {
    runtime.block_on(database::prepare(&[("orders", ORDERS_WITH_WRITTEN_AT_DDL)]))?;
    let measured = all_runs(runtime, args, topic);
    runtime.block_on(database::prepare(&[("orders", workload::ORDERS_DDL)]))?;
    measured
}

fn all_runs(
    runtime: &tokio::runtime::Runtime,
    args: &Args,
    topic: &OrdersTopic,
) -> Result<Vec<Measured>, BoxError> {
    let mut results = Vec::new();
    for &rate in &args.latency_rates {
        let mut first_epoch: Option<Figures> = None;
        for &epoch_ms in &args.latency_epochs_ms {
            let (mut measured, figures) = one_run(runtime, args, topic, rate, epoch_ms)?;
            if let Some(reference) = &first_epoch {
                let epoch = epoch_name(args.latency_epochs_ms[0]);
                measured.ratios.push((
                    format!("p50 of epoch {epoch}"),
                    figures.p50 / reference.p50.max(f64::EPSILON),
                ));
                measured.ratios.push((
                    format!("p99 of epoch {epoch}"),
                    figures.p99 / reference.p99.max(f64::EPSILON),
                ));
            } else {
                first_epoch = Some(figures);
            }
            results.push(measured);
        }
    }
    Ok(results)
}

/// Latency percentiles of one run, in milliseconds.
struct Figures {
    p50: f64,
    p99: f64,
    max: f64,
}

fn one_run(
    runtime: &tokio::runtime::Runtime,
    args: &Args,
    topic: &OrdersTopic,
    rate: u64,
    epoch_ms: u64,
) -> Result<(Measured, Figures), BoxError> {
    let warm_up = rate * args.latency_warm_up_s;
    let orders = warm_up + rate * args.latency_duration_s;
    let mut input = super::workloads::input(args, Some(topic));
    input.topic = format!("{}_latency_{}", topic.topic, input.pipeline_id);
    input.orders = orders;
    input.rate = rate;
    input.epoch_ms = epoch_ms;
    topic
        .create_topic(&input.topic)
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        database::truncate(&mut database::connect().await?, "orders").await?;
        database::settle().await
    })?;
    let what = format!(
        "sluice W1 at {rate} orders/s, epoch {}, {} workers",
        epoch_name(epoch_ms),
        args.workers
    );
    eprintln!("latency: {what} ...");
    let db_before = db_cpu::seconds();
    let job = Run::SluiceLatency {
        workers: args.workers,
    }
    .spawn(&input)?;
    let producer = Run::ProduceAt {
        rate: rate as usize,
    }
    .in_child(&input)?;
    let job = job.wait_until(Some(Instant::now() + DRAIN))?;
    let db_cpu_seconds = db_cpu::seconds()
        .zip(db_before)
        .map(|(after, before)| after - before);
    if producer.items != orders || job.items != orders {
        return Err(format!(
            "{what}: produced {} and written {} of {orders} orders",
            producer.items, job.items
        )
        .into());
    }
    let (latencies, span_ms) = runtime.block_on(read_latencies(orders, warm_up))?;
    if latencies.is_empty() {
        return Err(format!("{what}: no order after the warm-up (--duration 0?)").into());
    }
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize] as f64 / 1e3;
    let figures = Figures {
        p50: at(0.5),
        p99: at(0.99),
        max: at(1.0),
    };
    let achieved = orders.saturating_sub(1) as f64 * 1000.0 / span_ms.max(1) as f64;
    let mut measured = Measured {
        workload: "latency",
        what,
        items: orders,
        unit: "orders",
        elapsed: Duration::from_millis(span_ms.max(1)),
        peak_rss_mib: job.peak_rss_mib,
        db_cpu_seconds,
        own_cpu_seconds: job.cpu_seconds,
        ratios: vec![("target rate".into(), achieved / rate as f64)],
        spread: None,
        first_row: None,
        notes: Vec::new(),
    };
    measured.notes.push(format!(
        "latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} orders after {} s of warm-up",
        figures.p50,
        figures.p99,
        figures.max,
        latencies.len(),
        args.latency_warm_up_s
    ));
    measured.notes.push(format!(
        "producer CPU {}",
        producer
            .cpu_seconds
            .map_or_else(|| "?".to_owned(), |s| format!("{s:.2} s"))
    ));
    if achieved < 0.98 * rate as f64 {
        measured
            .notes
            .push("the producer did not keep the rate".into());
    }
    eprintln!("latency: {} -> {}", measured.what, measured.notes[0]);
    Ok((measured, figures))
}

/// The length, marked `default` for sluice's default epoch (0).
fn epoch_name(epoch_ms: u64) -> String {
    if epoch_ms == 0 {
        let default = sluice::Config::default().epoch;
        format!("{} ms (default)", default.as_millis())
    } else {
        format!("{epoch_ms} ms")
    }
}

/// Checks that `orders` holds ids `0..orders`, each once, and returns the latencies of the
/// orders after the warm-up in microseconds, sorted, and the span of their production in ms.
async fn read_latencies(orders: u64, warm_up: u64) -> Result<(Vec<i64>, u64), BoxError> {
    let mut db = database::connect().await?;
    let (count, lowest, highest, span_ms): (i64, Option<u64>, Option<u64>, Option<i64>) =
        sqlx::query_as(
            "SELECT COUNT(*), MIN(id), MAX(id), TIMESTAMPDIFF(MICROSECOND, MIN(ts), MAX(ts)) \
             DIV 1000 FROM orders",
        )
        .fetch_one(&mut db)
        .await?;
    // `id` is the primary key: `orders` rows between 0 and `orders - 1` are each id once.
    if count != orders as i64 || lowest != Some(0) || highest != Some(orders - 1) {
        return Err(format!(
            "latency: orders holds {count} rows, ids {lowest:?}..={highest:?}, not 0..{orders}"
        )
        .into());
    }
    let mut latencies: Vec<i64> = sqlx::query_scalar(
        "SELECT TIMESTAMPDIFF(MICROSECOND, ts, written_at) FROM orders WHERE id >= ?",
    )
    .bind(warm_up)
    .fetch_all(&mut db)
    .await?;
    latencies.sort_unstable();
    // `ts` is truncated to the millisecond, so a latency is never below 0 on one clock.
    if latencies.first().is_none_or(|&lowest| lowest < 0) {
        return Err(format!(
            "latency: the lowest is {:?} µs: the job's session time zone is not UTC?",
            latencies.first()
        )
        .into());
    }
    Ok((latencies, u64::try_from(span_ms.unwrap_or(0)).unwrap_or(0)))
}

/// In the producer's child process: orders `0..orders` in W1's shape, `rate` a second, each
/// with `ts` = the time it is handed to the producer. librdkafka's default `linger.ms` (5 ms)
/// is kept, as a producing application would have it.
pub fn produce_at(brokers: &str, topic: &str, orders: u64, rate: u64) -> Result<u64, BoxError> {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "5")
        .set("queue.buffering.max.messages", "1000000")
        .create()?;
    let started = Instant::now();
    let mut sent = 0;
    while sent < orders {
        let due = ((started.elapsed().as_secs_f64() * rate as f64) as u64 + 1).min(orders);
        while sent < due {
            let ts = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
            let order = workload::W1Order::nth(sent);
            let key = order.key();
            let json = format!(
                r#"{{"id": {}, "customer_id": {}, "amount_cents": {}, "currency": "EUR", "ts": {ts}}}"#,
                order.id, order.customer_id, order.amount_cents
            );
            let mut record = BaseRecord::to(topic).key(&key).payload(&json);
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        record = back;
                        producer.poll(Duration::from_millis(1));
                    }
                    Err((error, _)) => return Err(error.into()),
                }
            }
            sent += 1;
        }
        producer.poll(Duration::ZERO);
        std::thread::sleep(Duration::from_micros(500));
    }
    producer.flush(Duration::from_secs(60))?;
    Ok(sent)
}
