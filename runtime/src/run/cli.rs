//! The command line of a generated `main()`.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser};

use crate::dataflow::graph::GraphFormat;
use crate::error::{Error, Result};
use crate::run::config::job_file::JobFile;
use crate::run::config::kafka_properties::{self, FILE_ENV};
use crate::run::config::secrets::REDACTED;
use crate::run::config::{Cluster, Config, OffsetReset, Progress, StartFrom, default_workers};
use crate::run::entry::Entry;

pub use crate::run::config::kafka_properties::{ENV_PREFIX, read_properties_file};
pub use crate::run::config::secrets::redact_url;

/// Command-line options shared by every sluice pipeline binary.
///
/// Environment values are not shown by `--help`, and `Debug` shows no secret.
#[derive(Parser)]
#[command(about = None, long_about = None)]
pub struct Cli {
    /// A job file (TOML) with any of these options by their long name (`epoch = "250ms"`,
    /// `until-end = true`) and librdkafka properties in a `[kafka]` table; flags and
    /// environment variables win over it.
    #[arg(long, value_name = "FILE", env = "SLUICE_CONFIG")]
    pub config: Option<PathBuf>,

    /// Kafka bootstrap servers (host:port[,host:port...]).
    #[arg(long, env = "SLUICE_BROKERS", hide_env_values = true)]
    pub brokers: Option<String>,

    /// MySQL / MariaDB URL the sink writes to, mysql://USER:PASSWORD@HOST:PORT/DATABASE
    /// (TLS: ?ssl-mode=VERIFY_IDENTITY&ssl-ca=FILE). Required.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// RabbitMQ URL for RabbitMq inputs and outputs, amqp://USER:PASSWORD@HOST:PORT/VHOST
    /// (amqps:// for TLS).
    #[arg(long, env = "SLUICE_AMQP_URL", hide_env_values = true,
          default_value = crate::run::config::DEFAULT_AMQP_URL, hide_default_value = true)]
    pub amqp_url: String,

    /// Confluent Schema Registry for Avro messages written with another schema than the
    /// compiled one, http(s)://HOST:PORT (USER:PASSWORD@HOST for basic authentication).
    #[arg(long, env = "SLUICE_SCHEMA_REGISTRY_URL", hide_env_values = true)]
    pub schema_registry_url: Option<String>,

    /// Timely worker threads [default: one per core].
    #[arg(long, env = "SLUICE_WORKERS")]
    pub workers: Option<usize>,

    /// Processes of the run (timely's cluster mode): each runs this binary with the same
    /// options but --process, and they connect over the --hostfile addresses.
    #[arg(long, value_name = "N", env = "SLUICE_PROCESSES", default_value_t = 1)]
    pub processes: usize,

    /// This process's index in the cluster, from 0 (a StatefulSet pod's ordinal).
    #[arg(long, value_name = "I", env = "SLUICE_PROCESS", default_value_t = 0)]
    pub process: usize,

    /// The cluster's addresses: one HOST:PORT line per process, in process order; each
    /// process listens on its own line's port.
    #[arg(long, value_name = "FILE", env = "SLUICE_HOSTFILE")]
    pub hostfile: Option<PathBuf>,

    /// How long a process of a cluster waits for all the others to join before it stops.
    #[arg(long, value_name = "DURATION", env = "SLUICE_CLUSTER_JOIN_TIMEOUT",
          value_parser = parse_duration, default_value = "2m")]
    pub cluster_join_timeout: Duration,

    /// Where to start reading: the stored offsets (else the beginning), the beginning, or the end.
    #[arg(long, value_enum, env = "SLUICE_FROM", default_value_t = StartFrom::Committed)]
    pub from: StartFrom,

    /// Name the offsets are stored under [default: FUNCTION.TABLE, the pipeline and its sink table].
    #[arg(long, visible_alias = "group", env = "SLUICE_PIPELINE_ID")]
    pub pipeline_id: Option<String>,

    /// Topic (or RabbitMQ queue) to read instead of the one the message type declares.
    #[arg(long, visible_alias = "queue", env = "SLUICE_TOPIC")]
    pub topic: Option<String>,

    /// Stop once every partition has been read to its end (bounded run, back-fill).
    #[arg(long, env = "SLUICE_UNTIL_END")]
    pub until_end: bool,

    /// Stop after this many messages in total.
    #[arg(long, env = "SLUICE_LIMIT")]
    pub limit: Option<u64>,

    /// Epoch length (250ms, 1s; a bare number is milliseconds): the unit of progress and of
    /// stored positions. Keyed rows are written as they come whatever the epoch; an
    /// append-only table's rows wait for theirs. Shorter epochs store positions more often
    /// (less to read again after a crash), longer ones commit them less.
    #[arg(long, visible_alias = "epoch-ms", value_name = "DURATION", env = "SLUICE_EPOCH",
          value_parser = parse_duration, default_value = "200ms")]
    pub epoch: Duration,

    /// Rows a worker may hold for its next transaction before it stops reading
    /// (back-pressure); the transaction being written holds at most as many again.
    #[arg(long, env = "SLUICE_MAX_ROWS_IN_FLIGHT", default_value_t = 100_000)]
    pub max_rows_in_flight: u64,

    /// Rows per INSERT statement (capped at 65,535 placeholders).
    #[arg(long, env = "SLUICE_ROWS_PER_STATEMENT", default_value_t = 10_000)]
    pub rows_per_statement: usize,

    /// Extra librdkafka consumer property, e.g. -X fetch.wait.max.ms=50 (repeatable); wins over
    /// the job file's `[kafka]` table, --kafka-config and SLUICE_KAFKA_* variables
    /// (SLUICE_KAFKA_SASL_PASSWORD sets sasl.password), which keep credentials off the command
    /// line.
    #[arg(short = 'X', value_name = "KEY=VALUE")]
    pub kafka_option: Vec<String>,

    /// A librdkafka properties file (key=value lines, # comments), e.g. the SASL/SSL settings
    /// and credentials; SLUICE_KAFKA_* variables and -X win over it.
    #[arg(long, value_name = "FILE", env = FILE_ENV, hide_env_values = true)]
    pub kafka_config: Option<PathBuf>,

    /// Apply the sink table's migrations (compiled into this binary) before starting.
    #[arg(long, env = "SLUICE_MIGRATE")]
    pub migrate: bool,

    /// How late (in event time) a record may arrive and still count in its window (30s, 5m;
    /// a bare number is milliseconds); overrides #[message(event_time, max_delay = "...")].
    #[arg(long, visible_alias = "max-delay-ms", value_name = "DURATION",
          env = "SLUICE_MAX_DELAY", value_parser = parse_duration)]
    pub max_delay: Option<Duration>,

    /// A partition without messages for this long stops holding event time back.
    #[arg(long, visible_alias = "idle-timeout-ms", value_name = "DURATION",
          env = "SLUICE_IDLE_TIMEOUT", value_parser = parse_duration, default_value = "5s")]
    pub idle_timeout: Duration,

    /// How far ahead of the wall clock an event time may lie before the record is a dead
    /// letter (kind `future`); overrides #[message(event_time, max_future = "...")].
    #[arg(long, visible_alias = "max-future-ms", value_name = "DURATION",
          env = "SLUICE_MAX_FUTURE", value_parser = parse_duration)]
    pub max_future: Option<Duration>,

    /// When a stored offset is no longer in its partition (retention passed it): stop with an
    /// error, or go on from the earliest or latest message still there.
    #[arg(long, value_enum, env = "SLUICE_ON_OFFSET_OUT_OF_RANGE", default_value_t = OffsetReset::Fail)]
    pub on_offset_out_of_range: OffsetReset,

    /// Stop once more than this share of the messages consumed are dead letters (0.0-1.0),
    /// counted after the first 1,000 messages [default: no limit].
    #[arg(long, env = "SLUICE_MAX_DEAD_LETTER_RATIO")]
    pub max_dead_letter_ratio: Option<f64>,

    /// How often to look for partitions added to the topic (0 turns it off).
    #[arg(long, value_name = "DURATION", env = "SLUICE_PARTITION_DISCOVERY",
          value_parser = parse_duration, default_value = "10s")]
    pub partition_discovery: Duration,

    /// Connect to everything the job uses (brokers, topics, tables, privileges, bookkeeping
    /// tables) and verify it without moving data; exit 0, or 1 after listing every problem.
    #[arg(long, env = "SLUICE_CHECK")]
    pub check: bool,

    /// Print the dataflow (source, operators, outputs) as a Mermaid flowchart or Graphviz DOT,
    /// and exit without connecting to anything.
    #[arg(long, value_enum, value_name = "FORMAT", env = "SLUICE_PRINT_GRAPH")]
    pub print_graph: Option<GraphFormat>,

    /// Serve Prometheus metrics on this address (e.g. 0.0.0.0:9184) while the job runs.
    #[arg(long, value_name = "ADDR", env = "SLUICE_METRICS_ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,

    /// Progress: a live line when stderr is a terminal (auto), always (line), log lines
    /// (log), or none (off).
    #[arg(long, value_enum, env = "SLUICE_PROGRESS", default_value_t = Progress::Auto)]
    pub progress: Progress,

    /// How often a progress log line is written when there is no live line.
    #[arg(long, value_name = "DURATION", env = "SLUICE_PROGRESS_EVERY",
          value_parser = parse_duration, default_value = "10s")]
    pub progress_every: Duration,

    /// Log lines as text, or as one JSON object per line for log shippers.
    #[arg(long, value_enum, env = "SLUICE_LOG_FORMAT", default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// The `[kafka]` properties of the job file: applied first, every other origin wins.
    #[arg(skip)]
    pub job_file_kafka: Vec<(String, String)>,
}

/// A duration flag: `250ms`, `5s`, `2m`, `1h`, `1d`, or a bare number of milliseconds.
fn parse_duration(text: &str) -> std::result::Result<Duration, String> {
    let millis = match text.trim().parse::<u64>() {
        Ok(millis) => Some(millis),
        Err(_) => sluice_schema::parse_duration_millis(text).and_then(|m| u64::try_from(m).ok()),
    };
    millis
        .map(Duration::from_millis)
        .ok_or_else(|| format!("`{text}` is not a duration: write it as 250ms, 5s, 2m, 1h or 1d"))
}

/// `-X key=value` as a pair. A malformed argument is not quoted: it may be a secret.
fn parse_key_value(position: usize, text: &str) -> Result<(String, String)> {
    kafka_properties::property(text).ok_or_else(|| {
        Error::Config(format!(
            "-X expects KEY=VALUE, and the -X argument number {} is not",
            position + 1
        ))
    })
}

/// The librdkafka properties of the properties file (when given), then of the `SLUICE_KAFKA_*`
/// variables: the order in which the generated `main()` applies them, a later one winning.
pub fn kafka_properties_outside_command_line(file: Option<&Path>) -> Result<Vec<(String, String)>> {
    let mut properties = match file {
        Some(path) => read_properties_file(path)?,
        None => Vec::new(),
    };
    properties.extend(kafka_properties::properties_from_env(std::env::vars_os())?);
    Ok(properties)
}

impl Cli {
    /// The cluster `--processes`, `--process` and `--hostfile` describe; `None` for one process.
    fn cluster(&self) -> Result<Option<Cluster>> {
        match (self.processes, &self.hostfile) {
            (0, _) => Err(Error::Config("--processes must be at least 1".into())),
            (1, _) if self.process == 0 => Ok(None),
            (1, _) => Err(Error::Config(format!(
                "--process {} needs --processes: a run of one process is process 0",
                self.process
            ))),
            (processes, Some(path)) => {
                let mut cluster = Cluster::from_hostfile(self.process, processes, path)?;
                cluster.join_timeout = self.cluster_join_timeout;
                Ok(Some(cluster))
            }
            (processes, None) => Err(Error::Config(format!(
                "--processes {processes} needs --hostfile FILE: one HOST:PORT line per process"
            ))),
        }
    }

    /// The run's configuration: the options, with the Kafka properties of `--kafka-config`,
    /// then `SLUICE_KAFKA_*`, then `-X` (a later one winning).
    pub fn into_config(self) -> Result<Config> {
        let cluster = self.cluster()?;
        let mut kafka_options = self.job_file_kafka;
        kafka_options.extend(kafka_properties_outside_command_line(
            self.kafka_config.as_deref(),
        )?);
        for (position, text) in self.kafka_option.iter().enumerate() {
            kafka_options.push(parse_key_value(position, text)?);
        }
        Ok(Config {
            cluster,
            brokers: self.brokers.unwrap_or_default(),
            database_url: self.database_url.unwrap_or_default(),
            workers: self.workers.unwrap_or_else(default_workers),
            from: self.from,
            pipeline_id: self.pipeline_id,
            topic: self.topic,
            amqp_url: self.amqp_url,
            schema_registry_url: self.schema_registry_url,
            until_end: self.until_end,
            limit: self.limit,
            epoch: self.epoch,
            max_epochs_in_flight: Config::default().max_epochs_in_flight,
            max_rows_in_flight: self.max_rows_in_flight,
            rows_per_statement: self.rows_per_statement,
            kafka_options,
            migrate: self.migrate,
            max_delay: self.max_delay,
            idle_timeout: self.idle_timeout,
            max_future: self.max_future,
            on_offset_out_of_range: self.on_offset_out_of_range,
            max_dead_letter_ratio: self.max_dead_letter_ratio,
            dead_letter_grace: Config::default().dead_letter_grace,
            stop_on_signals: true,
            metrics_addr: self.metrics_addr,
            progress: self.progress,
            progress_every: self.progress_every,
            partition_discovery: Some(self.partition_discovery),
        })
    }
}

/// Every option, with the database password and the `-X` values of credential properties
/// shown as `***`.
impl fmt::Debug for Cli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kafka_option: Vec<String> = self
            .kafka_option
            .iter()
            .map(|text| match kafka_properties::property(text) {
                Some((key, value)) => format!(
                    "{key}={}",
                    crate::run::config::secrets::shown_value(&key, &value)
                ),
                None => REDACTED.to_owned(),
            })
            .collect();
        f.debug_struct("Cli")
            .field("config", &self.config)
            .field("brokers", &self.brokers)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("amqp_url", &redact_url(&self.amqp_url))
            .field(
                "schema_registry_url",
                &self.schema_registry_url.as_deref().map(redact_url),
            )
            .field("workers", &self.workers)
            .field("processes", &self.processes)
            .field("process", &self.process)
            .field("hostfile", &self.hostfile)
            .field("cluster_join_timeout", &self.cluster_join_timeout)
            .field("from", &self.from)
            .field("pipeline_id", &self.pipeline_id)
            .field("topic", &self.topic)
            .field("until_end", &self.until_end)
            .field("limit", &self.limit)
            .field("epoch", &self.epoch)
            .field("max_rows_in_flight", &self.max_rows_in_flight)
            .field("rows_per_statement", &self.rows_per_statement)
            .field("kafka_option", &kafka_option)
            .field("kafka_config", &self.kafka_config)
            .field("migrate", &self.migrate)
            .field("max_delay", &self.max_delay)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_future", &self.max_future)
            .field("on_offset_out_of_range", &self.on_offset_out_of_range)
            .field("max_dead_letter_ratio", &self.max_dead_letter_ratio)
            .field("check", &self.check)
            .field("print_graph", &self.print_graph)
            .field("metrics_addr", &self.metrics_addr)
            .field("progress", &self.progress)
            .field("progress_every", &self.progress_every)
            .field("partition_discovery", &self.partition_discovery)
            .field("log_format", &self.log_format)
            .field(
                "job_file_kafka",
                &self
                    .job_file_kafka
                    .iter()
                    .map(|(key, value)| {
                        format!(
                            "{key}={}",
                            crate::run::config::secrets::shown_value(key, value)
                        )
                    })
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// For people: one line per event, coloured on a terminal.
    #[default]
    Text,
    /// For log shippers: one JSON object per line.
    Json,
}

/// Logs to stderr as text, filtered by `RUST_LOG` (default `info`). Safe to call more than once.
pub fn init_tracing() {
    init_tracing_as(LogFormat::Text);
}

/// Logs to stderr in `format`, filtered by `RUST_LOG` (default `info`). The first call wins.
pub fn init_tracing_as(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second initialisation (tests, an embedding application) keeps the first subscriber.
    // No colour codes where stderr is a file or a pipe (a log shipper, a test).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
}

/// Parses the process arguments (and the job file they name), runs `run` and prints its
/// report. An error is returned for `main` to print as one line and exit non-zero; it quotes
/// no secret of the configuration. `version` is the binary's own, shown by `--version`.
pub fn main_with(version: &'static str, entry: Entry) -> Result<()> {
    main_with_args(version, entry, std::env::args_os().collect())
}

/// [`main_with`] reading `args` (the program name first) instead of the process's arguments.
pub fn main_with_args(version: &'static str, entry: Entry, args: Vec<OsString>) -> Result<()> {
    let command = Cli::command()
        .name(entry.name())
        .version(format!("{version} (sluice {})", env!("CARGO_PKG_VERSION")));
    let cli = parse_command_line(command, args)?;
    init_tracing_as(cli.log_format);
    let (print_graph, check) = (cli.print_graph, cli.check);
    let config = cli.into_config()?;
    if let Some(format) = print_graph {
        print!("{}", entry.graph(&config).render(format));
        return Ok(());
    }
    if check {
        let preflight = entry.check(&config);
        print!("{}", preflight.render());
        return match preflight.problems() {
            0 => Ok(()),
            n => Err(Error::Config(format!(
                "--check found {n} problem{}",
                if n == 1 { "" } else { "s" }
            ))),
        };
    }
    let secrets = config.secrets();
    let report = entry
        .run(config)
        .map_err(|error| error.without_secrets(&secrets))?;
    println!("{}", report.summary());
    Ok(())
}

/// The options of `args` (the program name first), completed by the job file `--config`
/// names. `--help`, `--version` and a malformed command line exit the process, as clap does.
pub fn parse_command_line(command: clap::Command, args: Vec<OsString>) -> Result<Cli> {
    let matches = command.clone().get_matches_from(&args);
    let cli = Cli::from_arg_matches(&matches).map_err(|e| Error::Config(e.to_string()))?;
    let Some(path) = cli.config.clone() else {
        return Ok(cli);
    };
    let job = JobFile::read(&path)?;
    let mut completed = args[..1.min(args.len())].to_vec();
    completed.extend(job.arguments(&command, &matches)?);
    completed.extend(args.into_iter().skip(1));
    let matches = command.try_get_matches_from(completed).map_err(|e| {
        // clap's first line says what is wrong; the rest is usage.
        let rendered = e.to_string();
        let first = rendered.lines().next().unwrap_or_default();
        let first = first.strip_prefix("error: ").unwrap_or(first);
        Error::Config(format!("--config {}: {first}", path.display()))
    })?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(|e| Error::Config(e.to_string()))?;
    cli.job_file_kafka = job.kafka;
    Ok(cli)
}
