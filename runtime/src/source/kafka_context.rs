//! Routes librdkafka's logs and client errors into `tracing` at levels that match what they
//! mean for a sluice source: reaching the end of a partition is routine, not an error.

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

#[derive(Debug, Default)]
pub(crate) struct SourceContext {
    /// Everything at debug level: for start-up, whose outcome is reported as one error line.
    pub quiet: bool,
}

impl ClientContext for SourceContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        if self.quiet {
            tracing::debug!(target: "librdkafka", "{facility}: {message}");
            return;
        }
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error => {
                tracing::error!(target: "librdkafka", "{facility}: {message}")
            }
            RDKafkaLogLevel::Warning => {
                tracing::warn!(target: "librdkafka", "{facility}: {message}")
            }
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::info!(target: "librdkafka", "{facility}: {message}")
            }
            RDKafkaLogLevel::Debug => {
                tracing::debug!(target: "librdkafka", "{facility}: {message}")
            }
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if self.quiet {
            tracing::debug!(target: "librdkafka", "{error}: {reason}");
            return;
        }
        match error {
            KafkaError::PartitionEOF(_) | KafkaError::Global(RDKafkaErrorCode::PartitionEOF) => {
                tracing::trace!(target: "librdkafka", "{reason}")
            }
            // librdkafka reconnects by itself; say so once per event, without alarm.
            _ => tracing::warn!(target: "librdkafka", "{error}: {reason}"),
        }
    }
}

impl ConsumerContext for SourceContext {}
