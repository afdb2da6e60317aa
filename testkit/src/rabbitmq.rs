//! RabbitMQ for tests, examples and benches: queues declared and deleted, W1 orders published
//! with publisher confirms and a `message_id` each, queues counted, connections closed.

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};

use crate::workload::W1Order;

/// RabbitMQ on this machine, as `--amqp-url` reads it by default.
pub const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The kind of queue a test declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueKind {
    Classic,
    Quorum,
    Stream,
}

/// A connection and a channel with publisher confirms, on a runtime of its own.
#[derive(Debug)]
pub struct Rabbit {
    runtime: tokio::runtime::Runtime,
    connection: Connection,
    channel: Channel,
}

impl Rabbit {
    pub fn connect() -> Result<Rabbit> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let (connection, channel) = runtime.block_on(async {
            let connection = Connection::connect(AMQP_URL, ConnectionProperties::default()).await?;
            let channel = connection.create_channel().await?;
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
            Ok::<_, lapin::Error>((connection, channel))
        })?;
        Ok(Rabbit {
            runtime,
            connection,
            channel,
        })
    }

    /// Declares `queue` afresh (deleting what an earlier run left), durable.
    pub fn fresh_queue(&self, queue: &str, kind: QueueKind) -> Result<()> {
        self.runtime.block_on(async {
            self.channel
                .queue_delete(queue.into(), QueueDeleteOptions::default())
                .await?;
            let mut arguments = FieldTable::default();
            let kind = match kind {
                QueueKind::Classic => None,
                QueueKind::Quorum => Some("quorum"),
                QueueKind::Stream => Some("stream"),
            };
            if let Some(kind) = kind {
                arguments.insert("x-queue-type".into(), AMQPValue::LongString(kind.into()));
            }
            let options = QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            };
            self.channel
                .queue_declare(queue.into(), options, arguments)
                .await?;
            Ok(())
        })
    }

    /// Deletes `queue`.
    pub fn delete_queue(&self, queue: &str) -> Result<()> {
        self.runtime.block_on(async {
            self.channel
                .queue_delete(queue.into(), QueueDeleteOptions::default())
                .await?;
            Ok(())
        })
    }

    /// Publishes `payloads` to `queue` (default exchange), each with its message id, and
    /// waits until the broker has confirmed every one.
    pub fn publish(
        &self,
        queue: &str,
        messages: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) -> Result<()> {
        self.runtime.block_on(async {
            let mut confirms = FuturesUnordered::new();
            for (id, payload) in messages {
                let properties = BasicProperties::default()
                    .with_message_id(ShortString::try_new(id)?)
                    .with_delivery_mode(2);
                let confirm = self
                    .channel
                    .basic_publish(
                        "".into(),
                        queue.into(),
                        BasicPublishOptions::default(),
                        &payload,
                        properties,
                    )
                    .await?;
                confirms.push(confirm);
                // A window of confirmations keeps the broker's memory and ours small.
                while confirms.len() >= 1_000 {
                    if let Some(done) = confirms.next().await
                        && !done?.is_ack()
                    {
                        return Err("the broker refused a message".into());
                    }
                }
            }
            while let Some(done) = confirms.next().await {
                if !done?.is_ack() {
                    return Err("the broker refused a message".into());
                }
            }
            Ok(())
        })
    }

    /// Publishes one message without a message id to `queue`.
    pub fn publish_without_id(&self, queue: &str, payload: Vec<u8>) -> Result<()> {
        self.runtime.block_on(async {
            let confirm = self
                .channel
                .basic_publish(
                    "".into(),
                    queue.into(),
                    BasicPublishOptions::default(),
                    &payload,
                    BasicProperties::default(),
                )
                .await?
                .await?;
            if confirm.is_ack() {
                Ok(())
            } else {
                Err("the broker refused a message".into())
            }
        })
    }

    /// Publishes W1 orders `range` to `queue`, message id `order-<id>`.
    pub fn publish_w1(&self, queue: &str, range: std::ops::Range<u64>) -> Result<()> {
        self.publish(
            queue,
            range.map(|i| {
                let order = W1Order::nth(i);
                (format!("order-{}", order.id), order.json().into_bytes())
            }),
        )
    }

    /// Messages ready in `queue` (not delivered to a consumer, or given back).
    pub fn ready(&self, queue: &str) -> Result<u32> {
        self.runtime.block_on(async {
            let options = QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            };
            let channel = self.connection.create_channel().await?;
            let queue = channel
                .queue_declare(queue.into(), options, FieldTable::default())
                .await?;
            let _ = channel.close(200, "counted".into()).await;
            Ok(queue.message_count())
        })
    }

    /// Takes every message of `queue` (acknowledging it), with its message id, until none
    /// comes for `quiet`.
    pub fn drain(
        &self,
        queue: &str,
        quiet: std::time::Duration,
    ) -> Result<Vec<(Option<String>, Vec<u8>)>> {
        self.runtime.block_on(async {
            let channel = self.connection.create_channel().await?;
            channel
                .basic_qos(1_000, lapin::options::BasicQosOptions::default())
                .await?;
            let mut consumer = channel
                .basic_consume(
                    queue.into(),
                    "sluice-testkit-drain".into(),
                    lapin::options::BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await?;
            let mut taken = Vec::new();
            while let Ok(Some(delivery)) = tokio::time::timeout(quiet, consumer.next()).await {
                let delivery = delivery?;
                delivery
                    .ack(lapin::options::BasicAckOptions::default())
                    .await?;
                let id = delivery
                    .properties
                    .message_id()
                    .as_ref()
                    .map(|id| id.to_string());
                taken.push((id, delivery.data));
            }
            let _ = channel.close(200, "drained".into()).await;
            Ok(taken)
        })
    }
}

/// Closes the client connections whose name starts with `prefix` (a job names its
/// connections `sluice <pipeline id>`), as an operator would with `rabbitmqctl
/// close_connection`, and as a broker restart does. Returns how many were closed.
pub fn close_connections(prefix: &str) -> Result<usize> {
    let listed = std::process::Command::new("rabbitmqctl")
        .args([
            "list_connections",
            "pid",
            "client_properties",
            "--no-table-headers",
            "--quiet",
        ])
        .output()?;
    if !listed.status.success() {
        return Err(format!("rabbitmqctl list_connections: {}", listed.status).into());
    }
    let wanted = format!("{{\"connection_name\",\"{prefix}");
    let mut closed = 0;
    for line in String::from_utf8_lossy(&listed.stdout).lines() {
        let Some((pid, properties)) = line.split_once('\t') else {
            continue;
        };
        if !properties.contains(&wanted) {
            continue;
        }
        let status = std::process::Command::new("rabbitmqctl")
            .args(["close_connection", pid.trim(), "closed by a sluice test"])
            .stdout(std::process::Stdio::null())
            .status()?;
        if status.success() {
            closed += 1;
        }
    }
    Ok(closed)
}
