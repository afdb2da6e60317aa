//! How a pipeline run is configured: from the command line (`cli.rs`) or built in code.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};
pub use crate::run::config::cluster::Cluster;
pub use crate::run::observe::Progress;
use crate::source::kafka::RESERVED_PROPERTIES;

pub(crate) mod cluster;
pub(crate) mod job_file;
pub(crate) mod kafka_properties;
pub(crate) mod secrets;

/// The local test database the examples and tests write to. A pipeline's `main()` has no
/// default: it needs `--database-url` or `DATABASE_URL`.
pub const DEFAULT_DATABASE_URL: &str = "mysql://root@127.0.0.1:3306/test";
/// RabbitMQ on this machine, with its default user, and the default virtual host.
pub const DEFAULT_AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

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

/// What a source does when a stored position is no longer in the partition (retention deleted
/// it, or the topic was recreated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OffsetReset {
    /// Stop the run with an error naming the partition and the positions: skipping or rereading
    /// data is the operator's decision.
    #[default]
    Fail,
    /// Go on from the first message still stored (what was deleted is lost).
    Earliest,
    /// Go on from the end of the partition (everything in between is skipped).
    Latest,
}

/// Everything a run needs besides the pipeline itself.
///
/// `Config::default()` reads no environment: set at least [`Config::brokers`] and
/// [`Config::database_url`]. The generated `main()` fills it from the command line, the
/// `SLUICE_BROKERS` / `DATABASE_URL` / `SLUICE_KAFKA_*` variables and `--kafka-config`.
///
/// Its `Debug` output shows no secret: the database password and the values of credential
/// properties (`sasl.password`, `ssl.key.password`, ...) read `***`.
#[derive(Clone)]
#[non_exhaustive]
pub struct Config {
    /// Kafka bootstrap servers, `host:port[,host:port...]`.
    pub brokers: String,
    /// MySQL / MariaDB connection URL, `mysql://user:password@host:port/database`; TLS with
    /// `?ssl-mode=VERIFY_IDENTITY&ssl-ca=/path/ca.pem`. Required: empty by default.
    pub database_url: String,
    /// Timely worker threads of this process; each owns the partitions `p` with
    /// `p % workers == index` (counting every worker of every process in a cluster).
    pub workers: usize,
    /// Runs as one process of several (timely's cluster mode); `None`: this process alone.
    pub cluster: Option<Cluster>,
    /// Start position of partitions.
    pub from: StartFrom,
    /// The name offsets are stored under; `<function>.<sink table>` when `None`.
    pub pipeline_id: Option<String>,
    /// Reads this topic (or RabbitMQ queue) instead of the one the message type declares.
    pub topic: Option<String>,
    /// RabbitMQ URL, `amqp://user:password@host:port/vhost` (`amqps://` for TLS), for the
    /// `RabbitMq` and `RabbitMqStream` inputs and the `RabbitMq` output.
    pub amqp_url: String,
    /// Confluent Schema Registry, `http(s)://[user:password@]host:port`: an Avro message
    /// written with another schema id than the compiled one is read with its writer's schema
    /// from there, resolved against the compiled one. Without it such a message is a dead
    /// letter.
    pub schema_registry_url: Option<String>,
    /// Stops once every partition has been read to its end.
    pub until_end: bool,
    /// Stops after this many messages in total (all partitions, all workers of this process).
    pub limit: Option<u64>,
    /// Length of an epoch: the unit of progress and of stored positions (and of an append-only
    /// table's transactions).
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
    /// Extra librdkafka consumer properties, applied in order after sluice's own (a later entry
    /// wins). The generated `main()` puts `--kafka-config` first, then `SLUICE_KAFKA_*`, then
    /// `-X`. The properties delivery depends on (`enable.auto.commit`, `group.id`, ...) are
    /// refused.
    pub kafka_options: Vec<(String, String)>,
    /// Applies the sink row's migrations (its `#[row(migrations = "...")]` folder, embedded in
    /// the binary) before the start-up schema check.
    pub migrate: bool,
    /// Overrides the message's `max_delay`: how far behind a partition's largest event time a
    /// record may arrive and still count in its window.
    pub max_delay: Option<Duration>,
    /// A partition without messages for this long stops holding the watermark back.
    pub idle_timeout: Duration,
    /// Overrides the message's `max_future`: how far ahead of the wall clock an event time may
    /// lie before the record is a dead letter of kind `future`.
    pub max_future: Option<Duration>,
    /// What to do when a stored position is no longer in its partition.
    pub on_offset_out_of_range: OffsetReset,
    /// Stops the run once more than this share of the messages consumed are dead letters
    /// (after at least [`Config::dead_letter_grace`] messages); `None` tolerates any number.
    pub max_dead_letter_ratio: Option<f64>,
    /// How many messages a run consumes before `max_dead_letter_ratio` is enforced.
    pub dead_letter_grace: u64,
    /// For the run's duration, SIGINT and SIGTERM stop it gracefully: the current epoch is
    /// finished and committed, open windows are left to the next run, and `run` returns its
    /// report; a second signal exits at once. The generated `main()` turns this on; it is off
    /// by default because the handlers are process-wide.
    pub stop_on_signals: bool,
    /// Serves Prometheus metrics on this address while the run goes on.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// How the run shows its progress: a live line on a terminal, log lines otherwise
    /// (`Progress::Auto`, the command line's default); `Progress::Off` by default here.
    pub progress: Progress,
    /// How often a progress log line is written (the live line is redrawn every second).
    pub progress_every: Duration,
    /// How often the source looks for partitions added to its topic; `None` (or zero): never.
    pub partition_discovery: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            brokers: String::new(),
            database_url: String::new(),
            workers: default_workers(),
            cluster: None,
            from: StartFrom::default(),
            pipeline_id: None,
            topic: None,
            amqp_url: DEFAULT_AMQP_URL.to_owned(),
            schema_registry_url: None,
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
            max_future: None,
            on_offset_out_of_range: OffsetReset::default(),
            max_dead_letter_ratio: None,
            dead_letter_grace: 1_000,
            stop_on_signals: false,
            metrics_addr: None,
            // A library or test run draws nothing; the generated main() shows progress.
            progress: Progress::Off,
            progress_every: Duration::from_secs(10),
            partition_discovery: Some(Duration::from_secs(10)),
        }
    }
}

/// The shortest interval between two looks for new partitions.
const MIN_PARTITION_DISCOVERY: Duration = Duration::from_millis(100);

/// One worker per core.
pub(crate) fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

impl Config {
    /// Workers of every process of the run.
    pub(crate) fn total_workers(&self) -> usize {
        self.workers * self.cluster.as_ref().map_or(1, Cluster::processes)
    }

    /// The cluster-wide indexes of this process's workers.
    pub(crate) fn local_workers(&self) -> std::ops::Range<usize> {
        let first = self.workers * self.cluster.as_ref().map_or(0, |c| c.process);
        first..first + self.workers
    }

    /// Rejects settings no run can start with, before any connection is made.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.workers == 0 {
            return Err(Error::Config("--workers must be at least 1".into()));
        }
        if let Some(cluster) = &self.cluster {
            cluster.validate()?;
        }
        if self.epoch.is_zero() {
            return Err(Error::Config("--epoch must be at least 1ms".into()));
        }
        if let Some(id) = &self.pipeline_id
            && (id.is_empty() || id.chars().count() > 255)
        {
            return Err(Error::Config(
                "--pipeline-id must have 1 to 255 characters (it is stored in VARCHAR(255) columns)"
                    .into(),
            ));
        }
        if let Some(ratio) = self.max_dead_letter_ratio
            && !(0.0..=1.0).contains(&ratio)
        {
            return Err(Error::Config(format!(
                "--max-dead-letter-ratio must be between 0 and 1 (got {ratio})"
            )));
        }
        if self.max_epochs_in_flight == 0 || self.max_rows_in_flight == 0 {
            return Err(Error::Config(
                "--max-rows-in-flight and max_epochs_in_flight must be at least 1".into(),
            ));
        }
        if let Some(every) = self.partition_discovery
            && !every.is_zero()
            && every < MIN_PARTITION_DISCOVERY
        {
            return Err(Error::Config(format!(
                "--partition-discovery must be 0 (off) or at least {MIN_PARTITION_DISCOVERY:?}: \
                 each look is a metadata request to the brokers"
            )));
        }
        if self.rows_per_statement == 0 {
            return Err(Error::Config(
                "--rows-per-statement must be at least 1".into(),
            ));
        }
        for (key, _) in &self.kafka_options {
            if let Some((reserved, instead)) = RESERVED_PROPERTIES
                .iter()
                .find(|(reserved, _)| reserved.eq_ignore_ascii_case(key.trim()))
            {
                return Err(Error::Config(format!(
                    "the Kafka property `{reserved}` (from -X, --kafka-config or \
                     SLUICE_KAFKA_*) cannot be changed: {instead}"
                )));
            }
        }
        Ok(())
    }

    /// Checks that brokers are given, for a run that reads or writes Kafka.
    pub(crate) fn validate_brokers(&self) -> Result<()> {
        if self.brokers.trim().is_empty() {
            return Err(Error::Config(
                "no Kafka brokers: pass --brokers host:port or set SLUICE_BROKERS".into(),
            ));
        }
        Ok(())
    }

    /// Checks the database URL, for a run whose outputs store positions.
    pub(crate) fn validate_database(&self) -> Result<()> {
        if self.database_url.trim().is_empty() {
            return Err(Error::Config(
                "no database: pass --database-url mysql://USER:PASSWORD@HOST:PORT/DATABASE or \
                 set DATABASE_URL"
                    .into(),
            ));
        }
        if !self.database_url.starts_with("mysql://")
            && !self.database_url.starts_with("mariadb://")
        {
            // Only the scheme: a malformed URL may hold a password where no parser finds it.
            let scheme = self.database_url.split(':').next().unwrap_or_default();
            return Err(Error::Config(format!(
                "--database-url must start with mysql:// (got a URL starting with `{scheme}:`)"
            )));
        }
        Ok(())
    }

    /// The secrets of this configuration as written in it: the database password and the
    /// values of credential properties. Error texts are checked against them before they are
    /// printed.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let registry = self.schema_registry_url.as_ref();
        let passwords = [&self.database_url, &self.amqp_url]
            .into_iter()
            .chain(registry)
            .filter_map(|url| secrets::url_password(url));
        let decoded: Vec<String> = passwords.clone().map(secrets::percent_decode).collect();
        let properties = self
            .kafka_options
            .iter()
            .filter(|(key, _)| secrets::is_secret_key(key))
            .map(|(_, value)| value.clone());
        passwords
            .map(str::to_owned)
            .chain(decoded)
            .chain(properties)
            .filter(|secret| !secret.is_empty())
            .collect()
    }
}

/// Every field, with the database password and credential properties shown as `***`.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Destructured, so that a new field cannot be left out (or printed unredacted) unseen.
        let Config {
            brokers,
            database_url,
            workers,
            cluster,
            from,
            pipeline_id,
            topic,
            amqp_url,
            schema_registry_url,
            until_end,
            limit,
            epoch,
            max_epochs_in_flight,
            max_rows_in_flight,
            rows_per_statement,
            kafka_options,
            migrate,
            max_delay,
            idle_timeout,
            max_future,
            on_offset_out_of_range,
            max_dead_letter_ratio,
            dead_letter_grace,
            stop_on_signals,
            metrics_addr,
            progress,
            progress_every,
            partition_discovery,
        } = self;
        let kafka_options: Vec<(&str, &str)> = kafka_options
            .iter()
            .map(|(key, value)| (key.as_str(), secrets::shown_value(key, value)))
            .collect();
        f.debug_struct("Config")
            .field("brokers", brokers)
            .field("database_url", &secrets::redact_url(database_url))
            .field("workers", workers)
            .field("cluster", cluster)
            .field("from", from)
            .field("pipeline_id", pipeline_id)
            .field("topic", topic)
            .field("amqp_url", &secrets::redact_url(amqp_url))
            .field(
                "schema_registry_url",
                &schema_registry_url.as_deref().map(secrets::redact_url),
            )
            .field("until_end", until_end)
            .field("limit", limit)
            .field("epoch", epoch)
            .field("max_epochs_in_flight", max_epochs_in_flight)
            .field("max_rows_in_flight", max_rows_in_flight)
            .field("rows_per_statement", rows_per_statement)
            .field("kafka_options", &kafka_options)
            .field("migrate", migrate)
            .field("max_delay", max_delay)
            .field("idle_timeout", idle_timeout)
            .field("max_future", max_future)
            .field("on_offset_out_of_range", on_offset_out_of_range)
            .field("max_dead_letter_ratio", max_dead_letter_ratio)
            .field("dead_letter_grace", dead_letter_grace)
            .field("stop_on_signals", stop_on_signals)
            .field("metrics_addr", metrics_addr)
            .field("progress", progress)
            .field("progress_every", progress_every)
            .field("partition_discovery", partition_discovery)
            .finish()
    }
}

/// `duration` in milliseconds (saturating), or `default` when not given.
pub(crate) fn millis_or(duration: Option<Duration>, default: i64) -> i64 {
    duration.map_or(default, |d| {
        i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
    })
}
