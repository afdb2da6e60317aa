//! `RabbitMq<M>` as an output: each record encoded by its `Message` derive and published to the
//! exchange `M` names (`#[message(exchange = "...")]`), routed by its `#[message(key)]` field;
//! to the default exchange, routed to `M`'s queue. Publisher confirms let an epoch go once the
//! broker has taken every message of it (see `confirmed.rs`): at-least-once, each message with
//! a `message_id` that names the message it came from, the same in every run, for consumers to
//! deduplicate. Messages are persistent and mandatory: one no queue takes fails the run.
//!
//! Each worker publishes on its own connection from a tokio task; a lost connection is opened
//! again after a pause that grows, and the messages not yet confirmed are published again.

use std::collections::VecDeque;
use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::FuturesOrdered;
use lapin::Confirmation;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::{FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection};
use sha2::Digest;
use timely::dataflow::StreamVec;
use timely::scheduling::SyncActivator;
use tokio::sync::mpsc;

use super::confirmed::{Confirmations, Names, Outgoing, Publisher, Refused, confirmed_sink};
use crate::amqp::{Broker, backoff, ready_messages, validate_url};
use crate::contract::connectors::RabbitMq;
use crate::contract::message::Message;
use crate::contract::sink::{Positions, Sink, SinkRole};
use crate::contract::startup::Startup;
use crate::dataflow::stream::Stream;
use crate::delivery::Epoch;
use crate::error::{Error, Result};
use crate::run::check::{CheckContext, Preflight};
use crate::run::config::Config;

/// What every worker's RabbitMQ sink needs.
#[derive(Debug)]
pub struct RabbitMqSinkPlan {
    broker: Broker,
    exchange: Arc<str>,
    /// The routing key of every message, when the exchange is the default one (`M`'s queue).
    queue: Option<Arc<str>>,
    names: Names,
    pipeline: Arc<str>,
    runtime: tokio::runtime::Handle,
}

/// What the output writes to, for the graph and errors.
fn described<M: Message>() -> String {
    match M::EXCHANGE {
        "" => format!("RabbitMQ queue `{}` (default exchange)", M::QUEUE),
        exchange => format!("RabbitMQ exchange `{exchange}`"),
    }
}

#[allow(private_interfaces)]
impl<M: Message> Sink for RabbitMq<M> {
    type Item = M;
    type Plan = RabbitMqSinkPlan;
    const POSITIONS: Positions = Positions::Nowhere;

    fn validate(config: &Config) -> Result<()> {
        validate_url(&config.amqp_url)
    }

    fn target(_config: &Config) -> String {
        match M::EXCHANGE {
            "" => M::QUEUE.to_owned(),
            exchange => exchange.to_owned(),
        }
    }

    fn describe(_config: &Config) -> String {
        described::<M>()
    }

    fn check(context: &CheckContext<'_>, report: &mut Preflight) {
        let broker = Broker::new(&context.config.amqp_url);
        match context.runtime.block_on(check_target::<M>(&broker)) {
            Ok(()) => report.ok(format!("{} on {}: exists", described::<M>(), broker.shown)),
            Err(error) => report.problem(error.to_string()),
        }
    }

    fn prepare(startup: &Startup<'_>) -> Result<RabbitMqSinkPlan> {
        let broker = Broker::new(&startup.config.amqp_url);
        startup.runtime.block_on(check_target::<M>(&broker))?;
        if startup.positions == Positions::Nowhere {
            tracing::warn!(
                "no output stores positions: every run starts where --from says; add a MySql \
                 output to resume after the messages published"
            );
        }
        Ok(RabbitMqSinkPlan {
            broker,
            exchange: Arc::from(M::EXCHANGE),
            queue: M::EXCHANGE.is_empty().then(|| Arc::from(M::QUEUE)),
            names: Names {
                input: Arc::clone(&startup.input),
                target: Arc::from(Self::target(startup.config)),
                described: described::<M>(),
            },
            pipeline: Arc::clone(&startup.pipeline),
            runtime: startup.runtime.handle().clone(),
        })
    }

    fn build<'scope>(
        plan: &Arc<RabbitMqSinkPlan>,
        stream: Stream<'scope, M>,
        role: &SinkRole,
    ) -> StreamVec<'scope, Epoch, ()> {
        let plan = Arc::clone(plan);
        let names = plan.names.clone();
        confirmed_sink(stream, names, role.output, move |confirmations, wake| {
            let (jobs, received) = mpsc::unbounded_channel();
            let task = PublishTask {
                plan: Arc::clone(&plan),
                confirmations: Arc::clone(&confirmations),
                wake,
            };
            plan.runtime.spawn(task.run(received));
            Ok(TaskPublisher {
                jobs,
                confirmations,
            })
        })
    }
}

/// The exchange the output publishes to exists (or, for the default exchange, its queue).
async fn check_target<M: Message>(broker: &Broker) -> Result<()> {
    if M::EXCHANGE.is_empty() {
        return ready_messages(broker, "sluice output", M::QUEUE)
            .await
            .map(|_| ());
    }
    let connection = broker.connect("sluice output").await?;
    let failed = |e: lapin::Error| broker.error(format!("exchange `{}`: {e}", M::EXCHANGE));
    let channel = connection.create_channel().await.map_err(failed)?;
    let exchange = ShortString::try_new(M::EXCHANGE)
        .map_err(|_| Error::Config("an exchange name has at most 255 bytes".into()))?;
    let options = ExchangeDeclareOptions {
        passive: true,
        ..ExchangeDeclareOptions::default()
    };
    channel
        .exchange_declare(
            exchange,
            lapin::ExchangeKind::Direct,
            options,
            FieldTable::default(),
        )
        .await
        .map_err(failed)?;
    let _ = connection.close(200, "checked".into()).await;
    Ok(())
}

/// The operator's side: records go to the worker's publishing task.
struct TaskPublisher {
    jobs: mpsc::UnboundedSender<Outgoing>,
    confirmations: Arc<Confirmations>,
}

impl Publisher for TaskPublisher {
    fn publish(&mut self, record: &Outgoing) -> std::result::Result<(), Refused> {
        self.confirmations.sent(record.epoch);
        self.jobs.send(record.clone()).map_err(|_| {
            self.confirmations.settled(record.epoch);
            Refused::Failed("the publishing task has stopped".to_owned())
        })
    }
}

/// One worker's publishing task.
struct PublishTask {
    plan: Arc<RabbitMqSinkPlan>,
    confirmations: Arc<Confirmations>,
    wake: SyncActivator,
}

/// A message published and not yet confirmed; `Err` when the connection was lost first.
type Pending = std::pin::Pin<
    Box<dyn std::future::Future<Output = (Outgoing, lapin::Result<Confirmation>)> + Send>,
>;

impl PublishTask {
    async fn run(self, mut jobs: mpsc::UnboundedReceiver<Outgoing>) {
        let mut again: VecDeque<Outgoing> = VecDeque::new();
        let mut attempt = 0u32;
        // The message ids of consecutive records of one source message (a flat_map's).
        let mut numbering = Numbering::default();
        loop {
            let (connection, channel) = match self.open().await {
                Ok(opened) => {
                    attempt = 0;
                    opened
                }
                Err(error) => {
                    let pause = backoff(attempt);
                    tracing::warn!("{error}; publishing again in {pause:?}");
                    attempt += 1;
                    tokio::time::sleep(pause).await;
                    continue;
                }
            };
            let mut pending: FuturesOrdered<Pending> = FuturesOrdered::new();
            let lost = loop {
                let next = match again.pop_front() {
                    Some(record) => record,
                    None => tokio::select! {
                        job = jobs.recv() => match job {
                            Some(mut record) => {
                                numbering.name(&mut record);
                                record
                            }
                            // The operator is gone: the run has ended.
                            None if pending.is_empty() => {
                                let _ = connection.close(200, "run ended".into()).await;
                                return;
                            }
                            None => match pending.next().await {
                                Some(done) => {
                                    if let Some(lost) = self.settle(done, &mut again) { break lost; }
                                    continue;
                                }
                                None => continue,
                            },
                        },
                        Some(done) = pending.next(), if !pending.is_empty() => {
                            if let Some(lost) = self.settle(done, &mut again) { break lost; }
                            continue;
                        }
                    },
                };
                match self.publish(&channel, &next).await {
                    Ok(confirm) => pending.push_back(confirm),
                    Err(error) => {
                        again.push_front(next);
                        break error;
                    }
                }
            };
            tracing::warn!(
                exchange = %self.plan.exchange,
                "RabbitMQ connection lost ({lost}): publishing the unconfirmed messages again"
            );
            let _ = connection.close(200, "reconnecting".into()).await;
            // What was published and not confirmed goes again, in order, before the rest.
            let mut unconfirmed = Vec::new();
            while let Some((record, _)) = pending.next().await {
                unconfirmed.push(record);
            }
            for record in unconfirmed.into_iter().rev() {
                again.push_front(record);
            }
        }
    }

    async fn open(&self) -> Result<(Connection, Channel)> {
        let name = format!("sluice {} output", self.plan.pipeline);
        let connection = self.plan.broker.connect(&name).await?;
        let failed = |e: lapin::Error| self.plan.broker.error(e.to_string());
        let channel = connection.create_channel().await.map_err(failed)?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(failed)?;
        Ok((connection, channel))
    }

    /// Hands `record` to the broker; its confirmation comes later.
    async fn publish(&self, channel: &Channel, record: &Outgoing) -> Result<Pending, String> {
        let routing_key = match (&self.plan.queue, &record.key) {
            (Some(queue), _) => queue.to_string(),
            (None, Some(key)) => String::from_utf8_lossy(key).into_owned(),
            (None, None) => String::new(),
        };
        let routing_key = ShortString::try_new(routing_key).map_err(|e| e.to_string())?;
        let id = record_id(&self.plan, record);
        let properties = BasicProperties::default()
            .with_message_id(ShortString::try_new(id).map_err(|e| e.to_string())?)
            .with_content_type("application/json".into())
            .with_delivery_mode(2);
        let options = BasicPublishOptions {
            mandatory: true,
            ..BasicPublishOptions::default()
        };
        let exchange =
            ShortString::try_new(self.plan.exchange.as_ref()).map_err(|e| e.to_string())?;
        let confirm = channel
            .basic_publish(exchange, routing_key, options, &record.payload, properties)
            .await
            .map_err(|e| e.to_string())?;
        let record = record.clone();
        Ok(Box::pin(async move { (record, confirm.await) }))
    }

    /// Notes a confirmation; `Some` (why) when the connection was lost before it.
    fn settle(
        &self,
        (record, confirmation): (Outgoing, lapin::Result<Confirmation>),
        again: &mut VecDeque<Outgoing>,
    ) -> Option<String> {
        let outcome = match confirmation {
            Ok(Confirmation::Ack(None) | Confirmation::NotRequested) => {
                self.confirmations
                    .confirmed(record.epoch, record.origin.is_derived());
                None
            }
            Ok(Confirmation::Ack(Some(_))) => {
                self.confirmations.fail(format!(
                    "a message was returned as unroutable: no queue is bound to {} for its \
                     routing key",
                    self.plan.names.described
                ));
                None
            }
            // The broker could not take it: it goes again.
            Ok(Confirmation::Nack(_)) => {
                again.push_back(record);
                None
            }
            Err(error) => {
                again.push_back(record);
                Some(error.to_string())
            }
        };
        let _ = self.wake.activate();
        outcome
    }
}

/// Numbers the records of one source message, in the order they come: a `flat_map` makes
/// several, and each needs its own id, the same in every run.
#[derive(Default)]
struct Numbering {
    last: Option<(i32, i64)>,
    next: u32,
}

impl Numbering {
    fn name(&mut self, record: &mut Outgoing) {
        let origin = (record.origin.partition, record.origin.offset);
        if record.origin.is_derived() || self.last != Some(origin) {
            self.last = Some(origin);
            self.next = 0;
        } else {
            self.next += 1;
        }
        record.sequence = self.next;
    }
}

/// The message id of `record`: `pipeline/input/partition/offset` of the message it came from
/// (`#n` after the first record of one message), or, for a window's row, a digest of its
/// payload.
fn record_id(plan: &RabbitMqSinkPlan, record: &Outgoing) -> String {
    let from = match record.source(&plan.names.input) {
        Some(source) => source,
        None => {
            let digest = sha2::Sha256::digest(&record.payload);
            let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
            format!("{}/window/{hex}", plan.names.input)
        }
    };
    let id = match record.sequence {
        0 => format!("{}/{from}", plan.pipeline),
        n => format!("{}/{from}#{n}", plan.pipeline),
    };
    // An id is at most 255 bytes: a long one is shortened to a digest of itself.
    if id.len() <= 255 {
        id
    } else {
        let digest = sha2::Sha256::digest(id.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}
