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

use std::sync::Arc;

use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use timely::dataflow::StreamVec;
use timely::scheduling::SyncActivator;

use super::confirmed::{
    Confirmations, Names, Opened, Outgoing, Publisher, Refused, confirmed_sink,
};
use super::kafka_transactions::{fence_earlier_runs, transactional_sink};
use crate::contract::connectors::Kafka;
use crate::contract::message::Message;
use crate::contract::sink::{Positions, Sink, SinkRole};
use crate::contract::startup::Startup;
use crate::dataflow::stream::Stream;
use crate::delivery::Epoch;
use crate::error::{Error, Result};
use crate::run::check::{CheckContext, Preflight};
use crate::run::config::Config;
use crate::run::config::kafka_properties::client_config;

/// The header naming the source message a record came from.
pub const SOURCE_HEADER: &str = "sluice-source";

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

struct ProducerEvents {
    confirmations: Arc<Confirmations>,
    wake: SyncActivator,
}

impl ClientContext for ProducerEvents {}

impl ProducerContext for ProducerEvents {
    type DeliveryOpaque = usize;

    /// `tag` is the record's epoch times two, plus one for a record a window made.
    fn delivery(&self, result: &DeliveryResult<'_>, tag: usize) {
        let epoch = (tag / 2) as Epoch;
        match result {
            Ok(_) => self.confirmations.confirmed(epoch, tag % 2 == 1),
            Err((error, _)) => self.confirmations.fail(error.to_string()),
        }
        let _ = self.wake.activate();
    }
}

/// The record as the producer takes it, with its `sluice-source` header (`source`).
pub(super) fn kafka_record<'a, D: rdkafka::util::IntoOpaque>(
    outgoing: &'a Outgoing,
    plan: &'a KafkaSinkPlan,
    source: &'a Option<String>,
    opaque: D,
) -> BaseRecord<'a, Vec<u8>, Vec<u8>, D> {
    let headers = OwnedHeaders::new().insert(Header {
        key: SOURCE_HEADER,
        value: source.as_deref(),
    });
    let mut base = BaseRecord::with_opaque_to(&plan.topic, opaque).headers(headers);
    if let Some(payload) = &outgoing.payload {
        base = base.payload(payload);
    }
    if let Some(key) = &outgoing.key {
        base = base.key(key);
    }
    base
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

/// One worker's producer, as the confirmed sink publishes through it.
struct KafkaPublisher {
    producer: ThreadedProducer<ProducerEvents>,
    plan: Arc<KafkaSinkPlan>,
}

impl Publisher for KafkaPublisher {
    fn publish(&mut self, record: &Outgoing) -> std::result::Result<(), Refused> {
        let confirmations = &self.producer.context().confirmations;
        confirmations.sent(record.epoch);
        let tag = (record.epoch as usize) * 2 + usize::from(record.origin.is_derived());
        let source = record.source(&self.plan.input);
        self.producer
            .send(kafka_record(record, &self.plan, &source, tag))
            .map_err(|(error, _)| {
                confirmations.settled(record.epoch);
                match error {
                    KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull) => Refused::Full,
                    error => Refused::Failed(error.to_string()),
                }
            })
    }
}

fn kafka_sink<'scope, M: Message>(
    stream: Stream<'scope, M>,
    plan: Arc<KafkaSinkPlan>,
    output: usize,
) -> StreamVec<'scope, Epoch, ()> {
    let names = Names {
        input: Arc::clone(&plan.input),
        target: Arc::clone(&plan.topic),
        described: format!("the Kafka topic `{}`", plan.topic),
    };
    confirmed_sink(stream, names, output, move |opened: Opened| {
        let events = ProducerEvents {
            confirmations: opened.confirmations,
            wake: opened.wake,
        };
        let producer = producer(&plan, events)?;
        Ok(KafkaPublisher { producer, plan })
    })
}
