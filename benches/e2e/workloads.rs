//! Each workload's runs, in the order they are measured, with the checks that make their
//! figures mean something.

use std::sync::atomic::{AtomicU64, Ordering};

use sluice_testkit::workload::{self, W1Checksum};

use super::args::Args;
use super::child::{Input, Run};
use super::database::{self, BoxError};
use super::orders_topic::{self, OrdersTopic};
use super::table::{Measured, measure, measure_first_row, measure_together};
use super::w2_wide;

/// A fresh `orders` topic with `args.orders` orders, and the bench database's tables.
pub fn orders_topic(
    runtime: &tokio::runtime::Runtime,
    args: &Args,
) -> Result<OrdersTopic, BoxError> {
    runtime.block_on(database::prepare(&[
        ("orders", workload::ORDERS_DDL),
        ("customer_minute", workload::CUSTOMER_MINUTE_DDL),
        ("bench_offsets", super::positions::POSITIONS_DDL),
    ]))?;
    let topic_args = orders_topic::Args {
        orders: args.orders,
        brokers: args.brokers.clone(),
        workers: Some(args.workers),
    };
    OrdersTopic::produce(&topic_args, "bench").map_err(|e| e.to_string().into())
}

/// What a run reads, under a pipeline name no earlier run stored offsets for.
pub fn input(args: &Args, topic: Option<&OrdersTopic>) -> Input {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    Input {
        brokers: topic.map_or_else(String::new, |t| t.brokers.clone()),
        topic: topic.map_or_else(String::new, |t| t.topic.clone()),
        orders: args.orders,
        events: args.events,
        pipeline_id: format!("bench_{}_{n}", std::process::id()),
        hostfile: String::new(),
        rate: 0,
        epoch_ms: 0,
    }
}

/// A host file for two processes on loopback, at ports free when it is written.
fn hostfile_for_two() -> Result<String, BoxError> {
    let listeners = [
        std::net::TcpListener::bind("127.0.0.1:0")?,
        std::net::TcpListener::bind("127.0.0.1:0")?,
    ];
    let mut lines = String::new();
    for listener in &listeners {
        lines.push_str(&format!("127.0.0.1:{}\n", listener.local_addr()?.port()));
    }
    let path = std::env::temp_dir().join(format!("sluice-bench-{}.hosts", std::process::id()));
    std::fs::write(&path, lines)?;
    Ok(path.to_string_lossy().into_owned())
}

/// W1 and W3 as one process of two workers and as two processes of one worker each (timely's
/// cluster mode on loopback), in `args.repeat` rounds.
pub fn cluster(
    runtime: &tokio::runtime::Runtime,
    args: &Args,
    topic: &OrdersTopic,
) -> Result<Vec<Measured>, BoxError> {
    let mut rounds = Vec::new();
    for _ in 0..args.repeat {
        let one = w1_run(
            runtime,
            args,
            topic,
            "sluice, 1 process x 2 workers".into(),
            Run::SluiceW1 { workers: 2 },
        )?;
        empty(runtime, "orders")?;
        let mut pair = input(args, Some(topic));
        pair.hostfile = hostfile_for_two()?;
        let (two, _) = measure_together(
            "W1",
            "sluice, 2 processes x 1 worker",
            "rows",
            &[
                Run::SluiceW1Process { process: 0 },
                Run::SluiceW1Process { process: 1 },
            ],
            &pair,
        )?;
        check_w1(runtime, args, &two)?;
        let _ = runtime.block_on(database::settle());
        let (one_w3, single) = measure(
            "W3",
            "sluice, 1 process x 2 workers",
            "events",
            Run::SluiceW3 { workers: 2 },
            &input(args, None),
        )?;
        let mut pair = input(args, None);
        pair.hostfile = hostfile_for_two()?;
        let (two_w3, parts) = measure_together(
            "W3",
            "sluice, 2 processes x 1 worker",
            "events",
            &[
                Run::SluiceW3Process { process: 0 },
                Run::SluiceW3Process { process: 1 },
            ],
            &pair,
        )?;
        let windows: u64 = parts.iter().map(|p| p.check).sum();
        if two_w3.items != args.events || windows != single.check {
            return Err(format!(
                "W3 on two processes: {} events and {windows} windows, one process {} and {}",
                two_w3.items, one_w3.items, single.check
            )
            .into());
        }
        rounds.push(vec![one, two, one_w3, two_w3]);
    }
    let mut runs = median_of(rounds);
    if let [one, two, one_w3, two_w3] = &mut runs[..] {
        two.against("1 process x 2 workers", one);
        two_w3.against("1 process x 2 workers", one_w3);
    }
    Ok(runs)
}

/// Empties `table` and waits for the database to be quiet.
fn empty(runtime: &tokio::runtime::Runtime, table: &str) -> Result<(), BoxError> {
    runtime.block_on(async {
        database::truncate(&mut database::connect().await?, table).await?;
        database::settle().await
    })
}

/// Empties `orders`, runs `run` (timing its first row), and checks that `orders` then holds
/// exactly the W1 rows.
fn w1_run(
    runtime: &tokio::runtime::Runtime,
    args: &Args,
    topic: &OrdersTopic,
    what: String,
    run: Run,
) -> Result<Measured, BoxError> {
    empty(runtime, "orders")?;
    let on_topic = input(args, Some(topic));
    let (measured, _) = measure_first_row("W1", what, "rows", run, &on_topic, "orders")?;
    check_w1(runtime, args, &measured)?;
    Ok(measured)
}

/// Checks that `orders` holds exactly the W1 rows after `measured`.
fn check_w1(
    runtime: &tokio::runtime::Runtime,
    args: &Args,
    measured: &Measured,
) -> Result<(), BoxError> {
    check_orders(runtime, args.orders, measured)
}

/// Checks that `orders` holds exactly the first `orders` W1 rows after `measured`.
fn check_orders(
    runtime: &tokio::runtime::Runtime,
    orders: u64,
    measured: &Measured,
) -> Result<(), BoxError> {
    let found = runtime.block_on(async {
        W1Checksum::query(&mut database::connect().await?)
            .await
            .map_err(BoxError::from)
    })?;
    let expected = W1Checksum::expected(orders);
    if found != expected {
        return Err(format!("{}: expected {expected:?}, found {found:?}", measured.what).into());
    }
    Ok(())
}

/// W1 in `args.repeat` rounds: the ceilings and the transactional writes without Kafka,
/// sluice, hand-written on 1 and N connections. The `LOAD DATA` rows only where the server
/// allows `LOCAL INFILE`.
pub fn w1(
    runtime: &tokio::runtime::Runtime,
    args: &Args,
    topic: &OrdersTopic,
) -> Result<Vec<Measured>, BoxError> {
    let n = args.workers;
    let mut connections = vec![1, n];
    connections.dedup();
    let local_infile = local_infile_allowed(runtime)?;
    if !local_infile {
        eprintln!("W1: the server has local_infile OFF: no LOAD DATA rows");
    }
    let mut rounds = Vec::new();
    for _ in 0..args.repeat {
        let mut runs = vec![
            (
                format!("MySQL ceiling: multi-row INSERT, {n} conn."),
                Run::Ceiling { connections: n },
            ),
            (
                format!("MySQL ceiling: multi-row INSERT, rows in the topic's order, {n} conn."),
                Run::CeilingTopicOrder { connections: n },
            ),
        ];
        if local_infile {
            runs.push((
                format!("MySQL ceiling: LOAD DATA LOCAL INFILE, {n} conn."),
                Run::LoadData { connections: n },
            ));
        }
        runs.push((
            format!("transactional multi-row INSERT + position upsert, {n} conn."),
            Run::TxInsert { connections: n },
        ));
        if local_infile {
            runs.push((
                format!("transactional LOAD DATA + position upsert, {n} conn."),
                Run::TxLoadData { connections: n },
            ));
        }
        runs.push((format!("sluice, {n} workers"), Run::SluiceW1 { workers: n }));
        for &c in &connections {
            runs.push((
                format!("hand-written rdkafka + sqlx, {c} conn."),
                Run::HandWritten { connections: c },
            ));
        }
        let mut round = Vec::new();
        for (what, run) in runs {
            if matches!(run, Run::TxInsert { .. } | Run::TxLoadData { .. }) {
                empty(runtime, "bench_offsets")?;
            }
            round.push((run, w1_run(runtime, args, topic, what, run)?));
        }
        rounds.push(round);
    }
    let kinds: Vec<Run> = rounds
        .first()
        .map(|round| round.iter().map(|(run, _)| *run).collect())
        .unwrap_or_default();
    let mut runs = median_of(
        rounds
            .into_iter()
            .map(|round| round.into_iter().map(|(_, m)| m).collect())
            .collect(),
    );
    let rate_of = |wanted: fn(&Run) -> bool| {
        let index = kinds.iter().position(wanted)?;
        runs.get(index).map(Measured::rate)
    };
    let ceiling = rate_of(|r| matches!(r, Run::Ceiling { .. }));
    let topic_order = rate_of(|r| matches!(r, Run::CeilingTopicOrder { .. }));
    let tx_insert = rate_of(|r| matches!(r, Run::TxInsert { .. }));
    let best_hand = kinds
        .iter()
        .zip(&runs)
        .filter(|(run, _)| matches!(run, Run::HandWritten { .. }))
        .map(|(_, m)| m.rate())
        .reduce(f64::max);
    for (run, measured) in kinds.iter().zip(runs.iter_mut()) {
        let mut against = |name: &str, reference: Option<f64>| {
            if let Some(rate) = reference {
                let ratio = measured.rate() / rate.max(f64::EPSILON);
                measured.ratios.push((name.to_owned(), ratio));
            }
        };
        match run {
            Run::LoadData { .. } | Run::TxInsert { .. } | Run::CeilingTopicOrder { .. } => {
                against("INSERT ceiling", ceiling)
            }
            Run::HandWritten { .. } => {
                against("INSERT ceiling", ceiling);
                against("INSERT ceiling in topic order", topic_order);
            }
            Run::TxLoadData { .. } => {
                against("INSERT ceiling", ceiling);
                against("transactional INSERT", tx_insert);
            }
            Run::SluiceW1 { .. } => {
                against("INSERT ceiling", ceiling);
                against("INSERT ceiling in topic order", topic_order);
                against("transactional INSERT", tx_insert);
                against("best hand-written", best_hand);
            }
            _ => {}
        }
    }
    Ok(runs)
}

/// Whether the server accepts `LOAD DATA LOCAL INFILE` (`local_infile`).
fn local_infile_allowed(runtime: &tokio::runtime::Runtime) -> Result<bool, BoxError> {
    runtime.block_on(async {
        let (_, value): (String, String) =
            sqlx::query_as("SHOW GLOBAL VARIABLES LIKE 'local_infile'")
                .fetch_one(&mut database::connect().await?)
                .await?;
        Ok(value.eq_ignore_ascii_case("ON") || value == "1")
    })
}

/// W2 in `args.repeat` rounds: consume + decode, then sluice, then sluice over a topic of
/// the same orders with 10,000 customers instead of 1,000.
pub fn w2(
    runtime: &tokio::runtime::Runtime,
    args: &Args,
    topic: &OrdersTopic,
) -> Result<Vec<Measured>, BoxError> {
    let wide_topic = format!("{}_customers_{}", topic.topic, w2_wide::CUSTOMERS);
    topic.create_topic(&wide_topic).map_err(|e| e.to_string())?;
    eprintln!(
        "W2: producing {} orders of {} customers ...",
        args.orders,
        w2_wide::CUSTOMERS
    );
    w2_wide::produce(&topic.brokers, &wide_topic, args.orders)?;
    let mut rounds = Vec::new();
    for _ in 0..args.repeat {
        let (reference, _) = measure(
            "W2",
            "consume + decode (rdkafka, serde_json), 1 thread",
            "events",
            Run::ConsumeDecode,
            &input(args, Some(topic)),
        )?;
        let sluice = w2_run(
            runtime,
            args,
            format!("sluice, {} workers", args.workers),
            input(args, Some(topic)),
            1_000,
        )?;
        let mut on_wide = input(args, Some(topic));
        on_wide.topic = wide_topic.clone();
        let wide = w2_run(
            runtime,
            args,
            format!(
                "sluice, {} customers, {} workers",
                w2_wide::CUSTOMERS,
                args.workers
            ),
            on_wide,
            w2_wide::CUSTOMERS,
        )?;
        rounds.push(vec![reference, sluice, wide]);
    }
    let mut runs = median_of(rounds);
    if let [reference, sluice, wide] = &mut runs[..] {
        sluice.against("consume + decode", reference);
        wide.against("consume + decode", reference);
        wide.against("sluice, 1,000 customers", sluice);
        if let (Some(wide_mib), Some(mib)) = (wide.peak_rss_mib, sluice.peak_rss_mib) {
            wide.notes.push(format!(
                "peak RSS {:.2}× 1,000 customers' (target < 200 MB)",
                wide_mib / mib.max(f64::EPSILON)
            ));
        }
    }
    Ok(runs)
}

/// Empties `customer_minute`, runs W2 on `on_topic`, and checks that `customer_minute` then
/// counts every order, over `customers` customers (fewer when there are fewer orders).
fn w2_run(
    runtime: &tokio::runtime::Runtime,
    args: &Args,
    what: String,
    on_topic: Input,
    customers: u64,
) -> Result<Measured, BoxError> {
    empty(runtime, "customer_minute")?;
    let (sluice, _) = measure(
        "W2",
        what,
        "events",
        Run::SluiceW2 {
            workers: args.workers,
        },
        &on_topic,
    )?;
    let (counted, keys): (Option<sqlx::types::Decimal>, i64) = runtime.block_on(async {
        sqlx::query_as("SELECT SUM(orders), COUNT(DISTINCT customer_id) FROM customer_minute")
            .fetch_one(&mut database::connect().await?)
            .await
            .map_err(BoxError::from)
    })?;
    let expected_keys = customers.min(args.orders) as i64;
    if counted != Some(args.orders.into()) || keys != expected_keys {
        return Err(format!(
            "{}: customer_minute counts {counted:?} orders of {keys} customers, not {} of \
             {expected_keys}",
            sluice.what, args.orders
        )
        .into());
    }
    Ok(sluice)
}

/// W3 in `args.repeat` rounds: the HashMap loop, then sluice on 1 and 2 workers.
pub fn w3(runtime: &tokio::runtime::Runtime, args: &Args) -> Result<Vec<Measured>, BoxError> {
    let mut rounds = Vec::new();
    for _ in 0..args.repeat {
        // Two workers on two cores slow down as a whole when MySQL flushes what W1 and W2
        // wrote meanwhile: let it finish first, when there is a database at all.
        let _ = runtime.block_on(database::settle());
        let (reference, windows) = measure(
            "W3",
            "single-threaded HashMap loop",
            "events",
            Run::HashMapLoop,
            &input(args, None),
        )?;
        let mut round = vec![reference];
        for workers in [1, 2] {
            let (run, emitted) = measure(
                "W3",
                format!("sluice, {workers} worker(s)"),
                "events",
                Run::SluiceW3 { workers },
                &input(args, None),
            )?;
            if emitted.check != windows.check {
                return Err(format!(
                    "W3: sluice emitted {} windows, the loop {}",
                    emitted.check, windows.check
                )
                .into());
            }
            round.push(run);
        }
        rounds.push(round);
    }
    let mut runs = median_of(rounds);
    let (reference, sluice) = runs.split_at_mut(1);
    let (one, two) = sluice.split_at_mut(1);
    one[0].against("HashMap loop", &reference[0]);
    two[0].against("HashMap loop", &reference[0]);
    two[0].against("1 worker", &one[0]);
    Ok(runs)
}

/// `scan` in `args.repeat` rounds: `orders` holds `args.orders` rows (made by MySQL), copied
/// into `order_summaries` by `INSERT ... SELECT`, then by a table-source pipeline.
pub fn scan(runtime: &tokio::runtime::Runtime, args: &Args) -> Result<Vec<Measured>, BoxError> {
    runtime.block_on(database::prepare(&[
        ("orders", workload::ORDERS_DDL),
        ("order_summaries", super::connectors::ORDER_SUMMARIES_DDL),
    ]))?;
    empty(runtime, "orders")?;
    runtime.block_on(async {
        let sql = format!(
            "INSERT INTO orders (id, customer_id, amount_cents, currency, ts) \
             SELECT seq, (seq * 7919) % 1000, (seq * 31) % 100000, 'EUR', \
                    TIMESTAMPADD(MICROSECOND, seq * 1000, '2026-01-01 00:00:00') \
             FROM seq_1_to_{}",
            args.orders
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut database::connect().await?)
            .await
            .map_err(BoxError::from)
    })?;
    let mut rounds = Vec::new();
    for _ in 0..args.repeat {
        let mut round = Vec::new();
        for (what, run) in [
            ("MySQL INSERT ... SELECT".to_owned(), Run::InsertSelect),
            (
                format!("sluice MySqlTable, {} workers", args.workers),
                Run::SluiceScan {
                    workers: args.workers,
                },
            ),
        ] {
            empty(runtime, "order_summaries")?;
            let (measured, _) = measure("scan", what, "rows", run, &input(args, None))?;
            let copied: i64 = runtime.block_on(async {
                sqlx::query_scalar("SELECT COUNT(*) FROM order_summaries")
                    .fetch_one(&mut database::connect().await?)
                    .await
                    .map_err(BoxError::from)
            })?;
            if copied != args.orders as i64 {
                return Err(format!("{}: {copied} rows copied", measured.what).into());
            }
            round.push(measured);
        }
        rounds.push(round);
    }
    let mut runs = median_of(rounds);
    let (reference, sluice) = runs.split_at_mut(1);
    sluice[0].against("INSERT ... SELECT", &reference[0]);
    Ok(runs)
}

/// `k2k` in `args.repeat` rounds: the hand-written consume-produce copy, then the Kafka-only
/// pipeline (transactions with the positions), each reading the whole W1 topic.
pub fn kafka_to_kafka(args: &Args, topic: &OrdersTopic) -> Result<Vec<Measured>, BoxError> {
    sluice_testkit::broker::create_topic(
        &topic.brokers,
        super::connectors::COPY_TOPIC,
        workload::PARTITIONS,
    )
    .map_err(|e| e.to_string())?;
    let mut rounds = Vec::new();
    for _ in 0..args.repeat {
        let (reference, _) = measure(
            "k2k",
            "hand-written consume + produce, 1 thread",
            "msgs",
            Run::ConsumeProduce,
            &input(args, Some(topic)),
        )?;
        let (sluice, _) = measure(
            "k2k",
            format!(
                "sluice Kafka -> Kafka (transactions), {} workers",
                args.workers
            ),
            "msgs",
            Run::SluiceCopy {
                workers: args.workers,
            },
            &input(args, Some(topic)),
        )?;
        for run in [&reference, &sluice] {
            if run.items != args.orders {
                return Err(format!("{}: {} messages copied", run.what, run.items).into());
            }
        }
        rounds.push(vec![reference, sluice]);
    }
    let mut runs = median_of(rounds);
    let (reference, sluice) = runs.split_at_mut(1);
    sluice[0].against("hand-written", &reference[0]);
    Ok(runs)
}

/// `rabbitmq` in `args.repeat` rounds: W1's first `args.queue_orders` orders published to a
/// queue and taken by a lapin consume + decode loop, then published again and written into
/// `orders` by sluice (acknowledged after each commit).
pub fn rabbitmq(runtime: &tokio::runtime::Runtime, args: &Args) -> Result<Vec<Measured>, BoxError> {
    use sluice_testkit::rabbitmq::{QueueKind, Rabbit};
    runtime.block_on(database::prepare(&[("orders", workload::ORDERS_DDL)]))?;
    let queue = "sluice_bench_orders";
    let orders = args.queue_orders;
    let rabbit = Rabbit::connect().map_err(|e| e.to_string())?;
    let fill = || -> Result<(), BoxError> {
        eprintln!("rabbitmq: publishing {orders} orders ...");
        rabbit
            .fresh_queue(queue, QueueKind::Classic)
            .and_then(|()| rabbit.publish_w1(queue, 0..orders))
            .map_err(|e| e.to_string().into())
    };
    let mut rounds = Vec::new();
    for _ in 0..args.repeat {
        let mut on_queue = input(args, None);
        on_queue.topic = queue.to_owned();
        on_queue.orders = orders;
        fill()?;
        let (reference, _) = measure(
            "rabbitmq",
            "lapin consume + decode + ack, 1 thread",
            "msgs",
            Run::ConsumeQueue,
            &on_queue,
        )?;
        if reference.items != orders {
            return Err(format!("{}: {} messages read", reference.what, reference.items).into());
        }
        fill()?;
        empty(runtime, "orders")?;
        let (sluice, _) = measure(
            "rabbitmq",
            format!("sluice RabbitMQ -> MySQL, {} workers", args.workers),
            "rows",
            Run::SluiceQueue {
                workers: args.workers,
            },
            &on_queue,
        )?;
        check_orders(runtime, orders, &sluice)?;
        rounds.push(vec![reference, sluice]);
    }
    rabbit.delete_queue(queue).map_err(|e| e.to_string())?;
    let mut runs = median_of(rounds);
    let (reference, sluice) = runs.split_at_mut(1);
    sluice[0].against("lapin loop", &reference[0]);
    Ok(runs)
}

/// W1's orders as Avro records against W1's JSON pipeline over the same orders.
pub fn avro(
    runtime: &tokio::runtime::Runtime,
    args: &Args,
    topic: &OrdersTopic,
) -> Result<Vec<Measured>, BoxError> {
    let run = Run::SluiceAvro {
        workers: args.workers,
    };
    let produce = super::avro::produce;
    let topic_of = ("avro", "Avro", sluice_testkit::workload::PARTITIONS);
    against_json(runtime, args, topic, topic_of, produce, run)
}

/// W1's orders as Debezium snapshot events against W1's JSON pipeline over the same orders.
pub fn debezium(
    runtime: &tokio::runtime::Runtime,
    args: &Args,
    topic: &OrdersTopic,
) -> Result<Vec<Measured>, BoxError> {
    let run = Run::SluiceDebezium {
        workers: args.workers,
    };
    let produce = super::debezium::produce;
    // The embedded broker keeps 5 MB of a partition: 150,000 events of some 440 bytes need 16.
    let topic_of = ("debezium", "Debezium", 16);
    against_json(runtime, args, topic, topic_of, produce, run)
}

/// The orders in another format, on a topic of their own (`produce`), written by `run`, each
/// round next to W1's JSON pipeline.
fn against_json(
    runtime: &tokio::runtime::Runtime,
    args: &Args,
    topic: &OrdersTopic,
    (workload, format, partitions): (&'static str, &str, i32),
    produce: fn(&str, &str, u64) -> Result<(), BoxError>,
    run: Run,
) -> Result<Vec<Measured>, BoxError> {
    let format_topic = format!("{}_{workload}", topic.topic);
    topic
        .create_topic_of(&format_topic, partitions)
        .map_err(|e| e.to_string())?;
    eprintln!("{workload}: producing {} orders ...", args.orders);
    produce(&topic.brokers, &format_topic, args.orders)?;
    let mut rounds = Vec::new();
    for _ in 0..args.repeat {
        let json = w1_run(
            runtime,
            args,
            topic,
            format!("sluice JSON, {} workers", args.workers),
            Run::SluiceW1 {
                workers: args.workers,
            },
        )?;
        empty(runtime, "orders")?;
        let mut on_format = input(args, Some(topic));
        on_format.topic = format_topic.clone();
        let (other, _) = measure(
            workload,
            format!("sluice {format}, {} workers", args.workers),
            "rows",
            run,
            &on_format,
        )?;
        check_w1(runtime, args, &other)?;
        rounds.push(vec![json, other]);
    }
    let mut runs = median_of(rounds);
    let (json, other) = runs.split_at_mut(1);
    other[0].against("sluice JSON", &json[0]);
    Ok(runs)
}

/// Each run's median-rate round, with the spread of all rounds.
fn median_of(rounds: Vec<Vec<Measured>>) -> Vec<Measured> {
    let runs = rounds.first().map_or(0, Vec::len);
    let mut by_run: Vec<Vec<Measured>> = (0..runs).map(|_| Vec::new()).collect();
    for round in rounds {
        for (i, measured) in round.into_iter().enumerate() {
            by_run[i].push(measured);
        }
    }
    by_run.into_iter().filter_map(Measured::median).collect()
}
/// The machine and services the figures come from.
pub fn print_machine(runtime: &tokio::runtime::Runtime, args: &Args, broker: Option<&str>) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "?".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let mysql: String = runtime
        .block_on(async {
            sqlx::query_scalar::<_, String>("SELECT VERSION()")
                .fetch_one(&mut database::connect().await?)
                .await
                .map_err(BoxError::from)
        })
        .unwrap_or_else(|_| "?".into());
    let broker = match (&args.brokers, broker) {
        (Some(b), _) => format!("broker at {b}"),
        (None, Some(_)) => "embedded librdkafka mock broker".into(),
        (None, None) => "no broker".into(),
    };
    println!();
    println!(
        "{cores} cores ({cpu}); MySQL {mysql}; {broker}; W1/W2 {} orders, W3 {} events; {} workers",
        args.orders, args.events, args.workers
    );
}
