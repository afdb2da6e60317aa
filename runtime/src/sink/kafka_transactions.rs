//! `Kafka<M>` as a pipeline's only output: exactly-once for `read_committed` consumers. Each
//! worker's transactional producer writes the records of the epochs its input has completed
//! and, in the same Kafka transaction, the positions its source reached in those epochs
//! (`send_offsets_to_transaction`, into the pipeline's consumer group, where a restart reads
//! them). A crash aborts the open transaction: its records are never seen by `read_committed`
//! consumers, and the restart reads their messages again.
//!
//! Records must stay on the worker that read them (no `key_by`): positions and records of a
//! worker go together, as with a MySQL output.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerGroupMetadata};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use super::confirmed::Outgoing;
use super::kafka_producer::{KafkaSinkPlan, kafka_record, producer_config};
use crate::contract::message::Message;
use crate::dataflow::item::Item;
use crate::dataflow::stream::Stream;
use crate::dataflow::worker::Backlog;
use crate::dead_letter::log_unstored;
use crate::delivery::{Epoch, OffsetUpdate, complete_before};
use crate::error::{Error, Result};
use crate::run::config::kafka_properties::client_config;
use crate::run::report::Metrics;

/// How long a transaction call may take before the run fails.
const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);

/// A worker's transactional producer, and the consumer group its positions go to.
struct Transactions {
    producer: ThreadedProducer<rdkafka::producer::DefaultProducerContext>,
    group: ConsumerGroupMetadata,
}

/// A transactional producer for `worker`, its earlier incarnations fenced: a transaction they
/// left open is aborted.
fn transactional_producer(
    plan: &KafkaSinkPlan,
    worker: usize,
) -> Result<ThreadedProducer<rdkafka::producer::DefaultProducerContext>> {
    let kafka = |e| Error::kafka(&plan.brokers, e);
    let producer: ThreadedProducer<_> = producer_config(plan)
        // Stable across restarts: a restarted worker fences the one that crashed.
        .set(
            "transactional.id",
            format!("sluice-{}-{worker}", plan.pipeline),
        )
        .create()
        .map_err(kafka)?;
    producer
        .init_transactions(TRANSACTION_TIMEOUT)
        .map_err(kafka)?;
    Ok(producer)
}

/// Fences the earlier incarnation of each of `workers` (this process's, in a cluster each
/// process fences its own) before the source reads the group's positions.
pub(super) fn fence_earlier_runs(plan: &KafkaSinkPlan, workers: Range<usize>) -> Result<()> {
    for worker in workers {
        drop(transactional_producer(plan, worker)?);
    }
    Ok(())
}

impl Transactions {
    fn open(plan: &KafkaSinkPlan, worker: usize) -> Result<Self> {
        let kafka = |e| Error::kafka(&plan.brokers, e);
        let producer = transactional_producer(plan, worker)?;
        let consumer: BaseConsumer = client_config(&plan.brokers, &plan.options)
            .set("group.id", plan.pipeline.as_ref())
            .set("enable.auto.commit", "false")
            .create()
            .map_err(kafka)?;
        let group = consumer.group_metadata().ok_or_else(|| {
            Error::Worker(format!(
                "no consumer group metadata for `{}`",
                plan.pipeline
            ))
        })?;
        Ok(Transactions { producer, group })
    }

    /// One transaction: the records, then the positions.
    fn commit(
        &self,
        plan: &KafkaSinkPlan,
        records: &[Outgoing],
        positions: &[OffsetUpdate],
    ) -> std::result::Result<(), KafkaError> {
        self.producer.begin_transaction()?;
        let written = self.write(plan, records, positions);
        if written.is_err() {
            let _ = self.producer.abort_transaction(TRANSACTION_TIMEOUT);
        }
        written
    }

    fn write(
        &self,
        plan: &KafkaSinkPlan,
        records: &[Outgoing],
        positions: &[OffsetUpdate],
    ) -> std::result::Result<(), KafkaError> {
        for record in records {
            let source = record.source(&plan.input);
            loop {
                match self.producer.send(kafka_record(record, plan, &source, ())) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err((error, _)) => return Err(error),
                }
            }
        }
        if !positions.is_empty() {
            let mut offsets = TopicPartitionList::new();
            for position in positions {
                offsets.add_partition_offset(
                    &position.topic,
                    position.partition,
                    Offset::Offset(position.next_offset),
                )?;
            }
            self.producer.send_offsets_to_transaction(
                &offsets,
                &self.group,
                TRANSACTION_TIMEOUT,
            )?;
        }
        self.producer.commit_transaction(TRANSACTION_TIMEOUT)
    }
}

pub(super) fn transactional_sink<'scope, M: Message>(
    stream: Stream<'scope, M>,
    plan: Arc<KafkaSinkPlan>,
    role_output: usize,
) -> StreamVec<'scope, Epoch, ()> {
    let (inner, shared, lineage) = stream.into_sink_input(role_output, true);
    if lineage.exchanged {
        shared.control.fail(Error::Config(format!(
            "the output topic `{}` is the pipeline's only output, so it stores the input's \
             positions in its transactions; records that moved between workers (key_by, \
             windows) cannot be committed with their positions there yet: add a MySql<R> \
             output, which stores them",
            plan.topic
        )));
    }
    inner.unary_frontier::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
        Pipeline,
        "KafkaTransactions",
        move |capability, _info| {
            let transactions = match Transactions::open(&plan, shared.index) {
                Ok(transactions) => Some(transactions),
                Err(error) => {
                    shared.control.fail(error);
                    None
                }
            };
            let mut held = Some(capability);
            let mut pending: BTreeMap<Epoch, Vec<Outgoing>> = BTreeMap::new();
            move |(input, frontier), _output| {
                let control = &shared.control;
                let mut refused = 0u64;
                input.for_each_stamp(|stamp, batches| {
                    let Some(&epoch) = stamp.least() else { return };
                    let waiting = pending.entry(epoch).or_default();
                    for batch in batches {
                        for item in batch.drain(..) {
                            if let Item::Record(origin, message) = item {
                                match Outgoing::encode(
                                    (&plan.input, &plan.topic),
                                    epoch,
                                    origin,
                                    &message,
                                ) {
                                    Ok(record) => waiting.push(record),
                                    Err(letter) => {
                                        refused += 1;
                                        shared.ledger.borrow_mut().reject(*letter);
                                    }
                                }
                            }
                        }
                    }
                });
                Metrics::add(&control.metrics.dead_lettered, refused);
                let Some(transactions) = transactions.as_ref() else {
                    held = None;
                    return;
                };
                if control.failed() {
                    held = None;
                    pending.clear();
                    return;
                }
                let complete = complete_before(frontier.frontier());
                let due = pending.keys().next().is_some_and(|e| *e < complete)
                    || shared.ledger.borrow().has_before(complete);
                if due {
                    let later = pending.split_off(&complete);
                    let records: Vec<Outgoing> = std::mem::replace(&mut pending, later)
                        .into_values()
                        .flatten()
                        .collect();
                    let commit = shared.ledger.borrow_mut().take_before(complete);
                    log_unstored(&commit.dead_letters);
                    match transactions.commit(&plan, &records, &commit.offsets) {
                        Ok(()) => {
                            let metrics = &control.metrics;
                            Metrics::add(&metrics.written, records.len() as u64);
                            Metrics::add(&metrics.transactions, 1);
                        }
                        Err(error) => {
                            control.fail(Error::Worker(format!(
                                "cannot commit a transaction to the Kafka topic `{}`: {error}",
                                plan.topic
                            )));
                            held = None;
                            return;
                        }
                    }
                }
                shared.report_backlog(
                    role_output,
                    Backlog {
                        epochs: pending.len() as u64,
                        rows: pending.values().map(|records| records.len() as u64).sum(),
                    },
                );
                if complete == Epoch::MAX {
                    held = None;
                } else if let Some(cap) = held.as_mut()
                    && complete > *cap.time()
                {
                    cap.downgrade(&complete);
                }
            }
        },
    )
}
