//! Wiring of one run: the tokio runtime for MySQL, start-up checks, timely workers.

use std::rc::Rc;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::{ConnectOptions, Executor};
use sqlx::{MySql, Pool};
use timely::dataflow::ProbeHandle;

use crate::contract::outputs::Outputs;
use crate::contract::sink::Positions;
use crate::contract::source::Source;
use crate::contract::startup::Startup;
use crate::dataflow::lineage::Lineage;
use crate::dataflow::stream::Stream;
use crate::dataflow::worker::WorkerShared;
use crate::delivery::acknowledge::Acknowledgements;
use crate::delivery::keyed_state::{CREATE_KEYED_STATE_TABLE, load_keyed_states, start_anew};
use crate::delivery::message_ids::CREATE_MESSAGE_IDS_TABLE;
use crate::delivery::pipelines::{self, CREATE_PIPELINES_TABLE, default_pipeline_id};
use crate::delivery::table_scans::CREATE_TABLE_SCANS_TABLE;
use crate::delivery::{
    CREATE_OFFSETS_TABLE, CREATE_WATERMARK_OFFSETS_TABLE, CREATE_WATERMARKS_TABLE, Epoch,
    WindowCommits, prepare_dead_letters_table,
};
use crate::error::{Error, Result};
use crate::run::cluster::ClusterLink;
use crate::run::cluster_failure::{join_all, worker_panicked};
use crate::run::cluster_join;
use crate::run::config::{Config, StartFrom};
use crate::run::control::RunControl;
use crate::run::dead_letter_watch::DeadLetterWatch;
use crate::run::observe::{Observer, Subject, serve_metrics};
use crate::run::report::RunReport;
use crate::run::signals::StopOnSignals;
use crate::table::lookup_query::LookupDatabase;

/// How long start-up waits for MySQL before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an idle worker sleeps before looking at the stop and failure flags again.
const PARK: Duration = Duration::from_millis(20);

/// Runs the pipeline `name`, whose body is `build`, reading the source `S` and writing the
/// outputs `O`, until it is stopped or (with `until_end`/`limit`) its input is exhausted.
pub fn run_pipeline<S, O, F>(name: &'static str, config: Config, build: F) -> Result<RunReport>
where
    S: Source,
    O: Outputs,
    F: for<'scope> Fn(Stream<'scope, S::Record>) -> O::Streams<'scope> + Send + Sync + 'static,
{
    let started = Instant::now();
    config.validate()?;
    S::validate(&config)?;
    O::validate(&config)?;
    if O::POSITIONS == Positions::KafkaGroup && !S::POSITIONS_FIT_A_KAFKA_GROUP {
        return Err(Error::Config(
            "a lone Kafka output commits the input's positions in Kafka transactions, which \
             holds Kafka offsets only: add a MySql<R> output, which stores this input's \
             positions"
                .into(),
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.workers.clamp(1, 4))
        .thread_name("sluice-io")
        .enable_all()
        .build()
        .map_err(|e| Error::Worker(format!("cannot start the tokio runtime: {e}")))?;

    let target = O::target(&config);
    let pipeline: Arc<str> = match &config.pipeline_id {
        Some(id) => Arc::from(id.as_str()),
        None => Arc::from(default_pipeline_id(name, &target)),
    };
    let input = S::input_name(&config);
    let stores_in_database = O::POSITIONS == Positions::Database;
    let database = if stores_in_database || S::READS_DATABASE {
        config.validate_database()?;
        let pool = runtime.block_on(prepare_database(&config))?;
        if stores_in_database {
            runtime.block_on(pipelines::claim(&pool, &pipeline, &input, &target))?;
            if config.from != StartFrom::Committed {
                runtime.block_on(start_anew(&pool, &pipeline))?;
            }
        }
        Some(pool)
    } else {
        None
    };
    let acknowledgements = Arc::new(Acknowledgements::default());
    let startup = Startup {
        config: &config,
        runtime: &runtime,
        positions: O::POSITIONS,
        outputs: O::COUNT,
        database,
        pipeline: Arc::clone(&pipeline),
        input: Arc::clone(&input),
        acknowledgements: Arc::clone(&acknowledgements),
    };
    let lookups = lookup_database(&config, startup.database.as_ref(), runtime.handle());
    // Each worker loads its share of the stored states of `map_with_state`.
    let keyed_states = match (&startup.database, config.from) {
        (Some(pool), StartFrom::Committed) if stores_in_database => Some((
            pool.clone(),
            Arc::clone(&pipeline),
            runtime.handle().clone(),
        )),
        _ => None,
    };
    let sinks = O::prepare(&startup)?;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "outputs ready");
    let (source, restored) = S::prepare(&startup)?;
    let source = Arc::new(source);
    tracing::info!(
        pipeline = %pipeline,
        input = %input,
        workers = config.workers,
        startup_ms = started.elapsed().as_millis() as u64,
        "starting"
    );

    let dead_letters = DeadLetterWatch::new(
        config.max_dead_letter_ratio,
        config.dead_letter_grace,
        stores_in_database,
    );
    let window_commits = match &config.cluster {
        None => WindowCommits::new(config.workers, O::COUNT),
        Some(_) => WindowCommits::for_cluster(config.total_workers(), O::COUNT),
    };
    let control = Arc::new(RunControl::new(config.limit, window_commits, dead_letters));
    if let Some(address) = config.metrics_addr {
        serve_metrics(address, &pipeline, &runtime)?;
    }
    let observer = Observer::start(
        Arc::clone(&control),
        Subject {
            input: Arc::clone(&input),
            target: target.clone(),
            bounded: config.until_end,
        },
        config.progress,
        config.progress_every,
    )?;
    let _signals = if config.stop_on_signals {
        Some(StopOnSignals::install(&control.shutdown_flag())?)
    } else {
        None
    };

    let worker_control = Arc::clone(&control);
    let worker_sinks = sinks.clone();
    let process = config.cluster.as_ref().map(|c| (c.process, config.workers));
    let job = format!(
        "pipeline `{pipeline}` reading `{input}` from {:?} in {:?} epochs{}",
        config.from,
        config.epoch,
        if config.until_end {
            " until its end"
        } else {
            ""
        }
    );
    let shutdown = control.shutdown_flag();
    let connections =
        cluster_join::connect(config.cluster.as_ref(), &job, config.workers, &shutdown)?;
    let guards = cluster_join::execute(config.workers, connections, move |worker| {
        // A panic outside the operators' guards stops the run instead of leaving the other
        // workers waiting for this one.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut shared = WorkerShared::new(
                Arc::clone(&worker_control),
                Arc::clone(&input),
                S::HAS_EVENT_TIME,
                (worker.index(), worker.peers()),
                restored.clone(),
            );
            shared.database = lookups.clone();
            shared.stores_keyed_state = stores_in_database;
            shared.input_replays_in_order = S::REPLAYS_IN_ORDER;
            if let Some((pool, pipeline, runtime)) = &keyed_states {
                let share = (worker.index(), worker.peers());
                match runtime.block_on(load_keyed_states(pool, pipeline, share)) {
                    Ok(states) => shared.restore_states(states),
                    Err(error) => worker_control.fail(error),
                }
            }
            let shared = Rc::new(shared);
            let durable = ProbeHandle::<Epoch>::new();
            let dataflow = worker.next_dataflow_index();
            worker.dataflow::<Epoch, _, _>(|scope| {
                let records = S::build(&source, scope, &shared);
                let lineage = Lineage {
                    deletes: S::HAS_DELETES,
                    ..Lineage::default()
                };
                let streams = build(Stream::new(records, Rc::clone(&shared), lineage));
                O::build(&worker_sinks, streams, &durable);
            });
            match process {
                Some(process) => {
                    ClusterLink::build(worker, &worker_control, process, dataflow).run(worker);
                }
                // Until the dataflow has finished: the probe alone is not enough, it reads as
                // done before the first step has given it a frontier.
                None => while !worker_control.failed() && worker.step_or_park(Some(PARK)) {},
            }
            if !worker_control.failed()
                && let Err(error) = O::finish(&worker_sinks, &shared, &durable)
            {
                worker_control.fail(error);
            }
        }));
        if let Err(payload) = ran {
            worker_control.fail(worker_panicked(&*payload));
        }
    })?;

    join_all(guards, config.cluster.is_some())?;
    // Shutting the runtime down cancels its tasks: a transaction still running would be lost.
    // After a failure nothing more needs to be committed.
    if !control.failed() {
        O::close(&sinks);
    }
    acknowledgements.close();
    observer.finish();
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

/// The database lookups read: the run's own pool, or, when nothing else needs the database,
/// one that connects on its first query (`None` without a usable URL).
fn lookup_database(
    config: &Config,
    pool: Option<&Pool<MySql>>,
    runtime: &tokio::runtime::Handle,
) -> Option<Arc<LookupDatabase>> {
    let pool = match pool {
        Some(pool) => pool.clone(),
        None => {
            let options = MySqlConnectOptions::from_str(&config.database_url).ok()?;
            let _entered = runtime.enter();
            MySqlPoolOptions::new()
                .max_connections(u32::try_from(config.workers).unwrap_or(u32::MAX).max(1))
                .acquire_timeout(CONNECT_TIMEOUT)
                .connect_lazy_with(options.disable_statement_logging())
        }
    };
    Some(Arc::new(LookupDatabase {
        pool,
        runtime: runtime.clone(),
    }))
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
        // A writer per worker, plus a table reader and lookups per worker, plus start-up.
        .max_connections(u32::try_from(2 * config.workers + 2).unwrap_or(u32::MAX))
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
        ("sluice_table_scans", CREATE_TABLE_SCANS_TABLE),
        ("sluice_keyed_state", CREATE_KEYED_STATE_TABLE),
        ("sluice_message_ids", CREATE_MESSAGE_IDS_TABLE),
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
