//! One worker's consumer: its partitions, their progress, and the decoding of a batch.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message as _};
use rdkafka::{Offset, TopicPartitionList};

use super::decode_payload::{Decoded, Decoding, future_limit};
use super::kafka::{KafkaSourcePlan, consumer_config};
use super::kafka_context::SourceContext;
use crate::contract::message::Message;
use crate::dataflow::item::{Item, Origin};
use crate::dead_letter::{CappedBytes, DeadLetter, DeadLetterKind};
use crate::delivery::{Ledger, OffsetUpdate};
use crate::error::{Error, Result};
use crate::run::config::OffsetReset;
use crate::run::control::RunControl;
use crate::run::report::Metrics;

/// Messages handled per activation before the worker gets to run other operators.
const MESSAGES_PER_ACTIVATION: usize = 8_192;

/// Per-partition progress of one worker's consumer.
#[derive(Debug)]
pub(super) struct PartitionProgress {
    /// Where reading started: an offset stored by an earlier run, or a fallback.
    pub start: Offset,
    /// `start` was stored by an earlier run: if it is gone, data was lost.
    pub start_committed: bool,
    pub next_offset: Option<i64>,
    changed: bool,
    at_end: bool,
    /// The largest event time read so far.
    max_event_time: i64,
    /// When the last message was read (or the reader opened).
    last_message: Instant,
    /// Taken on while the job runs, and neither a message nor its end read yet: its first
    /// fetch may take longer than the idle timeout, and until it comes the partition holds
    /// the watermark back, so that its first records are not late.
    awaiting_first_fetch: bool,
}

impl PartitionProgress {
    fn new(start: Offset, start_committed: bool) -> Self {
        PartitionProgress {
            start,
            start_committed,
            next_offset: None,
            changed: false,
            at_end: false,
            max_event_time: i64::MIN,
            last_message: Instant::now(),
            awaiting_first_fetch: false,
        }
    }

    /// The offset the consumer is at, when it is a number.
    pub fn position(&self) -> Option<i64> {
        match (self.next_offset, self.start) {
            (Some(next), _) => Some(next),
            (None, Offset::Offset(start)) => Some(start),
            _ => None,
        }
    }

    /// Whether moving this partition elsewhere would pass over messages: it had read some, or
    /// it resumed from a stored position.
    pub fn holds_a_position(&self) -> bool {
        self.next_offset.is_some() || self.start_committed
    }
}

/// The worker's share of the topic.
pub(crate) struct Reader {
    pub(super) consumer: BaseConsumer<SourceContext>,
    pub(super) topic: Arc<str>,
    pub(super) brokers: String,
    pub(super) partitions: BTreeMap<i32, PartitionProgress>,
    pub(super) on_out_of_range: OffsetReset,
    decoding: Decoding,
    /// This worker's place among the workers: which partitions it owns.
    index: usize,
    peers: usize,
    /// Partitions `0..known` have been considered.
    known: i32,
}

/// How often a consumer reports its partitions' lag.
const STATISTICS_EVERY_MS: &str = "1000";

impl Reader {
    /// Lets the consumer go without holding up the worker: closing a librdkafka client waits
    /// for its threads to notice (about 100 ms here), and the worker would move nothing
    /// meanwhile. Nothing is committed through the consumer, so nothing waits for the close.
    pub fn close_in_background(self) {
        // When no thread can be started, the closure and the reader in it are dropped here.
        let _ = std::thread::Builder::new()
            .name("sluice-close".into())
            .spawn(move || drop(self));
    }

    pub fn open(
        plan: &KafkaSourcePlan,
        (index, peers): (usize, usize),
        control: &Arc<RunControl>,
    ) -> Result<Reader> {
        let owned: Vec<_> = plan
            .starts
            .iter()
            .filter(|s| usize::try_from(s.partition).is_ok_and(|p| p % peers == index))
            .copied()
            .collect();
        let mut config = consumer_config(&plan.brokers, &plan.group, plan.until_end, &[]);
        // Statistics give each partition's lag; the user's properties may still change it.
        config.set("statistics.interval.ms", STATISTICS_EVERY_MS);
        // A partition found by discovery is fetched once the consumer's own metadata knows it.
        if let Some(every) = plan.discovery_every {
            config.set(
                "topic.metadata.refresh.interval.ms",
                every.as_millis().clamp(100, 300_000).to_string(),
            );
        }
        for (key, value) in &plan.options {
            config.set(key, value);
        }
        let consumer: BaseConsumer<SourceContext> = config
            .create_with_context(SourceContext {
                quiet: false,
                lag: Some(Arc::clone(control)),
            })
            .map_err(|e| Error::kafka(&plan.brokers, e))?;
        let mut assignment = TopicPartitionList::new();
        for start in &owned {
            assignment
                .add_partition_offset(&plan.topic, start.partition, start.offset)
                .map_err(|e| Error::kafka(&plan.brokers, e))?;
        }
        if !owned.is_empty() {
            consumer
                .assign(&assignment)
                .map_err(|e| Error::kafka(&plan.brokers, e))?;
        }
        tracing::debug!(worker = index, partitions = ?owned, topic = %plan.topic, "assigned");
        Ok(Reader {
            consumer,
            topic: Arc::clone(&plan.topic),
            brokers: plan.brokers.clone(),
            partitions: owned
                .into_iter()
                .map(|s| (s.partition, PartitionProgress::new(s.offset, s.committed)))
                .collect(),
            on_out_of_range: plan.on_out_of_range,
            decoding: plan.decoding.clone(),
            index,
            peers,
            known: plan
                .starts
                .iter()
                .map(|s| s.partition + 1)
                .max()
                .unwrap_or(0),
        })
    }

    /// Takes on the partitions added since the last call that this worker owns, from their
    /// beginning: everything in a partition created during the run is new.
    pub fn adopt_new_partitions(&mut self, count: i32) -> Result<()> {
        if count <= self.known {
            return Ok(());
        }
        let added: Vec<i32> = (self.known..count)
            .filter(|p| usize::try_from(*p).is_ok_and(|p| p % self.peers == self.index))
            .collect();
        self.known = count;
        if added.is_empty() {
            return Ok(());
        }
        let mut assignment = TopicPartitionList::new();
        for partition in &added {
            assignment
                .add_partition_offset(&self.topic, *partition, Offset::Beginning)
                .map_err(|e| Error::kafka(&self.brokers, e))?;
        }
        self.consumer
            .incremental_assign(&assignment)
            .map_err(|e| Error::kafka(&self.brokers, e))?;
        for partition in added {
            let mut progress = PartitionProgress::new(Offset::Beginning, false);
            progress.awaiting_first_fetch = true;
            self.partitions.insert(partition, progress);
            tracing::info!(partition, topic = %self.topic, "reading a new partition");
        }
        Ok(())
    }

    pub fn all_at_end(&self) -> bool {
        self.partitions.values().all(|p| p.at_end)
    }

    /// The event time below which no more records are expected from this worker's partitions:
    /// the minimum over its partitions of their largest event time minus `max_delay`.
    /// A partition without messages for `idle_timeout` (or, in a bounded run, read to its end)
    /// stops holding it back; when every partition is idle, those that had data decide.
    /// `None` when nothing is known yet.
    pub fn watermark(&self, max_delay: i64, idle_timeout: Duration, bounded: bool) -> Option<i64> {
        if self.partitions.is_empty() || (bounded && self.all_at_end()) {
            return Some(i64::MAX);
        }
        let mark = |p: &PartitionProgress| p.max_event_time.saturating_sub(max_delay);
        let active = self
            .partitions
            .values()
            .filter(|p| {
                !(bounded && p.at_end)
                    && (p.awaiting_first_fetch || p.last_message.elapsed() < idle_timeout)
            })
            .map(mark)
            .min();
        active.or_else(|| {
            self.partitions
                .values()
                .filter(|p| p.max_event_time > i64::MIN)
                .map(mark)
                .min()
        })
    }

    /// The offsets reached since the last call, for the ledger.
    pub fn take_changed(&mut self) -> Vec<OffsetUpdate> {
        let mut updates = Vec::new();
        for (&partition, progress) in &mut self.partitions {
            if let (true, Some(next_offset)) = (progress.changed, progress.next_offset) {
                progress.changed = false;
                updates.push(OffsetUpdate {
                    topic: Arc::clone(&self.topic),
                    partition,
                    next_offset,
                });
            }
        }
        updates
    }
}

fn note_event_time(partitions: &mut BTreeMap<i32, PartitionProgress>, partition: i32, at: i64) {
    if let Some(progress) = partitions.get_mut(&partition) {
        progress.max_event_time = progress.max_event_time.max(at);
    }
}

/// Notes that `message` was read.
fn record(
    partitions: &mut BTreeMap<i32, PartitionProgress>,
    message: &BorrowedMessage<'_>,
    now: Instant,
) {
    if let Some(progress) = partitions.get_mut(&message.partition()) {
        progress.next_offset = Some(message.offset() + 1);
        progress.changed = true;
        progress.at_end = false;
        progress.awaiting_first_fetch = false;
        progress.last_message = now;
    }
}

/// What the source did in one activation.
pub(crate) enum Polled {
    /// The consumer's queue ran dry.
    Idle,
    /// The activation's share of messages was handled; more may be waiting.
    Busy,
    /// The `--limit` budget is spent.
    BudgetSpent,
}

fn dead_letter(
    topic: &str,
    message: &BorrowedMessage<'_>,
    kind: DeadLetterKind,
    reason: String,
) -> DeadLetter {
    DeadLetter {
        topic: topic.to_owned(),
        partition: message.partition(),
        offset: message.offset(),
        key: message.key().map(CappedBytes::key),
        payload: message.payload().map(CappedBytes::payload),
        kind,
        message: reason,
    }
}

impl Reader {
    /// Reads up to one activation's share of messages, and at most `room`: decoded records go
    /// to `give`, records that do not decode to the ledger's dead letters.
    pub fn read_batch<M: Message>(
        &mut self,
        mut give: impl FnMut(Item<M>),
        room: usize,
        ledger: &mut Ledger,
        control: &RunControl,
    ) -> Polled {
        let mut consumed = 0u64;
        let mut dead = 0u64;
        let mut tombstones = 0u64;
        let mut polled = Polled::Busy;
        let now = Instant::now();
        let future_limit = future_limit(control, self.decoding.max_future);
        for _ in 0..MESSAGES_PER_ACTIVATION.min(room) {
            match self.consumer.poll(Duration::ZERO) {
                None => {
                    polled = Polled::Idle;
                    break;
                }
                Some(Ok(message)) => {
                    if !control.take_one() {
                        polled = Polled::BudgetSpent;
                        break;
                    }
                    consumed += 1;
                    record(&mut self.partitions, &message, now);
                    match self.decoding.decode::<M>(message.payload(), future_limit) {
                        Decoded::Record(record, event_time, change) => {
                            note_event_time(&mut self.partitions, message.partition(), event_time);
                            let origin = Origin {
                                partition: message.partition(),
                                offset: message.offset(),
                                event_time,
                                change,
                            };
                            give(Item::Record(origin, record));
                        }
                        Decoded::Skipped => tombstones += 1,
                        Decoded::Failed(error) => {
                            control.fail(error);
                            polled = Polled::Idle;
                            break;
                        }
                        Decoded::Dead(kind, reason) => {
                            dead += 1;
                            ledger.dead_letter(dead_letter(&self.topic, &message, kind, reason));
                        }
                    }
                }
                Some(Err(KafkaError::PartitionEOF(partition))) => {
                    if let Some(progress) = self.partitions.get_mut(&partition) {
                        tracing::debug!(partition, next_offset = ?progress.next_offset, "end of partition");
                        progress.at_end = true;
                        progress.awaiting_first_fetch = false;
                    }
                }
                Some(Err(error)) => {
                    Metrics::add(&control.metrics.consumer_errors, 1);
                    if let Err(fatal) = self.on_error(error) {
                        control.fail(fatal);
                    }
                    polled = Polled::Idle;
                    break;
                }
            }
        }
        Metrics::add(&control.metrics.consumed, consumed);
        Metrics::add(&control.metrics.dead_lettered, dead);
        Metrics::add(&control.metrics.tombstones, tombstones);
        polled
    }
}
