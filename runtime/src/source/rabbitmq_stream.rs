//! `RabbitMqStream<M>` as a pipeline input: a RabbitMQ stream queue, read by offset like a
//! Kafka partition. The offsets are stored with the outputs' transactions (partition 0), so a
//! restart resumes exactly after the last committed row; a stream keeps its messages, so
//! acknowledgements only give the consumer credit. One worker reads the stream.

use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use timely::dataflow::{Scope, StreamVec};
use timely::scheduling::SyncActivator;
use tokio::sync::mpsc;

use super::decode_payload::Decoding;
use super::delivery_source::{Pace, delivery_source};
use super::rabbitmq::{check_queue, validate_queue};
use super::rabbitmq_stream_reader::StreamReader;
use super::restore::restored_windows;
use crate::amqp::{Broker, backoff};
use crate::contract::connectors::RabbitMqStream;
use crate::contract::message::Message;
use crate::contract::sink::Positions;
use crate::contract::source::Source;
use crate::contract::startup::Startup;
use crate::dataflow::item::Item;
use crate::dataflow::worker::{Restored, WorkerShared};
use crate::delivery::{Epoch, load_offsets};
use crate::error::{Error, Result};
use crate::run::check::{CheckContext, Preflight};
use crate::run::config::{Config, StartFrom, millis_or};

/// Deliveries between two acknowledgements, which give the consumer more credit.
const ACK_EVERY: u64 = 256;
/// The consumer's credit: unacknowledged deliveries the broker sends ahead.
const PREFETCH: u16 = 2_048;
/// How long the search for a stream's last offset waits for the first message of its last
/// chunk (an empty stream sends none), then for more of it.
const FIRST_DELIVERY_WAIT: Duration = Duration::from_secs(2);
const LAST_CHUNK_WAIT: Duration = Duration::from_millis(300);

/// Where reading starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamStart {
    /// The first offset the stream still holds.
    First,
    /// What is published from now on.
    Next,
    Offset(i64),
}

/// What the reading worker's source needs, decided once at start-up.
#[derive(Debug)]
pub struct RabbitMqStreamPlan {
    pub(crate) stream: Arc<str>,
    pub(crate) pace: Pace,
    pub(crate) decoding: Decoding,
    pub(crate) max_delay: i64,
    /// With `--until-end`, the offset after the last message at start-up, which the run reads
    /// to; `None`: the stream was empty (or the run does not end).
    pub(crate) end: Option<i64>,
    pub(crate) start: StreamStart,
    deliveries: Mutex<Option<mpsc::Receiver<(i64, Delivery)>>>,
    wake: Arc<Mutex<Option<SyncActivator>>>,
}

#[allow(private_interfaces)]
impl<M: Message> Source for RabbitMqStream<M> {
    type Record = M;
    type Plan = RabbitMqStreamPlan;
    const HAS_EVENT_TIME: bool = M::HAS_EVENT_TIME;
    const HAS_DELETES: bool = M::FORMAT.has_deletes();

    fn validate(config: &Config) -> Result<()> {
        validate_queue(config, &Self::input_name(config))
    }

    fn input_name(config: &Config) -> Arc<str> {
        Arc::from(config.topic.as_deref().unwrap_or(M::QUEUE))
    }

    fn describe(config: &Config) -> String {
        format!("RabbitMQ stream `{}`", Self::input_name(config))
    }

    fn check(context: &CheckContext<'_>, report: &mut Preflight) {
        check_queue(context, &Self::input_name(context.config), report);
    }

    fn prepare(startup: &Startup<'_>) -> Result<(RabbitMqStreamPlan, Restored)> {
        let config = startup.config;
        let stream = Arc::clone(&startup.input);
        let broker = Broker::new(&config.amqp_url);
        let name = format!("sluice {}", startup.pipeline);
        let stored = match (startup.positions, &startup.database) {
            (Positions::Database, Some(pool)) => startup
                .runtime
                .block_on(load_offsets(pool, &startup.pipeline, &stream))?
                .into_iter()
                .find(|(partition, _)| *partition == 0)
                .map(|(_, next)| next),
            _ => None,
        };
        let restored = match startup.positions {
            Positions::Database => restored_windows(startup, stored.is_some())?,
            Positions::KafkaGroup | Positions::Nowhere => Restored::default(),
        };
        let start = match (config.from, stored) {
            (StartFrom::Committed, Some(next)) => StreamStart::Offset(next),
            (StartFrom::Committed | StartFrom::Earliest, _) => StreamStart::First,
            (StartFrom::Latest, _) => StreamStart::Next,
        };
        let end = match config.until_end {
            true => startup
                .runtime
                .block_on(end_offset(&broker, &name, &stream))?,
            false => None,
        };
        // Bounded: a slow sink holds the consumer back instead of filling memory.
        let (sender, deliveries) = mpsc::channel(usize::from(PREFETCH));
        let wake = Arc::new(Mutex::new(None));
        let consumer = StreamConsumer {
            broker,
            name,
            stream: Arc::clone(&stream),
            sender,
            wake: Arc::clone(&wake),
        };
        startup.runtime.spawn(consumer.run(start));
        let plan = RabbitMqStreamPlan {
            stream,
            pace: Pace::new(config),
            decoding: Decoding::new::<M>(config)?,
            max_delay: millis_or(config.max_delay, M::MAX_DELAY_MILLIS),
            end,
            start,
            deliveries: Mutex::new(Some(deliveries)),
            wake,
        };
        Ok((plan, restored))
    }

    fn build<'scope>(
        plan: &Arc<RabbitMqStreamPlan>,
        scope: Scope<'scope, Epoch>,
        shared: &Rc<WorkerShared>,
    ) -> StreamVec<'scope, Epoch, Item<M>> {
        let plan = Arc::clone(plan);
        let pace = plan.pace.clone();
        // The first worker reads the stream; the others have nothing to read.
        let reads = scope.index() == 0;
        delivery_source(
            scope,
            "RabbitMqStreamSource",
            pace,
            Rc::clone(shared),
            move |wake| {
                let deliveries = if reads {
                    if let Ok(mut slot) = plan.wake.lock() {
                        *slot = Some(wake);
                    }
                    let taken = plan.deliveries.lock().ok().and_then(|mut d| d.take());
                    Some(taken.ok_or_else(|| Error::Worker("the stream is read twice".into()))?)
                } else {
                    None
                };
                Ok(StreamReader::new(deliveries, plan))
            },
        )
    }
}

/// The offset after the stream's last message, read from its last chunk; `None` when it is
/// empty.
async fn end_offset(broker: &Broker, name: &str, stream: &str) -> Result<Option<i64>> {
    let connection = broker.connect(name).await?;
    let failed = |e: lapin::Error| broker.error(format!("stream `{stream}`: {e}"));
    let channel = connection.create_channel().await.map_err(failed)?;
    let last = AMQPValue::LongString("last".into());
    let mut consumer = consume(&channel, stream, last, "sluice-end")
        .await
        .map_err(failed)?;
    let mut last = None;
    // The last chunk comes at once; the first of it may take a moment.
    let mut wait = FIRST_DELIVERY_WAIT;
    while let Ok(Some(Ok(delivery))) = tokio::time::timeout(wait, consumer.next()).await {
        wait = LAST_CHUNK_WAIT;
        last = last.max(stream_offset(&delivery));
        // Credit for the rest of a chunk longer than the prefetch.
        let multiple = BasicAckOptions { multiple: true };
        channel
            .basic_ack(delivery.delivery_tag, multiple)
            .await
            .map_err(failed)?;
    }
    let _ = connection.close(200, "found the end".into()).await;
    Ok(last.map(|offset| offset + 1))
}

/// Consumes `stream` from `offset` (a number, or `first`, `last`, `next`).
async fn consume(
    channel: &lapin::Channel,
    stream: &str,
    offset: AMQPValue,
    tag: &str,
) -> lapin::Result<lapin::Consumer> {
    channel
        .basic_qos(PREFETCH, BasicQosOptions::default())
        .await?;
    let mut arguments = FieldTable::default();
    arguments.insert("x-stream-offset".into(), offset);
    let stream = ShortString::try_new(stream).unwrap_or_else(|_| ShortString::from(""));
    channel
        .basic_consume(
            stream,
            tag.into(),
            BasicConsumeOptions::default(),
            arguments,
        )
        .await
}

/// The offset a stream delivery carries in its `x-stream-offset` header.
pub(crate) fn stream_offset(delivery: &Delivery) -> Option<i64> {
    let headers = delivery.properties.headers().as_ref()?;
    match headers.inner().get("x-stream-offset")? {
        AMQPValue::LongLongInt(offset) => Some(*offset),
        AMQPValue::LongInt(offset) => Some(i64::from(*offset)),
        AMQPValue::LongUInt(offset) => Some(i64::from(*offset)),
        _ => None,
    }
}

/// The tokio task that reads the stream for the first worker, and reconnects after a pause
/// that grows, from the offset after the last one it handed over.
struct StreamConsumer {
    broker: Broker,
    name: String,
    stream: Arc<str>,
    sender: mpsc::Sender<(i64, Delivery)>,
    wake: Arc<Mutex<Option<SyncActivator>>>,
}

impl StreamConsumer {
    async fn run(self, start: StreamStart) {
        let mut next: Option<i64> = match start {
            StreamStart::Offset(offset) => Some(offset),
            StreamStart::First | StreamStart::Next => None,
        };
        let mut attempt = 0u32;
        loop {
            let from = match (next, start) {
                (Some(offset), _) => AMQPValue::LongLongInt(offset),
                (None, StreamStart::Next) => AMQPValue::LongString("next".into()),
                (None, _) => AMQPValue::LongString("first".into()),
            };
            let lost = match self.read(from, &mut next, &mut attempt).await {
                Ok(()) => return,
                Err(lost) => lost,
            };
            let pause = backoff(attempt);
            tracing::warn!(stream = %self.stream, "{lost}; reading again in {pause:?}");
            attempt += 1;
            tokio::time::sleep(pause).await;
        }
    }

    /// Reads until the connection is lost (`Err`) or the worker is gone (`Ok`).
    async fn read(
        &self,
        from: AMQPValue,
        next: &mut Option<i64>,
        attempt: &mut u32,
    ) -> std::result::Result<(), String> {
        let connection = self
            .broker
            .connect(&self.name)
            .await
            .map_err(|e| e.to_string())?;
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| e.to_string())?;
        let mut consumer = consume(&channel, &self.stream, from, "sluice-stream")
            .await
            .map_err(|e| e.to_string())?;
        *attempt = 0;
        let mut unacked = 0u64;
        while let Some(delivery) = consumer.next().await {
            let delivery = delivery.map_err(|e| e.to_string())?;
            let tag = delivery.delivery_tag;
            unacked += 1;
            if let Some(offset) = stream_offset(&delivery)
                && next.is_none_or(|next| offset >= next)
            {
                *next = Some(offset + 1);
                if self.sender.send((offset, delivery)).await.is_err() {
                    let _ = connection.close(200, "run ended".into()).await;
                    return Ok(());
                }
                if let Ok(wake) = self.wake.lock()
                    && let Some(wake) = wake.as_ref()
                {
                    let _ = wake.activate();
                }
            }
            if unacked >= ACK_EVERY {
                unacked = 0;
                channel
                    .basic_ack(tag, BasicAckOptions { multiple: true })
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        Err("the broker cancelled the consumer".to_owned())
    }
}
