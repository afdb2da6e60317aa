//! `Kafka<M>` as an output: each record encoded by its `Message` derive and produced to `M`'s
//! topic by an idempotent producer, keyed by its `#[message(key)]` field and partitioned as
//! Kafka's Java client does (murmur2), so that Java consumers and producers agree.
//!
//! Beside a MySQL output (which stores the input's positions), an epoch is let go once every
//! record of it has been acknowledged by the brokers; MySQL stores the epoch's positions only
//! then. A crash before that commit produces those records again: at-least-once, each record
//! carrying the `sluice-source` header (`topic/partition/offset` of the message it came from)
//! for consumers to deduplicate. As the only output it commits with Kafka transactions instead
//! (`kafka_transactions.rs`); this file holds what both share: the plan, encoding, headers.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::scheduling::SyncActivator;

use super::kafka_transactions::{fence_earlier_runs, transactional_sink};
use crate::contract::connectors::Kafka;
use crate::contract::message::Message;
use crate::contract::sink::{Positions, Sink, SinkRole};
use crate::contract::startup::Startup;
use crate::dataflow::item::{Item, Origin};
use crate::dataflow::stream::Stream;
use crate::dataflow::worker::Backlog;
use crate::dead_letter::{DeadLetter, DeadLetterKind};
use crate::delivery::{Epoch, complete_before};
use crate::error::{Error, Result};
use crate::run::check::{CheckContext, Preflight};
use crate::run::config::Config;
use crate::run::config::kafka_properties::client_config;
use crate::run::report::Metrics;

/// The header naming the source message a record came from.
pub const SOURCE_HEADER: &str = "sluice-source";
/// How soon a sink with records in flight or waiting for room looks again.
const RECHECK: Duration = Duration::from_millis(5);

/// What every worker's Kafka sink needs.
#[derive(Debug)]
pub struct KafkaSinkPlan {
    pub(super) brokers: String,
    pub(super) topic: Arc<str>,
    pub(super) options: Vec<(String, String)>,
    pub(super) input: Arc<str>,
    pub(super) pipeline: Arc<str>,
    /// The output stores the input's positions in its transactions (it is the only one).
    pub(super) transactional: bool,
}

#[allow(private_interfaces)]
impl<M: Message> Sink for Kafka<M> {
    type Item = M;
    type Plan = KafkaSinkPlan;
    const POSITIONS: Positions = Positions::KafkaGroup;

    fn validate(config: &Config) -> Result<()> {
        config.validate_brokers()
    }

    fn target(_config: &Config) -> String {
        M::TOPIC.to_owned()
    }

    fn describe(_config: &Config) -> String {
        format!("Kafka topic `{}`", M::TOPIC)
    }

    fn check(context: &CheckContext<'_>, report: &mut Preflight) {
        if !context.config.brokers.trim().is_empty() {
            context.check_topic(M::TOPIC, report);
        }
    }

    fn prepare(startup: &Startup<'_>) -> Result<KafkaSinkPlan> {
        let transactional = startup.positions == Positions::KafkaGroup;
        if transactional && startup.outputs > 1 {
            return Err(Error::Config(format!(
                "the output topic `{}` stores the input's positions in Kafka transactions only \
                 as the pipeline's one output: with several outputs, add a MySql<R> output, \
                 which stores them",
                M::TOPIC
            )));
        }
        let plan = KafkaSinkPlan {
            brokers: startup.config.brokers.clone(),
            topic: Arc::from(M::TOPIC),
            options: startup.config.kafka_options.clone(),
            input: Arc::clone(&startup.input),
            pipeline: Arc::clone(&startup.pipeline),
            transactional,
        };
        if transactional {
            // Before the source reads the group's positions: a transaction a crashed run left
            // open holds them unstable until it is fenced.
            fence_earlier_runs(&plan, startup.config.local_workers())?;
        }
        Ok(plan)
    }

    fn build<'scope>(
        plan: &Arc<KafkaSinkPlan>,
        stream: Stream<'scope, M>,
        role: &SinkRole,
    ) -> StreamVec<'scope, Epoch, ()> {
        if plan.transactional {
            transactional_sink(stream, Arc::clone(plan), role.output)
        } else {
            kafka_sink(stream, Arc::clone(plan), role.output)
        }
    }
}

/// What the producer's delivery reports tell the operator.
#[derive(Debug, Default)]
struct Acknowledged {
    /// Records sent and not yet acknowledged, per epoch.
    outstanding: Mutex<BTreeMap<Epoch, u64>>,
    delivered: AtomicU64,
    /// Of `delivered`, the records windows made.
    from_windows: AtomicU64,
    failure: Mutex<Option<String>>,
}

impl Acknowledged {
    fn sent(&self, epoch: Epoch) {
        if let Ok(mut outstanding) = self.outstanding.lock() {
            *outstanding.entry(epoch).or_default() += 1;
        }
    }

    fn settled(&self, epoch: Epoch) {
        if let Ok(mut outstanding) = self.outstanding.lock()
            && let Some(count) = outstanding.get_mut(&epoch)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                outstanding.remove(&epoch);
            }
        }
    }

    /// Records sent and not yet acknowledged.
    fn in_flight(&self) -> u64 {
        self.outstanding
            .lock()
            .map(|outstanding| outstanding.values().sum())
            .unwrap_or(0)
    }

    /// The oldest epoch with a record not yet acknowledged.
    fn oldest(&self) -> Option<Epoch> {
        self.outstanding
            .lock()
            .ok()
            .and_then(|outstanding| outstanding.keys().next().copied())
    }
}

struct ProducerEvents {
    acknowledged: Arc<Acknowledged>,
    wake: SyncActivator,
}

impl ClientContext for ProducerEvents {}

impl ProducerContext for ProducerEvents {
    type DeliveryOpaque = usize;

    /// `tag` is the record's epoch times two, plus one for a record a window made.
    fn delivery(&self, result: &DeliveryResult<'_>, tag: usize) {
        let acknowledged = &self.acknowledged;
        match result {
            Ok(_) => {
                acknowledged.delivered.fetch_add(1, Ordering::Relaxed);
                if tag % 2 == 1 {
                    acknowledged.from_windows.fetch_add(1, Ordering::Relaxed);
                }
                acknowledged.settled((tag / 2) as Epoch);
            }
            // The epoch stays outstanding, so it is never let go: the run fails instead.
            Err((error, _)) => {
                if let Ok(mut failure) = acknowledged.failure.lock() {
                    failure.get_or_insert_with(|| error.to_string());
                }
            }
        }
        let _ = self.wake.activate();
    }
}

/// One encoded record waiting to be produced.
pub(super) struct Outgoing {
    pub epoch: Epoch,
    key: Option<Vec<u8>>,
    payload: Vec<u8>,
    origin: Origin,
}

impl Outgoing {
    /// `message` of `origin`, encoded; a message with no JSON form is the dead letter to store.
    pub(super) fn encode<M: Message>(
        plan: &KafkaSinkPlan,
        epoch: Epoch,
        origin: Origin,
        message: &M,
    ) -> std::result::Result<Outgoing, Box<DeadLetter>> {
        let mut payload = Vec::new();
        if let Err(error) = message.encode(&mut payload) {
            return Err(Box::new(DeadLetter::of_record(
                &plan.input,
                origin,
                DeadLetterKind::Convert,
                format!("cannot encode the record for `{}`: {error}", plan.topic),
            )));
        }
        let mut key = Vec::new();
        let key = message.encode_key(&mut key).then_some(key);
        Ok(Outgoing {
            epoch,
            key,
            payload,
            origin,
        })
    }

    /// The record as the producer takes it, with its `sluice-source` header (`source`).
    pub(super) fn record<'a, D: rdkafka::util::IntoOpaque>(
        &'a self,
        plan: &'a KafkaSinkPlan,
        source: &'a Option<String>,
        opaque: D,
    ) -> BaseRecord<'a, Vec<u8>, Vec<u8>, D> {
        let headers = OwnedHeaders::new().insert(Header {
            key: SOURCE_HEADER,
            value: source.as_deref(),
        });
        let mut base = BaseRecord::with_opaque_to(&plan.topic, opaque)
            .payload(&self.payload)
            .headers(headers);
        if let Some(key) = &self.key {
            base = base.key(key);
        }
        base
    }

    /// `topic/partition/offset` of the message the record came from (none for window rows).
    pub(super) fn source(&self, plan: &KafkaSinkPlan) -> Option<String> {
        (!self.origin.is_derived()).then(|| {
            format!(
                "{}/{}/{}",
                plan.input, self.origin.partition, self.origin.offset
            )
        })
    }
}

/// The producer settings every Kafka output shares.
pub(super) fn producer_config(plan: &KafkaSinkPlan) -> ClientConfig {
    let mut config = client_config(&plan.brokers, &plan.options);
    config
        .set("enable.idempotence", "true")
        // Java's default partitioner for keyed records.
        .set("partitioner", "murmur2_random")
        .set("linger.ms", "5");
    config
}

fn producer(
    plan: &KafkaSinkPlan,
    events: ProducerEvents,
) -> Result<ThreadedProducer<ProducerEvents>> {
    producer_config(plan)
        .create_with_context(events)
        .map_err(|e| Error::kafka(&plan.brokers, e))
}

fn kafka_sink<'scope, M: Message>(
    stream: Stream<'scope, M>,
    plan: Arc<KafkaSinkPlan>,
    output: usize,
) -> StreamVec<'scope, Epoch, ()> {
    let (inner, shared, lineage) = stream.into_sink_input(output, false);
    let scope = inner.scope();
    inner.unary_frontier::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
        Pipeline,
        "KafkaSink",
        move |capability, info| {
            let recheck = scope.activator_for(info.address.clone());
            let acknowledged = Arc::new(Acknowledged::default());
            let events = ProducerEvents {
                acknowledged: Arc::clone(&acknowledged),
                wake: scope.worker().sync_activator_for(info.address.to_vec()),
            };
            let producer = match producer(&plan, events) {
                Ok(producer) => Some(producer),
                Err(error) => {
                    shared.control.fail(error);
                    None
                }
            };
            let mut held = Some(capability);
            let mut waiting: VecDeque<Outgoing> = VecDeque::new();
            let mut window_marks = lineage.window_marks(shared.index, shared.peers);
            let mut reported = i64::MIN;
            // The merged window watermark after each watermark received, with its epoch: one
            // is written once every record of earlier epochs is acknowledged.
            let mut marks: VecDeque<(Epoch, i64)> = VecDeque::new();
            move |(input, frontier), _output| {
                let control = &shared.control;
                let mut refused = 0u64;
                input.for_each_stamp(|stamp, batches| {
                    let Some(&epoch) = stamp.least() else { return };
                    for batch in batches {
                        for item in batch.drain(..) {
                            match item {
                                Item::Record(origin, message) => {
                                    match Outgoing::encode(&plan, epoch, origin, &message) {
                                        Ok(record) => waiting.push_back(record),
                                        Err(letter) => {
                                            refused += 1;
                                            shared.ledger.borrow_mut().reject(*letter);
                                        }
                                    }
                                }
                                Item::Watermark(mark) => {
                                    window_marks.update(mark);
                                    marks.push_back((epoch, window_marks.merged()));
                                }
                            }
                        }
                    }
                });
                let Some(producer) = producer.as_ref() else {
                    held = None;
                    return;
                };
                if let Some(failure) = acknowledged.failure.lock().ok().and_then(|mut f| f.take()) {
                    control.fail(Error::Worker(format!(
                        "cannot write to the Kafka topic `{}`: {failure}",
                        plan.topic
                    )));
                }
                if control.failed() {
                    held = None;
                    waiting.clear();
                    return;
                }
                while let Some(record) = waiting.front() {
                    match send(producer, &plan, record) {
                        Ok(()) => {
                            waiting.pop_front();
                        }
                        Err(KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull)) => break,
                        Err(error) => {
                            control.fail(Error::Worker(format!(
                                "cannot write to the Kafka topic `{}`: {error}",
                                plan.topic
                            )));
                            return;
                        }
                    }
                }
                let complete = complete_before(frontier.frontier());
                // Before the counters: what was acknowledged before this is counted now.
                let busy = [acknowledged.oldest(), waiting.front().map(|r| r.epoch)]
                    .into_iter()
                    .flatten()
                    .min();
                let delivered = acknowledged.delivered.swap(0, Ordering::Relaxed);
                Metrics::add(&control.metrics.written, delivered);
                let from_windows = acknowledged.from_windows.swap(0, Ordering::Relaxed);
                Metrics::add(&control.metrics.window_rows, from_windows);
                Metrics::add(&control.metrics.dead_lettered, refused);
                let mut written_mark = None;
                while let Some(&(epoch, mark)) = marks.front() {
                    if busy.is_some_and(|busy| busy <= epoch) {
                        break;
                    }
                    written_mark = Some(mark);
                    marks.pop_front();
                }
                if let Some(mark) = written_mark
                    && mark > reported
                {
                    reported = mark;
                    control
                        .window_commits
                        .written(shared.index, output, reported);
                }
                shared.report_backlog(
                    output,
                    Backlog {
                        epochs: u64::from(busy.is_some()),
                        rows: waiting.len() as u64 + acknowledged.in_flight(),
                    },
                );
                let hold = busy.map_or(complete, |epoch| epoch.min(complete));
                if hold == Epoch::MAX {
                    held = None;
                } else if let Some(cap) = held.as_mut()
                    && hold > *cap.time()
                {
                    cap.downgrade(&hold);
                }
                if busy.is_some() {
                    recheck.activate_after(RECHECK);
                }
            }
        },
    )
}

/// Hands one record to the producer, counted as outstanding until its delivery report.
fn send(
    producer: &ThreadedProducer<ProducerEvents>,
    plan: &KafkaSinkPlan,
    record: &Outgoing,
) -> std::result::Result<(), KafkaError> {
    let acknowledged = &producer.context().acknowledged;
    acknowledged.sent(record.epoch);
    let tag = (record.epoch as usize) * 2 + usize::from(record.origin.is_derived());
    let source = record.source(plan);
    producer
        .send(record.record(plan, &source, tag))
        .map_err(|(error, _)| {
            acknowledged.settled(record.epoch);
            error
        })
}
