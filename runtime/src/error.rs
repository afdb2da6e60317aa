//! Errors of a running pipeline.

use std::fmt;

/// The result type of everything in sluice that can fail at run time.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a pipeline could not start or had to stop.
///
/// Each variant carries the context an operator needs to act on it: the broker list, the
/// topic and partition, the table. Its `Display` is one line, fit for a log or a terminal.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The command line or configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),

    /// The Kafka client could not be created or the brokers did not answer.
    #[error("kafka ({brokers}): {source}")]
    Kafka {
        /// The bootstrap servers the client was given.
        brokers: String,
        /// What librdkafka reported.
        #[source]
        source: rdkafka::error::KafkaError,
    },

    /// The topic a source reads does not exist or has no partitions.
    #[error("kafka topic `{topic}` on {brokers}: {reason}")]
    Topic {
        /// The topic the source was configured with.
        topic: String,
        /// The bootstrap servers the client was given.
        brokers: String,
        /// Why the topic cannot be read.
        reason: String,
    },

    /// A statement against MySQL failed after the retries it was allowed.
    #[error("mysql{}: {source}", Context(.table))]
    MySql {
        /// The table the statement wrote, when there is one.
        table: Option<String>,
        /// What the driver reported.
        #[source]
        source: sqlx::Error,
    },

    /// The live table does not match what the row struct was compiled against, or cannot hold
    /// its rows.
    #[error("table `{table}` does not match the row struct: {problems}")]
    Schema {
        /// The table checked.
        table: String,
        /// Every difference found, separated by `; `.
        problems: String,
    },

    /// Applying the migrations (`--migrate`) failed.
    #[error("migrations of `{table}`: {reason}")]
    Migrate {
        /// The table whose migrations were applied.
        table: String,
        /// What went wrong.
        reason: String,
    },

    /// A timely worker thread could not be started or panicked.
    #[error("worker: {0}")]
    Worker(String),
}

impl Error {
    pub(crate) fn mysql(table: impl Into<Option<&'static str>>, source: sqlx::Error) -> Self {
        Error::MySql {
            table: table.into().map(str::to_owned),
            source,
        }
    }

    pub(crate) fn kafka(brokers: &str, source: rdkafka::error::KafkaError) -> Self {
        Error::Kafka {
            brokers: brokers.to_owned(),
            source,
        }
    }
}

struct Context<'a>(&'a Option<String>);

impl fmt::Display for Context<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(table) => write!(f, " (table `{table}`)"),
            None => Ok(()),
        }
    }
}

/// One line, like `Display`, so that `fn main() -> sluice::Result<()>` prints a readable error.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
