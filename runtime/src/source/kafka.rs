//! The Kafka source: explicit partition assignment, one consumer per worker.
//!
//! Partition `p` belongs to worker `p % peers`. There is no consumer group and no rebalancing:
//! the start offsets come from `sluice_offsets`, so a restart resumes exactly where the last
//! committed transaction ended.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::Offset;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::operators::generic::operator::source;
use timely::dataflow::{Scope, StreamVec};

use super::kafka_context::SourceContext;
use super::kafka_reader::{Polled, Reader};
use crate::config::StartFrom;
use crate::delivery::{Epoch, EpochClock};
use crate::error::{Error, Result};
use crate::item::{Item, Watermark};
use crate::message::Message;
use crate::worker::{BacklogLimit, WorkerShared};

/// How long start-up waits for the brokers to describe the topic.
const METADATA_TIMEOUT: Duration = Duration::from_secs(10);
/// How soon an idle source looks for new messages again.
const IDLE_POLL: Duration = Duration::from_millis(2);

/// What every worker's source needs to know, decided once at start-up.
#[derive(Debug)]
pub(crate) struct KafkaSourcePlan {
    pub brokers: String,
    pub topic: Arc<str>,
    pub group: String,
    /// Every partition of the topic and where to start reading it.
    pub starts: Vec<(i32, Offset)>,
    pub until_end: bool,
    pub options: Vec<(String, String)>,
    pub clock: EpochClock,
    /// The source pauses while its sink holds more than this.
    pub backlog_limit: BacklogLimit,
    /// How far behind the largest event time seen a partition's records may still arrive.
    pub max_delay: i64,
    /// A partition without messages for this long stops holding the watermark back.
    pub idle_timeout: Duration,
}

/// Consumer settings tuned for throughput with explicit assignment. A bounded run detects the
/// end of a partition by an empty fetch, which the broker holds for `fetch.wait.max.ms`: keep
/// that short there.
pub(crate) fn consumer_config(
    brokers: &str,
    group: &str,
    until_end: bool,
    options: &[(String, String)],
) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "earliest")
        .set("queued.min.messages", "50000")
        // librdkafka's default (64 MB per consumer) dominates resident memory otherwise.
        .set("queued.max.messages.kbytes", "16384")
        .set("fetch.queue.backoff.ms", "5")
        .set("fetch.wait.max.ms", if until_end { "10" } else { "100" })
        .set("fetch.error.backoff.ms", "100");
    for (key, value) in options {
        config.set(key, value);
    }
    config
}

/// The partitions of `topic`, or an error that says why it cannot be read.
pub(crate) fn discover_partitions(
    brokers: &str,
    topic: &str,
    options: &[(String, String)],
) -> Result<Vec<i32>> {
    // No group: closing a group member on drop costs a round trip start-up need not wait for.
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", brokers);
    for (key, value) in options {
        config.set(key, value);
    }
    let consumer: BaseConsumer<SourceContext> = config
        .create_with_context(SourceContext { quiet: true })
        .map_err(|e| Error::kafka(brokers, e))?;
    let metadata = consumer
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

/// Where each partition starts, from `--from` and the offsets stored by earlier runs.
///
/// The beginning is asked for as offset 0: an explicit offset is fetched at once, where
/// `Offset::Beginning` costs a round of offset lookups (half a second with librdkafka's
/// defaults). If retention has deleted offset 0, `auto.offset.reset = earliest` applies.
pub(crate) fn start_offsets(
    partitions: &[i32],
    from: StartFrom,
    stored: &[(i32, i64)],
) -> Vec<(i32, Offset)> {
    partitions
        .iter()
        .map(|&partition| {
            let committed = stored
                .iter()
                .find(|(p, _)| *p == partition)
                .map(|(_, o)| *o);
            let offset = match (from, committed) {
                (StartFrom::Committed, Some(next)) => Offset::Offset(next),
                (StartFrom::Committed | StartFrom::Earliest, _) => Offset::Offset(0),
                (StartFrom::Latest, _) => Offset::End,
            };
            (partition, offset)
        })
        .collect()
}

/// Builds the source operator of one worker.
pub(crate) fn kafka_source<'scope, M: Message>(
    scope: Scope<'scope, Epoch>,
    plan: Arc<KafkaSourcePlan>,
    shared: std::rc::Rc<WorkerShared>,
) -> StreamVec<'scope, Epoch, Item<M>> {
    let index = scope.index();
    let peers = scope.peers();
    source::<_, CapacityContainerBuilder<Vec<Item<M>>>, _, _>(
        scope,
        "KafkaSource",
        move |capability, info| {
            let activator = scope.activator_for(info.address);
            let reader = match Reader::open(&plan, index, peers) {
                Ok(reader) => Some(reader),
                Err(error) => {
                    shared.control.fail(error);
                    None
                }
            };
            let mut capability = reader.is_some().then_some(capability);
            let mut reader = reader;
            let clock = plan.clock;
            let mut watermark = i64::MIN;
            let source = u32::try_from(index).unwrap_or(u32::MAX);
            move |output| {
                let (Some(cap), Some(reader)) = (capability.as_mut(), reader.as_mut()) else {
                    return;
                };
                let control = &shared.control;
                let mut ledger = shared.ledger.borrow_mut();

                let now = clock.now();
                let finished = control.stop_requested()
                    || control.failed()
                    || (plan.until_end && reader.all_at_end());
                if now > *cap.time() || finished {
                    // The epoch ends: its watermark, then its offsets. Input that ends
                    // closes every window; a shutdown leaves open windows to the next run.
                    let reached = if finished && !control.shutdown_requested() {
                        Some(i64::MAX)
                    } else {
                        reader.watermark(plan.max_delay, plan.idle_timeout, plan.until_end)
                    };
                    if let Some(reached) = reached.filter(|w| *w > watermark) {
                        watermark = reached;
                        output.session(cap).give(Item::Watermark(Watermark {
                            source,
                            to: source,
                            millis: watermark,
                        }));
                    }
                    ledger.close(*cap.time(), reader.take_changed());
                    if finished {
                        capability = None;
                        return;
                    }
                    cap.downgrade(&now);
                }

                let backlog = shared.sink_backlog.get();
                if backlog.exceeds(plan.backlog_limit) {
                    activator.activate_after(IDLE_POLL);
                    return;
                }
                // No further past the bound than the sink can hold.
                let room = plan.backlog_limit.rows.saturating_sub(backlog.rows);
                let room = usize::try_from(room).unwrap_or(usize::MAX);

                let polled = {
                    let mut session = output.session(cap);
                    let give = |record| session.give(record);
                    reader.read_batch::<M>(give, room, &mut ledger, control)
                };
                match polled {
                    Polled::Busy => activator.activate(),
                    Polled::Idle => {
                        activator.activate_after(IDLE_POLL.min(clock.until_after(*cap.time())))
                    }
                    Polled::BudgetSpent => {
                        control.request_stop();
                        activator.activate();
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_offsets_win_over_the_fallback() {
        let starts = start_offsets(&[0, 1], StartFrom::Committed, &[(1, 42)]);
        assert_eq!(
            starts,
            vec![(0, Offset::Offset(0)), (1, Offset::Offset(42))]
        );
    }

    #[test]
    fn earliest_and_latest_ignore_stored_offsets() {
        assert_eq!(
            start_offsets(&[0], StartFrom::Earliest, &[(0, 42)]),
            vec![(0, Offset::Offset(0))]
        );
        assert_eq!(
            start_offsets(&[0], StartFrom::Latest, &[(0, 42)]),
            vec![(0, Offset::End)]
        );
    }
}
