//! `RabbitMq<M>` as a pipeline input: a classic or quorum queue, consumed by every worker,
//! each message acknowledged once the rows it led to are committed (see `rabbitmq_hub.rs`).

use std::rc::Rc;
use std::sync::Arc;

use sqlx::{MySql, Pool};
use timely::dataflow::{Scope, StreamVec};

use super::decode_payload::Decoding;
use super::delivery_source::{Pace, delivery_source};
use super::rabbitmq_hub::{AcknowledgeAfterCommit, GENERATION, Hub, StoredIds};
use super::rabbitmq_reader::QueueReader;
use crate::amqp::{Broker, ready_messages, validate_url};
use crate::contract::connectors::RabbitMq;
use crate::contract::message::Message;
use crate::contract::sink::Positions;
use crate::contract::source::Source;
use crate::contract::startup::Startup;
use crate::dataflow::item::Item;
use crate::dataflow::worker::{Restored, WorkerShared};
use crate::delivery::message_ids::purge_old_ids;
use crate::delivery::{Epoch, load_offsets};
use crate::error::{Error, Result};
use crate::run::check::{CheckContext, Preflight};
use crate::run::config::Config;

/// What every worker's source needs to know, decided once at start-up.
#[derive(Debug)]
pub struct RabbitMqPlan {
    pub(crate) hub: Arc<Hub>,
    pub(crate) queue: Arc<str>,
    pub(crate) pipeline: Arc<str>,
    /// Where the ids of committed messages are looked up; `None` when nothing is stored.
    pub(crate) database: Option<Pool<MySql>>,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) pace: Pace,
    pub(crate) decoding: Decoding,
}

/// The unacknowledged messages a worker's channel may hold: what its sink may hold, twice
/// (the rows waiting and those of the transaction under way), within AMQP's 16 bits.
fn prefetch(config: &Config) -> u16 {
    let rows = config.max_rows_in_flight.saturating_mul(2).max(1);
    u16::try_from(rows).unwrap_or(u16::MAX)
}

pub(crate) fn validate_queue(config: &Config, queue: &str) -> Result<()> {
    validate_url(&config.amqp_url)?;
    if queue.is_empty() || queue.len() > 255 {
        return Err(Error::Config(format!(
            "queue `{queue}`: a RabbitMQ queue name has 1 to 255 bytes"
        )));
    }
    Ok(())
}

#[allow(private_interfaces)]
impl<M: Message> Source for RabbitMq<M> {
    type Record = M;
    type Plan = RabbitMqPlan;
    const HAS_EVENT_TIME: bool = M::HAS_EVENT_TIME;
    const HAS_DELETES: bool = M::FORMAT.has_deletes();
    const REPLAYS_IN_ORDER: bool = false;

    fn validate(config: &Config) -> Result<()> {
        if config.cluster.is_some() {
            return Err(Error::Config(
                "a RabbitMq queue input runs in one process (with any number of workers): a \
                 process that loses its connection returns its unacknowledged messages to the \
                 queue, where another process could take copies of messages whose rows are \
                 still on their way; run one process, or read a stream queue (RabbitMqStream)"
                    .into(),
            ));
        }
        validate_queue(config, &Self::input_name(config))
    }

    fn input_name(config: &Config) -> Arc<str> {
        Arc::from(config.topic.as_deref().unwrap_or(M::QUEUE))
    }

    fn describe(config: &Config) -> String {
        format!("RabbitMQ queue `{}`", Self::input_name(config))
    }

    fn check(context: &CheckContext<'_>, report: &mut Preflight) {
        check_queue(context, &Self::input_name(context.config), report);
    }

    fn prepare(startup: &Startup<'_>) -> Result<(RabbitMqPlan, Restored)> {
        let config = startup.config;
        let queue = Arc::clone(&startup.input);
        let broker = Broker::new(&config.amqp_url);
        let name = format!("sluice {}", startup.pipeline);
        startup
            .runtime
            .block_on(ready_messages(&broker, &name, &queue))?;
        let database = match startup.positions {
            Positions::Database => startup.database.clone(),
            Positions::KafkaGroup | Positions::Nowhere => None,
        };
        // Positions of this run lie past every stored one, at a connection's boundary.
        let base = match &database {
            Some(pool) => {
                let stored =
                    startup
                        .runtime
                        .block_on(load_offsets(pool, &startup.pipeline, &queue))?;
                startup
                    .runtime
                    .block_on(purge_old_ids(pool, &startup.pipeline, &queue))?;
                let last = stored.iter().map(|(_, next)| *next).max().unwrap_or(0);
                (last / GENERATION)
                    .saturating_add(1)
                    .saturating_mul(GENERATION)
            }
            None => 0,
        };
        let manual_acks = database.is_some();
        let ids = database.clone().map(|pool| StoredIds {
            pool,
            pipeline: Arc::clone(&startup.pipeline),
        });
        if !manual_acks {
            tracing::warn!(
                queue = %queue,
                "no output stores positions: messages are acknowledged as they arrive"
            );
        }
        let hub = Hub::start(
            broker,
            Arc::clone(&queue),
            name,
            (base, prefetch(config), config.until_end),
            ids,
            config.workers,
            startup.runtime.handle(),
        );
        if manual_acks {
            startup
                .acknowledgements
                .register(Box::new(AcknowledgeAfterCommit {
                    hub: Arc::clone(&hub),
                }));
        }
        let plan = RabbitMqPlan {
            hub,
            queue,
            pipeline: Arc::clone(&startup.pipeline),
            database,
            runtime: startup.runtime.handle().clone(),
            pace: Pace::new(config),
            decoding: Decoding::new::<M>(config)?,
        };
        Ok((plan, Restored::default()))
    }

    fn build<'scope>(
        plan: &Arc<RabbitMqPlan>,
        scope: Scope<'scope, Epoch>,
        shared: &Rc<WorkerShared>,
    ) -> StreamVec<'scope, Epoch, Item<M>> {
        queue_source::<M>(scope, Arc::clone(plan), Rc::clone(shared))
    }
}

/// `--check` of a queue: it exists, and how many messages are ready.
pub(crate) fn check_queue(context: &CheckContext<'_>, queue: &str, report: &mut Preflight) {
    let broker = Broker::new(&context.config.amqp_url);
    match context
        .runtime
        .block_on(ready_messages(&broker, "sluice --check", queue))
    {
        Ok(ready) => report.ok(format!(
            "RabbitMQ queue `{queue}` on {}: {ready} messages ready",
            broker.shown
        )),
        Err(error) => report.problem(error.to_string()),
    }
}

fn queue_source<'scope, M: Message>(
    scope: Scope<'scope, Epoch>,
    plan: Arc<RabbitMqPlan>,
    shared: Rc<WorkerShared>,
) -> StreamVec<'scope, Epoch, Item<M>> {
    let index = scope.index();
    let pace = plan.pace.clone();
    delivery_source(scope, "RabbitMqSource", pace, shared, move |wake| {
        let slot = plan.hub.slots.get(index);
        if let Some(Ok(mut activator)) = slot.map(|s| s.activator.lock()) {
            *activator = Some(wake);
        }
        let deliveries = slot.and_then(|s| s.deliveries.lock().ok()?.take());
        deliveries
            .map(|deliveries| QueueReader::new(deliveries, index, Arc::clone(&plan)))
            .ok_or_else(|| Error::Worker(format!("worker {index} has no RabbitMQ channel")))
    })
}
