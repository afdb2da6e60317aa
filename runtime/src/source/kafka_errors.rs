//! What the source does when the consumer reports an error instead of a message.
//!
//! librdkafka retries on its own after network and leadership errors; nothing is skipped, so
//! those are counted and logged. A data error (a corrupt or undecompressable message set)
//! makes librdkafka skip the whole message set, and it does not say which offsets: the run
//! stops instead, so that no offset is ever passed over silently.

use rdkafka::error::RDKafkaErrorCode;

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
