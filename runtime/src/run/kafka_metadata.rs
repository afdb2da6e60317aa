//! What the brokers say about a topic: its partitions. Sources read it at start-up and while
//! they run (partition discovery); sinks and `--check` to verify a topic exists.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::error::{Error, Result};
use crate::run::config::kafka_properties::client_config;
use crate::source::kafka_context::SourceContext;

/// How long a metadata request waits for the brokers.
const METADATA_TIMEOUT: Duration = Duration::from_secs(10);

/// The partitions of `topic`, or an error that says why it cannot be read.
pub(crate) fn discover_partitions(
    brokers: &str,
    topic: &str,
    options: &[(String, String)],
) -> Result<Vec<i32>> {
    partitions_of(&metadata_client(brokers, options)?, brokers, topic)
}

/// A client that only reads metadata: no group, so that closing it costs no round trip.
pub(crate) fn metadata_client(
    brokers: &str,
    options: &[(String, String)],
) -> Result<BaseConsumer<SourceContext>> {
    client_config(brokers, options)
        .create_with_context(SourceContext {
            quiet: true,
            lag: None,
        })
        .map_err(|e| Error::kafka(brokers, e))
}

/// The partitions of `topic` as `client` finds them in the brokers' metadata, sorted.
pub(crate) fn partitions_of(
    client: &BaseConsumer<SourceContext>,
    brokers: &str,
    topic: &str,
) -> Result<Vec<i32>> {
    let metadata = client
        .fetch_metadata(Some(topic), METADATA_TIMEOUT)
        .map_err(|e| Error::Topic {
            topic: topic.to_owned(),
            brokers: brokers.to_owned(),
            reason: format!("no metadata within {METADATA_TIMEOUT:?}: {e}"),
        })?;
    let topic_error = |reason: String| Error::Topic {
        topic: topic.to_owned(),
        brokers: brokers.to_owned(),
        reason,
    };
    let described = metadata
        .topics()
        .iter()
        .find(|t| t.name() == topic)
        .ok_or_else(|| topic_error("not in the brokers' metadata".into()))?;
    if let Some(error) = described.error() {
        return Err(topic_error(format!(
            "{}",
            rdkafka::error::RDKafkaErrorCode::from(error)
        )));
    }
    let mut partitions: Vec<i32> = described.partitions().iter().map(|p| p.id()).collect();
    if partitions.is_empty() {
        return Err(topic_error("the topic has no partitions".into()));
    }
    partitions.sort_unstable();
    Ok(partitions)
}
