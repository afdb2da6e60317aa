//! Routes librdkafka's logs and client errors into `tracing` at levels that match what they
//! mean for a sluice source: reaching the end of a partition is routine, not an error.

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::statistics::Statistics;

use crate::run::control::RunControl;
use std::sync::Arc;

#[derive(Debug, Default)]
pub(crate) struct SourceContext {
    /// Everything at debug level: for start-up, whose outcome is reported as one error line.
    pub quiet: bool,
    /// Where the consumer's statistics report each partition's lag.
    pub lag: Option<Arc<RunControl>>,
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

    /// A partition's lag: the last stable offset (what `read_committed` may read up to) past
    /// the position the source has read to. Partitions not yet read are left out.
    fn stats(&self, statistics: Statistics) {
        let Some(control) = &self.lag else { return };
        for (topic, described) in &statistics.topics {
            for partition in described.partitions.values() {
                if partition.partition >= 0 && partition.app_offset >= 0 && partition.ls_offset >= 0
                {
                    let lag = (partition.ls_offset - partition.app_offset).max(0);
                    control.metrics.lag.set(topic, partition.partition, lag);
                }
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
