//! How a pipeline run is configured: from the command line (`cli.rs`) or built in code.

use std::time::Duration;

use crate::error::{Error, Result};

/// The database a pipeline writes to when neither `--database-url` nor `DATABASE_URL` is set.
pub const DEFAULT_DATABASE_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// Where a source starts reading a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum StartFrom {
    /// The offset stored in `sluice_offsets` by an earlier run; the beginning when none is.
    #[default]
    Committed,
    /// The beginning of each partition, whatever was stored.
    Earliest,
    /// The end of each partition: only messages produced after the start are read.
    Latest,
}

/// Everything a run needs besides the pipeline itself.
///
/// `Config::default()` reads no environment: set at least [`Config::brokers`]. The generated
/// `main()` fills it from the command line and the `SLUICE_BROKERS` / `DATABASE_URL` variables.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Kafka bootstrap servers, `host:port[,host:port...]`.
    pub brokers: String,
    /// MySQL / MariaDB connection URL.
    pub database_url: String,
    /// Timely worker threads; each owns the partitions `p` with `p % workers == index`.
    pub workers: usize,
    /// Start position of partitions.
    pub from: StartFrom,
    /// The name offsets are stored under; the pipeline's function name when `None`.
    pub pipeline_id: Option<String>,
    /// Reads this topic instead of the one the message type declares.
    pub topic: Option<String>,
    /// Stops once every partition has been read to its end.
    pub until_end: bool,
    /// Stops after this many messages in total (all partitions, all workers).
    pub limit: Option<u64>,
    /// Length of an epoch: the unit of progress, transactions and offset commits.
    pub epoch: Duration,
    /// A worker's source pauses while its sink holds rows of this many epochs not yet
    /// written.
    pub max_epochs_in_flight: u64,
    /// A worker's source pauses while its sink holds this many rows waiting for the next
    /// transaction (besides those of the transaction being written, at most as many): with a
    /// slow database, memory stays bounded whatever the input rate.
    pub max_rows_in_flight: u64,
    /// Rows per `INSERT` statement; capped so a statement has at most 65,535 placeholders.
    pub rows_per_statement: usize,
    /// Extra librdkafka consumer properties (`-X key=value`), applied last.
    pub kafka_options: Vec<(String, String)>,
    /// Applies the sink row's migrations (its `#[row(migrations = "...")]` folder, embedded in
    /// the binary) before the start-up schema check.
    pub migrate: bool,
    /// Overrides the message's `max_delay`: how far behind a partition's largest event time a
    /// record may arrive and still count in its window.
    pub max_delay: Option<Duration>,
    /// A partition without messages for this long stops holding the watermark back.
    pub idle_timeout: Duration,
    /// For the run's duration, SIGINT and SIGTERM stop it gracefully: the current epoch is
    /// finished and committed, open windows are left to the next run, and `run` returns its
    /// report; a second signal exits at once. The generated `main()` turns this on; it is off
    /// by default because the handlers are process-wide.
    pub stop_on_signals: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            brokers: String::new(),
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            workers: default_workers(),
            from: StartFrom::default(),
            pipeline_id: None,
            topic: None,
            until_end: false,
            limit: None,
            epoch: Duration::from_millis(200),
            max_epochs_in_flight: 8,
            max_rows_in_flight: 100_000,
            rows_per_statement: 10_000,
            kafka_options: Vec::new(),
            migrate: false,
            max_delay: None,
            idle_timeout: Duration::from_secs(5),
            stop_on_signals: false,
        }
    }
}

/// One worker per core.
pub(crate) fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

impl Config {
    /// Rejects settings no run can start with, before any connection is made.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.brokers.trim().is_empty() {
            return Err(Error::Config(
                "no Kafka brokers: pass --brokers host:port or set SLUICE_BROKERS".into(),
            ));
        }
        if self.workers == 0 {
            return Err(Error::Config("--workers must be at least 1".into()));
        }
        if self.epoch.is_zero() {
            return Err(Error::Config("--epoch-ms must be at least 1".into()));
        }
        if self.max_epochs_in_flight == 0 || self.max_rows_in_flight == 0 {
            return Err(Error::Config(
                "--max-rows-in-flight and max_epochs_in_flight must be at least 1".into(),
            ));
        }
        if self.rows_per_statement == 0 {
            return Err(Error::Config(
                "--rows-per-statement must be at least 1".into(),
            ));
        }
        if !self.database_url.starts_with("mysql://")
            && !self.database_url.starts_with("mariadb://")
        {
            return Err(Error::Config(format!(
                "--database-url must start with mysql:// (got `{}`)",
                self.database_url
            )));
        }
        Ok(())
    }
}
