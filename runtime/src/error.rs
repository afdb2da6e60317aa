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

    /// RabbitMQ could not be reached, or refused what was asked of it.
    #[error("rabbitmq ({server}): {reason}")]
    RabbitMq {
        /// The URL, its password shown as `***`.
        server: String,
        /// What went wrong.
        reason: String,
    },

    /// The Schema Registry could not be reached, or refused the credentials, after the retries
    /// it was allowed: the messages that need it cannot be decoded until it answers.
    #[error("schema registry ({server}): {reason}")]
    SchemaRegistry {
        /// The URL, its password shown as `***`.
        server: String,
        /// What went wrong.
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

    /// Another process of a cluster run stopped, or could not be reached.
    #[error("cluster: {0}")]
    Cluster(String),

    /// A timely worker thread could not be started or panicked.
    #[error("worker: {0}")]
    Worker(String),

    /// More of the input went to the dead-letter table than `--max-dead-letter-ratio` allows.
    #[error(
        "{dead_letters} of {consumed} messages are dead letters, more than --max-dead-letter-ratio {max_ratio}: \
         stopped before committing more; see sluice_dead_letters"
    )]
    DeadLetters {
        /// Dead letters so far.
        dead_letters: u64,
        /// Messages consumed so far.
        consumed: u64,
        /// The ceiling.
        max_ratio: f64,
    },

    /// An error whose text held a secret of the configuration (a password, a credential
    /// property): the text with `***` in the secret's place.
    #[error("{0}")]
    Redacted(String),
}

impl Error {
    pub(crate) fn mysql(table: impl Into<Option<&'static str>>, source: sqlx::Error) -> Self {
        Error::MySql {
            table: table.into().map(str::to_owned),
            source,
        }
    }

    pub(crate) fn kafka(brokers: &str, source: rdkafka::error::KafkaError) -> Self {
        // rdkafka's text of a refused property ends with the value given, which may be a
        // credential (under a misspelt key, too): librdkafka's own reason is enough.
        if let rdkafka::error::KafkaError::ClientConfig(_, reason, key, _) = &source {
            return Error::Config(format!("Kafka property `{key}`: {reason}"));
        }
        Error::Kafka {
            brokers: brokers.to_owned(),
            source,
        }
    }
}

impl Error {
    /// This error, or its text with every one of `secrets` replaced by `***` when it holds
    /// any: what a driver or librdkafka reports may quote what it was given.
    pub(crate) fn without_secrets<S: AsRef<str>>(self, secrets: &[S]) -> Self {
        let text = self.to_string();
        let found = secrets
            .iter()
            .map(AsRef::as_ref)
            .filter(|secret| !secret.is_empty() && text.contains(secret));
        let mut redacted: Option<String> = None;
        for secret in found {
            let current = redacted.as_deref().unwrap_or(&text);
            redacted = Some(current.replace(secret, crate::run::config::secrets::REDACTED));
        }
        match redacted {
            Some(text) => Error::Redacted(text),
            None => self,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_quoting_a_secret_is_redacted_and_others_are_kept() {
        let quoting = Error::Config("login as app with hunter2 failed".into());
        let redacted = quoting.without_secrets(&["hunter2", "unused"]);
        assert!(matches!(redacted, Error::Redacted(_)));
        assert_eq!(
            redacted.to_string(),
            "configuration: login as app with *** failed"
        );

        let plain = Error::Config("no brokers".into()).without_secrets(&["hunter2"]);
        assert!(matches!(plain, Error::Config(_)));
    }
}
