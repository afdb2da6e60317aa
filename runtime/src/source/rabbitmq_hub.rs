//! The tokio side of a `RabbitMq` input: one connection per process with a channel per
//! worker, each worker's deliveries handed to its source operator, acknowledgements sent once
//! the rows are committed, and a new connection (after a pause that grows) when one is lost.
//!
//! Positions: a worker's messages get positions `base + delivery tag`, with a new `base` for
//! every connection (`GENERATION` apart), so that a position names one delivery of one run. The
//! committer stores them like offsets (partition = worker); an acknowledgement of everything
//! up to a stored position is then one `basic.ack` with `multiple`.
//!
//! Redeliveries: a connection lost (or a crash) returns the unacknowledged messages to the
//! queue, marked as redelivered. The hub counts the ids of the messages this process holds
//! uncommitted; a redelivered message whose id is among them is a copy of one whose rows are
//! still on their way. The worker asks MySQL about the other redelivered ones.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions, QueueDeclareOptions};
use lapin::types::{FieldTable, ShortString};
use lapin::{Channel, Connection};
use timely::scheduling::SyncActivator;
use tokio::sync::mpsc;

use crate::amqp::{Broker, backoff};
use crate::delivery::OffsetUpdate;
use crate::delivery::acknowledge::AcknowledgeCommitted;
use crate::delivery::message_ids::forget_ids;

/// Positions of two connections of a run lie this far apart: 2^40 deliveries on one channel.
pub(crate) const GENERATION: i64 = 1 << 40;

/// How often the hub asks how many messages are ready, for `--until-end`.
const COUNT_EVERY: Duration = Duration::from_millis(100);

/// What the hub knows of a redelivered message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Redelivery {
    /// A first delivery.
    First,
    /// A copy of a message this process read and has not committed: its rows are on their way.
    CopyInFlight,
    /// Redelivered: MySQL knows whether its rows are committed.
    Unknown,
}

/// One delivery, for a worker.
#[derive(Debug)]
pub(crate) struct Received {
    pub position: i64,
    pub redelivery: Redelivery,
    pub delivery: Delivery,
}

/// What a worker's source takes from the hub.
#[derive(Debug)]
pub(crate) struct WorkerSlot {
    pub deliveries: Mutex<Option<mpsc::UnboundedReceiver<Received>>>,
    pub activator: Mutex<Option<SyncActivator>>,
}

/// What the hub and the workers share.
#[derive(Debug)]
pub(crate) struct Hub {
    pub broker: Broker,
    pub queue: Arc<str>,
    pub name: String,
    /// The first position of this run.
    pub base: i64,
    pub prefetch: u16,
    /// Messages are acknowledged after their commit; `false`: on delivery (nothing is stored).
    pub manual_acks: bool,
    /// The run stops once the queue is drained: the hub counts its ready messages.
    until_end: bool,
    pub slots: Vec<WorkerSlot>,
    senders: Vec<mpsc::UnboundedSender<Received>>,
    /// Ids of the messages read and not yet committed, counted (a copy counts too).
    in_flight: Mutex<HashMap<Vec<u8>, u32>>,
    /// Per worker, the positions and ids read and not yet committed, in order.
    pending: Vec<Mutex<VecDeque<(i64, Vec<u8>)>>>,
    /// Per worker, those committed and not yet acknowledged for sure, in order.
    unconfirmed: Vec<Mutex<VecDeque<(i64, Vec<u8>)>>>,
    /// Where the ids of committed messages are stored, and deleted once acknowledged.
    ids: Option<StoredIds>,
    /// The queue had no ready message at the last two counts, with no delivery in between.
    pub drained: AtomicBool,
    zero_counts: AtomicU32,
    commands: mpsc::UnboundedSender<Command>,
}

/// The table of committed messages' ids, for one pipeline.
#[derive(Debug, Clone)]
pub(crate) struct StoredIds {
    pub pool: sqlx::Pool<sqlx::MySql>,
    pub pipeline: Arc<str>,
}

#[derive(Debug)]
enum Command {
    /// Every message of `worker` before `next` is committed.
    Committed {
        worker: usize,
        next: i64,
    },
    Close(std::sync::mpsc::Sender<()>),
}

impl Hub {
    /// Starts the hub of `workers` workers on `runtime`.
    pub fn start(
        broker: Broker,
        queue: Arc<str>,
        name: String,
        (base, prefetch, until_end): (i64, u16, bool),
        ids: Option<StoredIds>,
        workers: usize,
        runtime: &tokio::runtime::Handle,
    ) -> Arc<Hub> {
        let (commands, received) = mpsc::unbounded_channel();
        let mut senders = Vec::new();
        let mut slots = Vec::new();
        for _ in 0..workers {
            let (sender, deliveries) = mpsc::unbounded_channel();
            senders.push(sender);
            slots.push(WorkerSlot {
                deliveries: Mutex::new(Some(deliveries)),
                activator: Mutex::new(None),
            });
        }
        let hub = Arc::new(Hub {
            broker,
            queue,
            name,
            base,
            prefetch,
            manual_acks: ids.is_some(),
            until_end,
            slots,
            senders,
            in_flight: Mutex::new(HashMap::new()),
            pending: (0..workers).map(|_| Mutex::default()).collect(),
            unconfirmed: (0..workers).map(|_| Mutex::default()).collect(),
            ids,
            drained: AtomicBool::new(false),
            zero_counts: AtomicU32::new(0),
            commands,
        });
        runtime.spawn(run(Arc::clone(&hub), received));
        hub
    }

    fn wake(&self, worker: usize) {
        let slot = self.slots.get(worker).and_then(|s| s.activator.lock().ok());
        if let Some(Some(activator)) = slot.as_deref() {
            // The worker is gone only when the run ends.
            let _ = activator.activate();
        }
    }

    /// Notes a delivery on `worker`'s channel of connection `generation`, for its worker.
    fn receive(&self, worker: usize, generation: i64, delivery: Delivery) {
        let position = self.base + generation * GENERATION + delivery.delivery_tag as i64;
        let id = delivery
            .properties
            .message_id()
            .as_ref()
            .map(|id| id.as_str().as_bytes().to_vec());
        let mut redelivery = if delivery.redelivered {
            Redelivery::Unknown
        } else {
            Redelivery::First
        };
        if let (true, Some(id)) = (self.manual_acks, id) {
            if let Ok(mut in_flight) = self.in_flight.lock() {
                let count = in_flight.entry(id.clone()).or_insert(0);
                if *count > 0 && delivery.redelivered {
                    redelivery = Redelivery::CopyInFlight;
                }
                *count += 1;
            }
            if let Some(Ok(mut pending)) = self.pending.get(worker).map(|p| p.lock()) {
                pending.push_back((position, id));
            }
        }
        self.zero_counts.store(0, Ordering::Relaxed);
        self.drained.store(false, Ordering::Relaxed);
        if let Some(sender) = self.senders.get(worker) {
            let _ = sender.send(Received {
                position,
                redelivery,
                delivery,
            });
        }
        self.wake(worker);
    }

    /// Every message of `worker` before `next` is committed: their ids leave the in-flight
    /// count (MySQL holds them now).
    fn committed(&self, worker: usize, next: i64) {
        let (Some(Ok(mut pending)), Some(Ok(mut unconfirmed))) = (
            self.pending.get(worker).map(|p| p.lock()),
            self.unconfirmed.get(worker).map(|u| u.lock()),
        ) else {
            return;
        };
        let Ok(mut in_flight) = self.in_flight.lock() else {
            return;
        };
        while pending
            .front()
            .is_some_and(|(position, _)| *position < next)
        {
            let Some((position, id)) = pending.pop_front() else {
                break;
            };
            if let Some(count) = in_flight.get_mut(&id) {
                *count -= 1;
                if *count == 0 {
                    in_flight.remove(&id);
                }
            }
            unconfirmed.push_back((position, id));
        }
    }

    /// The broker has processed the acknowledgements of `worker`'s messages from `from` (the
    /// connection's first position) to `next`: their ids are no longer needed. Those of an
    /// earlier connection were never acknowledged: their messages came back, and the copies
    /// are stored under the same ids.
    async fn confirmed(&self, worker: usize, from: i64, next: i64) {
        let mut done = Vec::new();
        if let Some(Ok(mut unconfirmed)) = self.unconfirmed.get(worker).map(|u| u.lock()) {
            while unconfirmed
                .front()
                .is_some_and(|(position, _)| *position < next)
            {
                if let Some((position, id)) = unconfirmed.pop_front()
                    && position >= from
                {
                    done.push(id);
                }
            }
        }
        if let (Some(ids), false) = (&self.ids, done.is_empty())
            && let Err(error) = forget_ids(&ids.pool, &ids.pipeline, &self.queue, &done).await
        {
            tracing::warn!("acknowledged message ids stay stored: {error}");
        }
    }
}

/// The hub's listener for stored positions.
#[derive(Debug)]
pub(crate) struct AcknowledgeAfterCommit {
    pub hub: Arc<Hub>,
}

impl AcknowledgeCommitted for AcknowledgeAfterCommit {
    fn committed(&self, positions: &[OffsetUpdate]) {
        for update in positions {
            if let Ok(worker) = usize::try_from(update.partition) {
                let next = update.next_offset;
                let _ = self.hub.commands.send(Command::Committed { worker, next });
            }
        }
    }

    fn close(&self) {
        let (done, closed) = std::sync::mpsc::channel();
        if self.hub.commands.send(Command::Close(done)).is_ok() {
            // Unacknowledged messages go back to the queue when the connection closes.
            let _ = closed.recv_timeout(Duration::from_secs(5));
        }
    }
}

/// One connection and its channels.
struct Session {
    connection: Connection,
    channels: Vec<Channel>,
    generation: i64,
    /// Per worker, the last delivery tag acknowledged.
    acked: Vec<u64>,
}

async fn run(hub: Arc<Hub>, mut commands: mpsc::UnboundedReceiver<Command>) {
    let mut generation = 0i64;
    let mut attempt = 0u32;
    loop {
        let (lost_sender, mut lost) = mpsc::unbounded_channel::<String>();
        let mut session = match open(&hub, generation, &lost_sender).await {
            Ok(session) => {
                if attempt > 0 {
                    tracing::info!(queue = %hub.queue, "reconnected to RabbitMQ");
                }
                attempt = 0;
                session
            }
            Err(error) => {
                let pause = backoff(attempt);
                tracing::warn!(queue = %hub.queue, "{error}; trying again in {pause:?}");
                attempt += 1;
                // Commits go on while the broker is away; their messages come back anyway.
                let wait = tokio::time::sleep(pause);
                tokio::pin!(wait);
                loop {
                    tokio::select! {
                        () = &mut wait => break,
                        command = commands.recv() => match command {
                            Some(Command::Committed { worker, next }) => hub.committed(worker, next),
                            Some(Command::Close(done)) => { let _ = done.send(()); return; }
                            None => return,
                        },
                    }
                }
                generation += 1;
                continue;
            }
        };
        let mut count = tokio::time::interval(COUNT_EVERY);
        let reason = loop {
            tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::Committed { worker, next }) => {
                        hub.committed(worker, next);
                        if let Err(error) = acknowledge(&hub, &mut session, worker, next).await {
                            break error;
                        }
                    }
                    Some(Command::Close(done)) => {
                        let _ = session.connection.close(200, "run ended".into()).await;
                        let _ = done.send(());
                        return;
                    }
                    None => return,
                },
                reason = lost.recv() => break reason.unwrap_or_default(),
                _ = count.tick(), if hub.until_end => {
                    if let Err(error) = count_ready(&hub, &session).await {
                        break error;
                    }
                }
            }
        };
        tracing::warn!(queue = %hub.queue, "RabbitMQ connection lost ({reason}): reconnecting; unacknowledged messages come back redelivered");
        // Every channel ends with the connection: their deliveries are all handed over before
        // the next connection reads the copies.
        let _ = session.connection.close(200, "reconnecting".into()).await;
        drop(lost_sender);
        while lost.recv().await.is_some() {}
        generation += 1;
    }
}

/// Connects, opens a channel per worker and starts consuming on each.
async fn open(
    hub: &Arc<Hub>,
    generation: i64,
    lost: &mpsc::UnboundedSender<String>,
) -> Result<Session, crate::error::Error> {
    let connection = hub.broker.connect(&hub.name).await?;
    let queue = ShortString::try_new(hub.queue.as_ref())
        .map_err(|e| hub.broker.error(format!("queue name: {e}")))?;
    let mut channels = Vec::new();
    for worker in 0..hub.slots.len() {
        let failed = |e: lapin::Error| hub.broker.error(format!("queue `{}`: {e}", hub.queue));
        let channel = connection.create_channel().await.map_err(failed)?;
        channel
            .basic_qos(hub.prefetch, BasicQosOptions::default())
            .await
            .map_err(failed)?;
        let tag = ShortString::try_new(format!("{}-{worker}", hub.name))
            .unwrap_or_else(|_| ShortString::from(format!("sluice-{worker}")));
        let options = BasicConsumeOptions {
            no_ack: !hub.manual_acks,
            ..BasicConsumeOptions::default()
        };
        let mut consumer = channel
            .basic_consume(queue.clone(), tag, options, FieldTable::default())
            .await
            .map_err(failed)?;
        let hub = Arc::clone(hub);
        let lost = lost.clone();
        tokio::spawn(async move {
            let reason = loop {
                match consumer.next().await {
                    Some(Ok(delivery)) => hub.receive(worker, generation, delivery),
                    Some(Err(error)) => break error.to_string(),
                    None => break "the broker cancelled the consumer".to_owned(),
                }
            };
            let _ = lost.send(reason);
        });
        channels.push(channel);
    }
    Ok(Session {
        connection,
        acked: vec![0; channels.len()],
        channels,
        generation,
    })
}

/// Acknowledges every delivery of `worker` on this connection before position `next`, then
/// waits for a reply on the same channel, which the broker sends after it has processed the
/// acknowledgement: only then may the ids be forgotten.
async fn acknowledge(
    hub: &Hub,
    session: &mut Session,
    worker: usize,
    next: i64,
) -> Result<(), String> {
    let base = hub.base + session.generation * GENERATION;
    let (Some(channel), Some(acked)) =
        (session.channels.get(worker), session.acked.get_mut(worker))
    else {
        return Ok(());
    };
    // Positions of an earlier connection: their messages went back to the queue.
    let Ok(tag) = u64::try_from(next - 1 - base) else {
        return Ok(());
    };
    if !hub.manual_acks || tag == 0 || tag <= *acked || next - base > GENERATION {
        return Ok(());
    }
    let options = BasicAckOptions { multiple: true };
    channel
        .basic_ack(tag, options)
        .await
        .map_err(|e| e.to_string())?;
    *acked = tag;
    channel
        .basic_qos(hub.prefetch, BasicQosOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    hub.confirmed(worker, base, next).await;
    Ok(())
}

/// Notes whether the queue has no ready message, for `--until-end`.
async fn count_ready(hub: &Hub, session: &Session) -> Result<(), String> {
    let Some(channel) = session.channels.first() else {
        return Ok(());
    };
    let options = QueueDeclareOptions {
        passive: true,
        ..QueueDeclareOptions::default()
    };
    let queue = ShortString::try_new(hub.queue.as_ref()).map_err(|e| e.to_string())?;
    let declared = channel
        .queue_declare(queue, options, FieldTable::default())
        .await
        .map_err(|e| e.to_string())?;
    if declared.message_count() == 0 {
        if hub.zero_counts.fetch_add(1, Ordering::Relaxed) >= 1 {
            hub.drained.store(true, Ordering::Relaxed);
            for worker in 0..hub.slots.len() {
                hub.wake(worker);
            }
        }
    } else {
        hub.zero_counts.store(0, Ordering::Relaxed);
        hub.drained.store(false, Ordering::Relaxed);
    }
    Ok(())
}
