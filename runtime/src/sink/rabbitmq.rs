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

use super::confirmed::{
    Confirmations, Names, Opened, Outgoing, Publisher, Refused, confirmed_sink,
};
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
    exchange: ShortString,
    /// The routing key of every message, when the exchange is the default one (`M`'s queue).
    queue: Option<Arc<str>>,
    /// The MIME type of `M`'s format.
    content_type: &'static str,
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
            exchange: ShortString::try_new(M::EXCHANGE)
                .map_err(|_| Error::Config("an exchange name has at most 255 bytes".into()))?,
            queue: M::EXCHANGE.is_empty().then(|| Arc::from(M::QUEUE)),
            content_type: M::FORMAT.content_type(),
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
        confirmed_sink(stream, names, role.output, move |opened: Opened| {
            let (jobs, received) = mpsc::unbounded_channel();
            let task = PublishTask {
                plan: Arc::clone(&plan),
                confirmations: Arc::clone(&opened.confirmations),
                wake: opened.wake,
                worker: opened.exchanged.then_some(opened.worker),
            };
            plan.runtime.spawn(task.run(received));
            Ok(TaskPublisher {
                plan,
                jobs,
                confirmations: opened.confirmations,
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

/// The operator's side: records go to the worker's publishing task, with their routing key.
struct TaskPublisher {
    plan: Arc<RabbitMqSinkPlan>,
    jobs: mpsc::UnboundedSender<Job>,
    confirmations: Arc<Confirmations>,
}

/// A record to publish, and where to.
struct Job {
    record: Outgoing,
    routing_key: ShortString,
}

impl Publisher for TaskPublisher {
    fn publish(&mut self, record: &Outgoing) -> std::result::Result<(), Refused> {
        if record.payload.is_none() {
            return Err(Refused::Unfit(format!(
                "it is a delete, and a RabbitMQ message has no tombstone: give the output's \
                 message format = \"debezium\" to send deletes to {}",
                self.plan.names.described
            )));
        }
        let routing_key = match (&self.plan.queue, &record.key) {
            (Some(queue), _) => queue.to_string(),
            (None, Some(key)) => String::from_utf8_lossy(key).into_owned(),
            (None, None) => String::new(),
        };
        let routing_key = ShortString::try_new(routing_key).map_err(|_| {
            Refused::Unfit(format!(
                "its routing key (the #[message(key)] field) is longer than the 255 bytes \
                 RabbitMQ allows, for {}",
                self.plan.names.described
            ))
        })?;
        self.confirmations.sent(record.epoch);
        let job = Job {
            record: record.clone(),
            routing_key,
        };
        self.jobs.send(job).map_err(|_| {
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
    /// Records moved between workers before the sink: the worker is part of their ids.
    worker: Option<usize>,
}

/// A message published and not yet confirmed; `Err` when the connection was lost first.
type Pending =
    std::pin::Pin<Box<dyn std::future::Future<Output = (Job, lapin::Result<Confirmation>)> + Send>>;

/// Attempts in a row without a confirmation before the run fails: with the pauses between
/// them, about a minute and a half.
const MAX_ATTEMPTS: u32 = 25;

/// What became of a message published.
enum Settled {
    Confirmed,
    /// The broker could not take it: it goes again, after a pause.
    Refused,
    Lost(String),
}

impl PublishTask {
    async fn run(self, mut jobs: mpsc::UnboundedReceiver<Job>) {
        let mut again: VecDeque<Job> = VecDeque::new();
        // Attempts since the last confirmation: the pause before the next one grows with it.
        let mut attempt = 0u32;
        // The message ids of consecutive records of one source message (a flat_map's).
        let mut numbering = Numbering::default();
        loop {
            if attempt > 0 {
                if attempt >= MAX_ATTEMPTS {
                    self.confirmations.fail(format!(
                        "no message was confirmed in {attempt} attempts to publish"
                    ));
                    let _ = self.wake.activate();
                    return;
                }
                tokio::time::sleep(backoff(attempt)).await;
            }
            let (connection, channel) = match self.open().await {
                Ok(opened) => opened,
                Err(error) => {
                    tracing::warn!("{error}; publishing again after a pause");
                    attempt += 1;
                    continue;
                }
            };
            let mut pending: FuturesOrdered<Pending> = FuturesOrdered::new();
            let lost = loop {
                let settled = match again.pop_front() {
                    Some(job) => {
                        match self.publish(&channel, job).await {
                            Ok(confirm) => pending.push_back(confirm),
                            Err((job, error)) => {
                                again.push_front(job);
                                break error;
                            }
                        }
                        continue;
                    }
                    None => tokio::select! {
                        job = jobs.recv() => match job {
                            Some(mut job) => {
                                numbering.name(&mut job.record);
                                again.push_back(job);
                                continue;
                            }
                            // The operator is gone: the run has ended.
                            None if pending.is_empty() => {
                                let _ = connection.close(200, "run ended".into()).await;
                                return;
                            }
                            None => match pending.next().await {
                                Some(done) => self.settle(done, &mut again),
                                None => continue,
                            },
                        },
                        Some(done) = pending.next(), if !pending.is_empty() => {
                            self.settle(done, &mut again)
                        }
                    },
                };
                match settled {
                    Settled::Confirmed => attempt = 0,
                    Settled::Refused => {
                        attempt += 1;
                        tokio::time::sleep(backoff(attempt)).await;
                    }
                    Settled::Lost(lost) => break lost,
                }
            };
            attempt += 1;
            tracing::warn!(
                exchange = %self.plan.exchange,
                "RabbitMQ connection lost ({lost}): publishing the unconfirmed messages again"
            );
            let _ = connection.close(200, "reconnecting".into()).await;
            // What was published and not confirmed goes again, in order, before the rest.
            let mut unconfirmed = Vec::new();
            while let Some((job, _)) = pending.next().await {
                unconfirmed.push(job);
            }
            for job in unconfirmed.into_iter().rev() {
                again.push_front(job);
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

    /// Hands `job` to the broker; its confirmation comes later. `Err` with the job when the
    /// channel is gone.
    async fn publish(
        &self,
        channel: &Channel,
        job: Job,
    ) -> std::result::Result<Pending, (Job, String)> {
        let id = record_id(&self.plan, &job.record, self.worker);
        let properties = BasicProperties::default()
            .with_message_id(ShortString::from(id))
            .with_content_type(self.plan.content_type.into())
            .with_delivery_mode(2);
        let options = BasicPublishOptions {
            mandatory: true,
            ..BasicPublishOptions::default()
        };
        let published = channel
            .basic_publish(
                self.plan.exchange.clone(),
                job.routing_key.clone(),
                options,
                job.record.payload.as_deref().unwrap_or_default(),
                properties,
            )
            .await;
        match published {
            Ok(confirm) => Ok(Box::pin(async move { (job, confirm.await) })),
            Err(error) => Err((job, error.to_string())),
        }
    }

    /// Notes a confirmation.
    fn settle(
        &self,
        (job, confirmation): (Job, lapin::Result<Confirmation>),
        again: &mut VecDeque<Job>,
    ) -> Settled {
        let record = &job.record;
        let settled = match confirmation {
            Ok(Confirmation::Ack(None) | Confirmation::NotRequested) => {
                self.confirmations
                    .confirmed(record.epoch, record.origin.is_derived());
                Settled::Confirmed
            }
            Ok(Confirmation::Ack(Some(_))) => {
                self.confirmations.fail(format!(
                    "a message was returned as unroutable: no queue is bound to {} for its \
                     routing key `{}`",
                    self.plan.names.described, job.routing_key
                ));
                Settled::Confirmed
            }
            Ok(Confirmation::Nack(_)) => {
                again.push_back(job);
                Settled::Refused
            }
            Err(error) => {
                again.push_back(job);
                Settled::Lost(error.to_string())
            }
        };
        let _ = self.wake.activate();
        settled
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
/// (`#n` after the first record of one message; `@worker` when records crossed a `key_by`,
/// which spreads one message's records over the workers), or, for a window's row, a digest of
/// its payload.
fn record_id(plan: &RabbitMqSinkPlan, record: &Outgoing, worker: Option<usize>) -> String {
    let from = match record.source(&plan.names.input) {
        Some(source) => source,
        None => {
            let digest = sha2::Sha256::digest(record.payload.as_deref().unwrap_or_default());
            let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
            format!("{}/window/{hex}", plan.names.input)
        }
    };
    let mut id = match record.sequence {
        0 => format!("{}/{from}", plan.pipeline),
        n => format!("{}/{from}#{n}", plan.pipeline),
    };
    if let Some(worker) = worker {
        id.push_str(&format!("@{worker}"));
    }
    // An id is at most 255 bytes: a long one is shortened to a digest of itself.
    if id.len() <= 255 {
        id
    } else {
        let digest = sha2::Sha256::digest(id.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}
