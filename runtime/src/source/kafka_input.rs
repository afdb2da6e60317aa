//! `Kafka<M>` as a pipeline input: where each partition resumes, and the source operator.

use std::rc::Rc;
use std::sync::Arc;

use timely::dataflow::{Scope, StreamVec};

use super::decode_payload::Decoding;
use super::kafka::{KafkaSourcePlan, group_offsets, kafka_source, start_offsets};
use super::kafka_group_lag::GroupLag;
use super::kafka_partitions::PartitionWatch;
use super::restore::restored_windows;
use crate::contract::connectors::Kafka;
use crate::contract::message::Message;
use crate::contract::sink::Positions;
use crate::contract::source::Source;
use crate::contract::startup::Startup;
use crate::dataflow::item::Item;
use crate::dataflow::worker::{BacklogLimit, Restored, WorkerShared};
use crate::delivery::{Epoch, EpochClock, load_offsets};
use crate::error::Result;
use crate::run::check::{CheckContext, Preflight};
use crate::run::config::{Config, millis_or};
use crate::run::kafka_metadata::discover_partitions;

#[allow(private_interfaces)]
impl<M: Message> Source for Kafka<M> {
    type Record = M;
    type Plan = KafkaSourcePlan;
    const HAS_EVENT_TIME: bool = M::HAS_EVENT_TIME;
    const HAS_DELETES: bool = M::FORMAT.has_deletes();
    const POSITIONS_FIT_A_KAFKA_GROUP: bool = true;

    fn validate(config: &Config) -> Result<()> {
        config.validate_brokers()
    }

    fn input_name(config: &Config) -> Arc<str> {
        Arc::from(config.topic.as_deref().unwrap_or(M::TOPIC))
    }

    fn describe(config: &Config) -> String {
        format!("Kafka topic `{}`", Self::input_name(config))
    }

    fn check(context: &CheckContext<'_>, report: &mut Preflight) {
        if !context.config.brokers.trim().is_empty() {
            context.check_topic(&Self::input_name(context.config), report);
        }
    }

    fn prepare(startup: &Startup<'_>) -> Result<(KafkaSourcePlan, Restored)> {
        let config = startup.config;
        let topic = Arc::clone(&startup.input);
        let partitions = discover_partitions(&config.brokers, &topic, &config.kafka_options)?;
        let stored_database = match startup.positions {
            Positions::Database => startup.database.as_ref(),
            Positions::KafkaGroup | Positions::Nowhere => None,
        };
        let (stored, restored) = match stored_database {
            None if startup.positions == Positions::KafkaGroup => (
                group_offsets(config, &startup.pipeline, &topic, &partitions)?,
                Restored::default(),
            ),
            None => (Vec::new(), Restored::default()),
            Some(pool) => {
                let stored =
                    startup
                        .runtime
                        .block_on(load_offsets(pool, &startup.pipeline, &topic))?;
                let restored = restored_windows(startup, !stored.is_empty())?;
                (stored, restored)
            }
        };
        if startup.positions == Positions::Database {
            startup.acknowledgements.register(Box::new(GroupLag::start(
                &config.brokers,
                &config.kafka_options,
                &startup.pipeline,
            )?));
        }
        let discovery_every = config.partition_discovery.filter(|every| !every.is_zero());
        let plan = KafkaSourcePlan {
            brokers: config.brokers.clone(),
            group: startup.pipeline.to_string(),
            starts: start_offsets(&partitions, config.from, &stored),
            topic,
            until_end: config.until_end,
            options: config.kafka_options.clone(),
            clock: EpochClock::new(config.epoch),
            backlog_limit: BacklogLimit {
                epochs: config.max_epochs_in_flight,
                rows: config.max_rows_in_flight,
            },
            max_delay: millis_or(config.max_delay, M::MAX_DELAY_MILLIS),
            idle_timeout: config.idle_timeout,
            on_out_of_range: config.on_offset_out_of_range,
            decoding: Decoding::new::<M>(config)?,
            partitions: PartitionWatch::start(
                &config.brokers,
                &config.kafka_options,
                &startup.input,
                partitions.last().map_or(0, |last| last + 1),
                discovery_every,
            )?,
            discovery_every,
        };
        Ok((plan, restored))
    }

    fn build<'scope>(
        plan: &Arc<KafkaSourcePlan>,
        scope: Scope<'scope, Epoch>,
        shared: &Rc<WorkerShared>,
    ) -> StreamVec<'scope, Epoch, Item<M>> {
        kafka_source::<M>(scope, Arc::clone(plan), Rc::clone(shared))
    }
}
