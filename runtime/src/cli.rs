//! The command line of a generated `main()`.

use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser};

use crate::config::{Config, DEFAULT_DATABASE_URL, StartFrom, default_workers};
use crate::error::{Error, Result};
use crate::report::RunReport;

/// Command-line options shared by every sluice pipeline binary.
#[derive(Debug, Parser)]
#[command(about = None, long_about = None)]
pub struct Cli {
    /// Kafka bootstrap servers (host:port[,host:port...]).
    #[arg(long, env = "SLUICE_BROKERS")]
    pub brokers: Option<String>,

    /// MySQL / MariaDB URL the sink writes to.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// Timely worker threads [default: one per core].
    #[arg(long)]
    pub workers: Option<usize>,

    /// Where to start reading: the stored offsets (else the beginning), the beginning, or the end.
    #[arg(long, value_enum, default_value_t = StartFrom::Committed)]
    pub from: StartFrom,

    /// Name the offsets are stored under [default: the pipeline's name].
    #[arg(long, visible_alias = "group")]
    pub pipeline_id: Option<String>,

    /// Topic to read instead of the one the message type declares.
    #[arg(long)]
    pub topic: Option<String>,

    /// Stop once every partition has been read to its end (bounded run, back-fill).
    #[arg(long)]
    pub until_end: bool,

    /// Stop after this many messages in total.
    #[arg(long)]
    pub limit: Option<u64>,

    /// Epoch length in milliseconds: the unit of progress, transactions and offset commits.
    #[arg(long, default_value_t = 200)]
    pub epoch_ms: u64,

    /// Rows a worker may hold for its next transaction before it stops reading
    /// (back-pressure); the transaction being written holds at most as many again.
    #[arg(long, default_value_t = 100_000)]
    pub max_rows_in_flight: u64,

    /// Rows per INSERT statement (capped at 65,535 placeholders).
    #[arg(long, default_value_t = 10_000)]
    pub rows_per_statement: usize,

    /// Extra librdkafka consumer property, e.g. -X fetch.wait.max.ms=50 (repeatable).
    #[arg(short = 'X', value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub kafka_option: Vec<(String, String)>,

    /// Apply the sink table's migrations (compiled into this binary) before starting.
    #[arg(long)]
    pub migrate: bool,

    /// How late (in event time) a record may arrive and still count in its window, in
    /// milliseconds; overrides #[message(event_time, max_delay = "...")].
    #[arg(long)]
    pub max_delay_ms: Option<u64>,

    /// A partition without messages for this long stops holding event time back, in ms.
    #[arg(long, default_value_t = 5_000)]
    pub idle_timeout_ms: u64,
}

fn parse_key_value(text: &str) -> std::result::Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got `{text}`"))
}

impl From<Cli> for Config {
    fn from(cli: Cli) -> Self {
        Config {
            brokers: cli.brokers.unwrap_or_default(),
            database_url: cli.database_url,
            workers: cli.workers.unwrap_or_else(default_workers),
            from: cli.from,
            pipeline_id: cli.pipeline_id,
            topic: cli.topic,
            until_end: cli.until_end,
            limit: cli.limit,
            epoch: Duration::from_millis(cli.epoch_ms),
            max_epochs_in_flight: Config::default().max_epochs_in_flight,
            max_rows_in_flight: cli.max_rows_in_flight,
            rows_per_statement: cli.rows_per_statement,
            kafka_options: cli.kafka_option,
            migrate: cli.migrate,
            max_delay: cli.max_delay_ms.map(Duration::from_millis),
            idle_timeout: Duration::from_millis(cli.idle_timeout_ms),
            stop_on_signals: true,
        }
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`). Safe to call more than once.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second initialisation (tests, an embedding application) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Parses the process arguments, runs `run` and prints its report. An error is returned
/// for `main` to print as one line and exit non-zero.
pub fn main_with(name: &'static str, run: impl FnOnce(Config) -> Result<RunReport>) -> Result<()> {
    let matches = Cli::command().name(name).get_matches();
    let cli = Cli::from_arg_matches(&matches).map_err(|e| Error::Config(e.to_string()))?;
    init_tracing();
    let report = run(Config::from(cli))?;
    println!("{}", report.summary());
    Ok(())
}
