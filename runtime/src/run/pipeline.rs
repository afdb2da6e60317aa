//! Wiring of one run: the tokio runtime for MySQL, start-up checks, timely workers.

use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::str::FromStr;

use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::{ConnectOptions, Executor};
use sqlx::{MySql, Pool};
use timely::dataflow::ProbeHandle;
use timely::dataflow::operators::Probe;

use crate::contract::message::Message;
use crate::contract::row::Row;
use crate::dataflow::lineage::Lineage;
use crate::dataflow::stream::Stream;
use crate::dataflow::worker::{BacklogLimit, Restored, WorkerShared, join_workers};
use crate::delivery::pipelines::{self, CREATE_PIPELINES_TABLE, default_pipeline_id};
use crate::delivery::{
    CREATE_OFFSETS_TABLE, CREATE_WATERMARK_OFFSETS_TABLE, CREATE_WATERMARKS_TABLE, Epoch,
    EpochClock, load_offsets, load_read_until, load_watermark, prepare_dead_letters_table,
};
use crate::error::{Error, Result};
use crate::run::config::{Config, StartFrom};
use crate::run::control::RunControl;
use crate::run::dead_letter_watch::DeadLetterWatch;
use crate::run::report::RunReport;
use crate::run::signals::StopOnSignals;
use crate::sink::mysql::{SinkPlan, commit_rest, mysql_sink};
use crate::source::kafka::{KafkaSourcePlan, discover_partitions, kafka_source, start_offsets};
use crate::table::{apply_migrations, check_table};

/// How long start-up waits for MySQL before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an idle worker sleeps before looking at the stop and failure flags again.
const PARK: Duration = Duration::from_millis(20);

/// Runs the pipeline `name`, whose body is `build`, reading `M` from Kafka and writing `R` to
/// MySQL, until it is stopped or (with `until_end`/`limit`) its input is exhausted.
pub fn run_pipeline<M, R, F>(name: &'static str, config: Config, build: F) -> Result<RunReport>
where
    M: Message,
    R: Row,
    F: for<'scope> Fn(Stream<'scope, M>) -> Stream<'scope, R> + Send + Sync + 'static,
{
    let started = Instant::now();
    config.validate()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.workers.clamp(1, 4))
        .thread_name("sluice-io")
        .enable_all()
        .build()
        .map_err(|e| Error::Worker(format!("cannot start the tokio runtime: {e}")))?;

    let pipeline: Arc<str> = match &config.pipeline_id {
        Some(id) => Arc::from(id.as_str()),
        None => Arc::from(default_pipeline_id(name, R::TABLE)),
    };
    let topic: Arc<str> = Arc::from(config.topic.as_deref().unwrap_or(M::TOPIC));
    let pool = runtime.block_on(prepare_database(&config))?;
    runtime.block_on(pipelines::claim(&pool, &pipeline, &topic, R::TABLE))?;
    runtime.block_on(check_sink_table::<R>(&pool, config.migrate))?;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "database ready");
    let partitions = discover_partitions(&config.brokers, &topic, &config.kafka_options)?;
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "partitions found"
    );
    let stored = runtime.block_on(load_offsets(&pool, &pipeline, &topic))?;
    // Windows resume from the watermark stored with the offsets they resume from; starting
    // elsewhere rebuilds every window from what is read. Without stored offsets there is no
    // telling where an earlier run started reading, so the windows are rebuilt too (exact
    // for keyed rows, which is what windows write).
    let restored = match config.from {
        StartFrom::Committed if !stored.is_empty() => Restored {
            watermark: runtime
                .block_on(load_watermark(&pool, &pipeline))?
                .unwrap_or(i64::MIN),
            read_until: runtime.block_on(load_read_until(&pool, &pipeline, &topic))?,
        },
        _ => Restored::default(),
    };
    tracing::info!(
        pipeline = %pipeline,
        topic = %topic,
        partitions = partitions.len(),
        workers = config.workers,
        startup_ms = started.elapsed().as_millis() as u64,
        "starting"
    );

    let source_plan = Arc::new(KafkaSourcePlan {
        brokers: config.brokers.clone(),
        topic,
        group: pipeline.to_string(),
        starts: start_offsets(&partitions, config.from, &stored),
        until_end: config.until_end,
        options: config.kafka_options.clone(),
        clock: EpochClock::new(config.epoch),
        backlog_limit: BacklogLimit {
            epochs: config.max_epochs_in_flight,
            rows: config.max_rows_in_flight,
        },
        max_delay: millis_or(config.max_delay, M::MAX_DELAY_MILLIS),
        idle_timeout: config.idle_timeout,
        on_out_of_range: config.on_offset_out_of_range,
        max_future: millis_or(config.max_future, M::MAX_FUTURE_MILLIS),
    });
    let sink_plan = Arc::new(SinkPlan {
        pool,
        pipeline,
        topic: Arc::clone(&source_plan.topic),
        runtime: runtime.handle().clone(),
        rows_per_statement: config.rows_per_statement,
        packet: Default::default(),
        writers: std::sync::Mutex::new(Vec::new()),
    });
    let dead_letters = DeadLetterWatch::new(config.max_dead_letter_ratio, config.dead_letter_grace);
    let control = Arc::new(RunControl::new(config.limit, config.workers, dead_letters));
    let _signals = if config.stop_on_signals {
        Some(StopOnSignals::install(&control.shutdown_flag())?)
    } else {
        None
    };

    let worker_control = Arc::clone(&control);
    let writer_plan = Arc::clone(&sink_plan);
    let guards = timely::execute(timely::Config::process(config.workers), move |worker| {
        let shared = Rc::new(WorkerShared::new(
            Arc::clone(&worker_control),
            Arc::clone(&source_plan.topic),
            M::HAS_EVENT_TIME,
            (worker.index(), worker.peers()),
            restored.clone(),
        ));
        let durable = ProbeHandle::<Epoch>::new();
        worker.dataflow::<Epoch, _, _>(|scope| {
            let records = kafka_source::<M>(scope, Arc::clone(&source_plan), Rc::clone(&shared));
            let rows = build(Stream::new(records, Rc::clone(&shared), Lineage::default()));
            mysql_sink(rows, Arc::clone(&sink_plan), durable.clone()).probe_with(&durable);
        });
        // Until the dataflow has finished: the probe alone is not enough, it reads as done
        // before the first step has given it a frontier.
        while !worker_control.failed() && worker.step_or_park(Some(PARK)) {}
        if !worker_control.failed() {
            // With an exchange, the last epochs' offsets wait until every sink is done.
            let horizon = worker_control.commit_horizon();
            let windows = &worker_control.window_commits;
            if let Err(error) = commit_rest::<R>(&sink_plan, &shared.ledger, windows, horizon) {
                worker_control.fail(error);
            }
        }
    })
    .map_err(Error::Worker)?;

    join_workers(guards)?;
    // Shutting the runtime down cancels its tasks: a transaction still running would be lost.
    // After a failure nothing more needs to be committed.
    if !control.failed() {
        writer_plan.wait_for_writers();
    }
    runtime.shutdown_timeout(Duration::from_secs(5));
    match control.take_error() {
        Some(error) => Err(error),
        None => {
            if control.shutdown_requested() {
                tracing::info!("stopped by a signal after committing what was complete");
            }
            Ok(control.metrics.report(started.elapsed()))
        }
    }
}

/// `duration` in milliseconds (saturating), or the message type's `default` when not given.
fn millis_or(duration: Option<Duration>, default: i64) -> i64 {
    duration.map_or(default, |d| {
        i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
    })
}

/// Applies the migrations when asked, then compares the live sink table with the row struct.
async fn check_sink_table<R: Row>(pool: &Pool<MySql>, migrate: bool) -> Result<()> {
    if migrate {
        apply_migrations(pool, R::TABLE, &R::SCHEMA).await?;
    }
    check_table(pool, R::TABLE, &R::SCHEMA).await
}

/// What every sink session adds to the server's `sql_mode`: a value a column cannot hold is an
/// error (a dead letter), never silently truncated, rounded to a zero date or replaced by `?`,
/// whatever the server's own setting.
const STRICT_SQL_MODE: &str = "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,\
                               ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION";

/// Connects, with a strict `sql_mode` on every connection, and creates the bookkeeping tables.
/// Errors quote neither the URL's password nor anything else secret.
async fn prepare_database(config: &Config) -> Result<Pool<MySql>> {
    let secrets = config.secrets();
    // sqlx would log every slow statement with its full text: a 10,000-row INSERT. The sink
    // logs its own transactions instead.
    let options = MySqlConnectOptions::from_str(&config.database_url)
        .map_err(|e| Error::Config(format!("--database-url: {e}")).without_secrets(&secrets))?
        .disable_statement_logging();
    let pool = MySqlPoolOptions::new()
        .max_connections(u32::try_from(config.workers + 1).unwrap_or(u32::MAX))
        .acquire_timeout(CONNECT_TIMEOUT)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // Added to what sqlx and the server set (PIPES_AS_CONCAT, ...).
                let strict = format!(
                    "SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',{STRICT_SQL_MODE}')"
                );
                conn.execute(sqlx::AssertSqlSafe(strict)).await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| Error::mysql(None, e).without_secrets(&secrets))?;
    for (table, ddl) in [
        ("sluice_offsets", CREATE_OFFSETS_TABLE),
        ("sluice_watermarks", CREATE_WATERMARKS_TABLE),
        ("sluice_watermark_offsets", CREATE_WATERMARK_OFFSETS_TABLE),
        ("sluice_pipelines", CREATE_PIPELINES_TABLE),
    ] {
        sqlx::query(ddl)
            .execute(&pool)
            .await
            .map_err(|e| Error::mysql(table, e))?;
    }
    prepare_dead_letters_table(&pool)
        .await
        .map_err(|e| Error::mysql("sluice_dead_letters", e))?;
    Ok(pool)
}
