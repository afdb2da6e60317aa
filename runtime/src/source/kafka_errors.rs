//! What the source does when the consumer reports an error instead of a message.
//!
//! librdkafka retries on its own after network and leadership errors; nothing is skipped, so
//! those are counted and logged. A data error (a corrupt or undecompressable message set)
//! makes librdkafka skip the whole message set, and it does not say which offsets: the run
//! stops instead, so that no offset is ever passed over silently. A position that is no longer
//! in its partition (`auto.offset.reset` is `error`) stops the run too, unless
//! `--on-offset-out-of-range` says where to go on.

use std::time::Duration;

use rdkafka::consumer::Consumer;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::{Offset, TopicPartitionList};

use super::kafka_reader::Reader;
use crate::error::{Error, Result};
use crate::run::config::OffsetReset;

/// How long the reader waits for a partition's watermarks after an out-of-range report.
const WATERMARKS_TIMEOUT: Duration = Duration::from_secs(10);

/// How the source reacts to a consumer error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConsumerErrorClass {
    /// librdkafka fetches the same offsets again once the cause has passed.
    Transient,
    /// A stored or reached position is no longer in its partition.
    OutOfRange,
    /// Messages would be skipped: the run must stop.
    Fatal,
}

pub(crate) fn classify(code: RDKafkaErrorCode) -> ConsumerErrorClass {
    use RDKafkaErrorCode as C;
    match code {
        C::AutoOffsetReset | C::OffsetOutOfRange => ConsumerErrorClass::OutOfRange,
        C::BrokerTransportFailure
        | C::AllBrokersDown
        | C::Resolve
        | C::MessageTimedOut
        | C::OperationTimedOut
        | C::TimedOutQueue
        | C::RequestTimedOut
        | C::NetworkException
        | C::BrokerNotAvailable
        | C::LeaderNotAvailable
        | C::NotLeaderForPartition
        | C::ReplicaNotAvailable
        | C::PreferredLeaderNotAvailable
        | C::KafkaStorageError
        | C::FencedLeaderEpoch
        | C::UnknownLeaderEpoch
        | C::OffsetNotAvailable
        | C::UnknownTopicOrPartition
        | C::ThrottlingQuotaExceeded
        | C::NotEnoughReplicas
        | C::FetchSessionIdNotFound
        | C::InvalidFetchSessionEpoch
        | C::Retry => ConsumerErrorClass::Transient,
        _ => ConsumerErrorClass::Fatal,
    }
}

impl Reader {
    /// Reacts to an error the consumer returned instead of a message; an error stops the run.
    pub(super) fn on_error(&mut self, error: KafkaError) -> Result<()> {
        // A fatal consumer error (or anything but a message error) leaves nothing to retry.
        let class = match &error {
            KafkaError::MessageConsumption(code) => classify(*code),
            _ => ConsumerErrorClass::Fatal,
        };
        match class {
            ConsumerErrorClass::Transient => {
                tracing::warn!(topic = %self.topic, "kafka: {error} (retrying)");
                Ok(())
            }
            ConsumerErrorClass::OutOfRange => self.out_of_range(),
            ConsumerErrorClass::Fatal => Err(self.error(format!(
                "the consumer reported `{error}` instead of a message; librdkafka would skip \
                 the messages concerned without saying which, so the run stops with nothing \
                 committed past them"
            ))),
        }
    }

    fn error(&self, reason: String) -> Error {
        Error::Topic {
            topic: self.topic.to_string(),
            brokers: self.brokers.clone(),
            reason,
        }
    }

    /// A position is no longer in its partition (retention deleted it, or the topic was
    /// recreated). A partition that had no position to keep moves to its first message; one
    /// that had is handled as `--on-offset-out-of-range` says.
    fn out_of_range(&mut self) -> Result<()> {
        let mut gone = Vec::new();
        let mut moves = Vec::new();
        for (&partition, progress) in &self.partitions {
            let Some(position) = progress.position() else {
                continue;
            };
            let (low, high) = self
                .consumer
                .fetch_watermarks(&self.topic, partition, WATERMARKS_TIMEOUT)
                .map_err(|e| Error::kafka(&self.brokers, e))?;
            if (low..=high).contains(&position) {
                continue;
            }
            if !progress.holds_a_position() {
                moves.push((partition, Offset::Beginning));
                continue;
            }
            gone.push(format!(
                "partition {partition} is at offset {position}, but holds offsets {low} to {high}"
            ));
            match self.on_out_of_range {
                OffsetReset::Fail => {}
                OffsetReset::Earliest => moves.push((partition, Offset::Beginning)),
                OffsetReset::Latest => moves.push((partition, Offset::End)),
            }
        }
        if !gone.is_empty() && self.on_out_of_range == OffsetReset::Fail {
            return Err(self.error(format!(
                "{}: retention deleted messages not yet read, or the topic was recreated. \
                 Nothing was skipped; pass --on-offset-out-of-range earliest (or latest) to go \
                 on from there",
                gone.join("; ")
            )));
        }
        for gone in &gone {
            tracing::warn!(topic = %self.topic, policy = ?self.on_out_of_range, "{gone}: moving on");
        }
        if moves.is_empty() {
            // The broker said so but every position is in range: fetch them again.
            moves = self
                .partitions
                .iter()
                .filter_map(|(p, progress)| Some((*p, Offset::Offset(progress.position()?))))
                .collect();
            tracing::warn!(topic = %self.topic, "offset out of range reported for positions in range; fetching again");
        }
        // After an out-of-range error librdkafka's partition refuses a seek: assign again,
        // every partition at the position this reader has reached.
        let mut assignment = TopicPartitionList::new();
        for (&partition, progress) in &self.partitions {
            let moved = moves.iter().find(|(p, _)| *p == partition).map(|(_, o)| *o);
            let offset = moved
                .or(progress.next_offset.map(Offset::Offset))
                .unwrap_or(progress.start);
            assignment
                .add_partition_offset(&self.topic, partition, offset)
                .map_err(|e| Error::kafka(&self.brokers, e))?;
        }
        self.consumer
            .assign(&assignment)
            .map_err(|e| Error::kafka(&self.brokers, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_errors_stop_the_run_and_network_errors_do_not() {
        use RDKafkaErrorCode as C;
        for code in [
            C::BadMessage,
            C::BadCompression,
            C::NotImplemented,
            C::InvalidMessage,
            C::MessageSizeTooLarge,
            C::TopicAuthorizationFailed,
        ] {
            assert_eq!(classify(code), ConsumerErrorClass::Fatal, "{code:?}");
        }
        for code in [
            C::AllBrokersDown,
            C::NotLeaderForPartition,
            C::RequestTimedOut,
        ] {
            assert_eq!(classify(code), ConsumerErrorClass::Transient, "{code:?}");
        }
        assert_eq!(classify(C::AutoOffsetReset), ConsumerErrorClass::OutOfRange);
    }
}
