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

use super::decode_payload::Decoding;
use super::kafka_context::SourceContext;
use super::kafka_partitions::PartitionWatch;
use super::kafka_reader::{Polled, Reader};
use crate::contract::message::Message;
use crate::dataflow::item::{Item, Watermark};
use crate::dataflow::worker::{BacklogLimit, WorkerShared};
use crate::delivery::{Epoch, EpochClock};
use crate::error::{Error, Result};
use crate::run::config::kafka_properties::client_config;
use crate::run::config::{OffsetReset, StartFrom};

/// How long start-up waits for the brokers to describe the topic.
const METADATA_TIMEOUT: Duration = Duration::from_secs(10);
/// How soon an idle source looks for new messages again.
const IDLE_POLL: Duration = Duration::from_millis(2);

/// What every worker's source needs to know, decided once at start-up.
#[derive(Debug)]
pub struct KafkaSourcePlan {
    pub(crate) brokers: String,
    pub(crate) topic: Arc<str>,
    pub(crate) group: String,
    /// Every partition of the topic and where to start reading it.
    pub(crate) starts: Vec<Start>,
    /// What to do when a position is no longer in its partition.
    pub(crate) on_out_of_range: OffsetReset,
    /// How far ahead of the wall clock an event time may lie, in milliseconds, when the
    /// pipeline has windows (otherwise event time decides nothing and is not checked).
    pub(crate) decoding: Decoding,
    pub(crate) until_end: bool,
    pub(crate) options: Vec<(String, String)>,
    pub(crate) clock: EpochClock,
    /// The source pauses while its sink holds more than this.
    pub(crate) backlog_limit: BacklogLimit,
    /// How far behind the largest event time seen a partition's records may still arrive.
    pub(crate) max_delay: i64,
    /// A partition without messages for this long stops holding the watermark back.
    pub(crate) idle_timeout: Duration,
    /// How many partitions the topic has now.
    pub(crate) partitions: PartitionWatch,
    /// How often partitions are looked for; `None`: never.
    pub(crate) discovery_every: Option<Duration>,
}

/// The consumer properties delivery depends on, set by [`consumer_config`] and refused from
/// `-X`, `--kafka-config` and `SLUICE_KAFKA_*`, each with what to use instead.
pub(crate) const RESERVED_PROPERTIES: [(&str, &str); 9] = [
    ("bootstrap.servers", "use --brokers"),
    ("metadata.broker.list", "use --brokers"),
    ("group.id", "use --pipeline-id"),
    (
        "enable.auto.commit",
        "sluice stores offsets in MySQL, in the transaction of the rows they produced",
    ),
    (
        "auto.commit.enable",
        "sluice stores offsets in MySQL, in the transaction of the rows they produced",
    ),
    (
        "enable.auto.offset.store",
        "sluice stores offsets in MySQL, in the transaction of the rows they produced",
    ),
    (
        "isolation.level",
        "sluice reads committed messages only (read_committed)",
    ),
    (
        "enable.partition.eof",
        "sluice needs partition ends for --until-end and idle partitions",
    ),
    (
        "auto.offset.reset",
        "use --from for where to start and --on-offset-out-of-range for a position that is gone",
    ),
];

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
        // Messages of aborted or open producer transactions are never read.
        .set("isolation.level", "read_committed")
        // A position that is gone is reported, not silently replaced: see `Reader::reset`.
        .set("auto.offset.reset", "error")
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

/// A client of consumer group `group` that never joins it: it reads and commits the group's
/// positions only.
pub(crate) fn group_client(
    brokers: &str,
    options: &[(String, String)],
    group: &str,
) -> Result<BaseConsumer<SourceContext>> {
    let mut client = client_config(brokers, options);
    client
        .set("group.id", group)
        .set("enable.auto.commit", "false");
    client
        .create_with_context(SourceContext {
            quiet: true,
            lag: None,
        })
        .map_err(|e| Error::kafka(brokers, e))
}

/// The positions the pipeline's consumer group holds for `partitions` of `topic`: where a
/// Kafka output's transactions stored them.
pub(crate) fn group_offsets(
    config: &crate::run::config::Config,
    group: &str,
    topic: &str,
    partitions: &[i32],
) -> Result<Vec<(i32, i64)>> {
    let consumer = group_client(&config.brokers, &config.kafka_options, group)?;
    let mut wanted = rdkafka::TopicPartitionList::new();
    for partition in partitions {
        wanted.add_partition(topic, *partition);
    }
    let committed = consumer
        .committed_offsets(wanted, METADATA_TIMEOUT)
        .map_err(|e| Error::kafka(&config.brokers, e))?;
    Ok(committed
        .elements()
        .iter()
        .filter_map(|element| match element.offset() {
            Offset::Offset(next) => Some((element.partition(), next)),
            _ => None,
        })
        .collect())
}

/// Where one partition starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Start {
    pub partition: i32,
    pub offset: Offset,
    /// The offset was stored by an earlier run: if it is gone, data was lost.
    pub committed: bool,
}

/// Where each partition starts, from `--from` and the offsets stored by earlier runs.
///
/// The beginning is asked for as offset 0: an explicit offset is fetched at once, where
/// `Offset::Beginning` costs a round of offset lookups (half a second with librdkafka's
/// defaults). If retention has deleted offset 0, the reader moves to the first offset still
/// stored: no committed position is lost by that.
pub(crate) fn start_offsets(
    partitions: &[i32],
    from: StartFrom,
    stored: &[(i32, i64)],
) -> Vec<Start> {
    partitions
        .iter()
        .map(|&partition| {
            let committed = stored
                .iter()
                .find(|(p, _)| *p == partition)
                .map(|(_, o)| *o);
            let (offset, committed) = match (from, committed) {
                (StartFrom::Committed, Some(next)) => (Offset::Offset(next), true),
                (StartFrom::Committed | StartFrom::Earliest, _) => (Offset::Offset(0), false),
                (StartFrom::Latest, _) => (Offset::End, false),
            };
            Start {
                partition,
                offset,
                committed,
            }
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
            let reader = match Reader::open(&plan, (index, peers), &shared.control) {
                Ok(reader) => Some(reader),
                Err(error) => {
                    shared.control.fail(error);
                    None
                }
            };
            let mut capability = reader.is_some().then_some(capability);
            let mut reader = reader;
            let clock = plan.clock.clone();
            let mut watermark = i64::MIN;
            let source = u32::try_from(index).unwrap_or(u32::MAX);
            move |output| {
                let (Some(cap), Some(open)) = (capability.as_mut(), reader.as_mut()) else {
                    return;
                };
                let control = &shared.control;
                let mut ledger = shared.ledger.borrow_mut();
                if let Err(error) = open.adopt_new_partitions(plan.partitions.count()) {
                    control.fail(error);
                }

                let now = clock.now();
                let finished = control.stop_requested()
                    || control.failed()
                    || (plan.until_end && open.all_at_end());
                if now > *cap.time() || finished {
                    // The epoch ends: its watermark, then its offsets. Input that ends
                    // closes every window; a shutdown leaves open windows to the next run.
                    let reached = if finished && !control.shutdown_requested() {
                        Some(i64::MAX)
                    } else {
                        open.watermark(plan.max_delay, plan.idle_timeout, plan.until_end)
                    };
                    if let Some(reached) = reached.filter(|w| *w > watermark) {
                        watermark = reached;
                        output.session(cap).give(Item::Watermark(Watermark {
                            source,
                            to: source,
                            millis: watermark,
                        }));
                    }
                    ledger.close(*cap.time(), open.take_changed());
                    if let Err(error) = control.dead_letters.check(&control.metrics) {
                        control.fail(error);
                    }
                    if finished {
                        capability = None;
                        if let Some(done) = reader.take() {
                            done.close_in_background();
                        }
                        return;
                    }
                    cap.downgrade(&now);
                }

                let backlog = shared.sink_backlog();
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
                    open.read_batch::<M>(give, room, &mut ledger, control)
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

    fn start(partition: i32, offset: Offset, committed: bool) -> Start {
        Start {
            partition,
            offset,
            committed,
        }
    }

    #[test]
    fn committed_offsets_win_over_the_fallback() {
        let starts = start_offsets(&[0, 1], StartFrom::Committed, &[(1, 42)]);
        assert_eq!(
            starts,
            vec![
                start(0, Offset::Offset(0), false),
                start(1, Offset::Offset(42), true)
            ]
        );
    }

    #[test]
    fn earliest_and_latest_ignore_stored_offsets() {
        assert_eq!(
            start_offsets(&[0], StartFrom::Earliest, &[(0, 42)]),
            vec![start(0, Offset::Offset(0), false)]
        );
        assert_eq!(
            start_offsets(&[0], StartFrom::Latest, &[(0, 42)]),
            vec![start(0, Offset::End, false)]
        );
    }
}
