//! The tokio side of a `RabbitMq` input: one connection per process with a channel per
//! worker, each worker's deliveries handed to its source operator, acknowledgements sent once
//! the rows are committed, and a new connection (after a pause that grows) when one is lost.
//!
//! Positions: a worker's messages get positions `base + generation * GENERATION + delivery
//! tag`, a new generation for every connection, so that a position names one delivery of one
//! run. The committer stores them like offsets (partition = worker); an acknowledgement of
//! everything up to a stored position is then one `basic.ack` with `multiple`.
//!
//! Redeliveries: a lost connection (or a crash) returns the unacknowledged messages to the
//! queue. Before connecting again the hub waits until every message the lost connection
//! delivered is committed, so that a copy the broker sends again is either of a message whose
//! id MySQL holds, and skipped, or of one that was never written. The worker looks up the ids
//! of redelivered messages, and of every message of a connection's first seconds (a broker
//! that restarted may not mark them all).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
/// Every delivery of a connection's first seconds is looked up in MySQL.
const LOOK_UP_AFTER_CONNECTING: Duration = Duration::from_secs(5);
/// Ids are deleted this long after the broker confirmed their acknowledgement: time for it to
/// make the acknowledgement durable, so that no crash of the broker brings their messages back.
const FORGET_AFTER: Duration = Duration::from_secs(60);

/// One delivery, for a worker.
#[derive(Debug)]
pub(crate) struct Received {
    pub position: i64,
    /// The message may have been delivered before: its id is looked up in MySQL.
    pub look_up: bool,
    pub delivery: Delivery,
}

/// What a worker's source takes from the hub.
#[derive(Debug)]
pub(crate) struct WorkerSlot {
    pub deliveries: Mutex<Option<mpsc::UnboundedReceiver<Received>>>,
    pub activator: Mutex<Option<SyncActivator>>,
}

/// The table of committed messages' ids, for one pipeline.
#[derive(Debug, Clone)]
pub(crate) struct StoredIds {
    pub pool: sqlx::Pool<sqlx::MySql>,
    pub pipeline: Arc<str>,
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
    /// Per worker, the positions and ids delivered and not yet committed, in order.
    pending: Vec<Mutex<Delivered>>,
    /// Per worker, those committed and not yet acknowledged for sure, in order.
    unconfirmed: Vec<Mutex<Delivered>>,
    /// Ids whose acknowledgement is confirmed, to the task that deletes them.
    forget: Option<mpsc::UnboundedSender<(Instant, Vec<Vec<u8>>)>>,
    /// The queue had no ready message at the last two counts, with no delivery in between.
    pub drained: AtomicBool,
    zero_counts: AtomicU32,
    commands: mpsc::UnboundedSender<Command>,
}

/// Positions and message ids of one worker's deliveries, in order.
type Delivered = VecDeque<(i64, Vec<u8>)>;

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
        let forget = ids.as_ref().map(|ids| {
            let (forget, confirmed) = mpsc::unbounded_channel();
            runtime.spawn(forget_later(ids.clone(), Arc::clone(&queue), confirmed));
            forget
        });
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
            pending: (0..workers).map(|_| Mutex::default()).collect(),
            unconfirmed: (0..workers).map(|_| Mutex::default()).collect(),
            forget,
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

    /// The first position of connection `generation`.
    fn first_position(&self, generation: i64) -> i64 {
        self.base
            .saturating_add(generation.saturating_mul(GENERATION))
    }

    /// Notes a delivery on `worker`'s channel of connection `generation`, for its worker.
    fn receive(&self, worker: usize, generation: i64, look_up: bool, delivery: Delivery) {
        let tag = i64::try_from(delivery.delivery_tag).unwrap_or(i64::MAX);
        let position = self.first_position(generation).saturating_add(tag);
        if self.manual_acks
            && let Some(id) = delivery.properties.message_id()
            && let Some(Ok(mut pending)) = self.pending.get(worker).map(|p| p.lock())
        {
            pending.push_back((position, id.as_str().as_bytes().to_vec()));
        }
        self.zero_counts.store(0, Ordering::Relaxed);
        self.drained.store(false, Ordering::Relaxed);
        if let Some(sender) = self.senders.get(worker) {
            let look_up = look_up || delivery.redelivered;
            let _ = sender.send(Received {
                position,
                look_up,
                delivery,
            });
        }
        self.wake(worker);
    }

    /// Every message of `worker` before `next` is committed.
    fn committed(&self, worker: usize, next: i64) {
        let (Some(Ok(mut pending)), Some(Ok(mut unconfirmed))) = (
            self.pending.get(worker).map(|p| p.lock()),
            self.unconfirmed.get(worker).map(|u| u.lock()),
        ) else {
            return;
        };
        while pending
            .front()
            .is_some_and(|(position, _)| *position < next)
        {
            if let Some(done) = pending.pop_front() {
                unconfirmed.push_back(done);
            }
        }
    }

    /// Whether a message delivered is not committed yet.
    fn uncommitted(&self) -> bool {
        self.pending
            .iter()
            .any(|p| p.lock().is_ok_and(|p| !p.is_empty()))
    }

    /// The broker has processed the acknowledgements of `worker`'s messages from `from` (the
    /// connection's first position) to `next`: their ids can go, after a while. Those of an
    /// earlier connection were never acknowledged: their messages came back, and the copies
    /// are stored under the same ids.
    fn confirmed(&self, worker: usize, from: i64, next: i64) {
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
        if let (Some(forget), false) = (&self.forget, done.is_empty()) {
            let _ = forget.send((Instant::now(), done));
        }
    }
}

/// Deletes the ids of acknowledged messages `FORGET_AFTER` their confirmation.
async fn forget_later(
    ids: StoredIds,
    queue: Arc<str>,
    mut confirmed: mpsc::UnboundedReceiver<(Instant, Vec<Vec<u8>>)>,
) {
    while let Some((at, done)) = confirmed.recv().await {
        tokio::time::sleep_until((at + FORGET_AFTER).into()).await;
        if let Err(error) = forget_ids(&ids.pool, &ids.pipeline, &queue, &done).await {
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

/// What ended a connection.
enum Ended {
    Lost(String),
    Closed,
}

async fn run(hub: Arc<Hub>, mut commands: mpsc::UnboundedReceiver<Command>) {
    let mut generation = 0i64;
    let mut attempt = 0u32;
    loop {
        let (lost_sender, mut lost) = mpsc::unbounded_channel::<String>();
        let opened = open(&hub, generation, &lost_sender).await;
        drop(lost_sender);
        let reason = match opened {
            Ok(mut session) => {
                if attempt > 0 {
                    tracing::info!(queue = %hub.queue, "reconnected to RabbitMQ");
                }
                match serve(&hub, &mut session, &mut commands, &mut lost, &mut attempt).await {
                    Ended::Closed => return,
                    Ended::Lost(reason) => {
                        tracing::warn!(queue = %hub.queue, "RabbitMQ connection lost ({reason}): \
                            reconnecting; unacknowledged messages come back redelivered");
                        let _ = session.connection.close(200, "reconnecting".into()).await;
                        reason
                    }
                }
            }
            Err(error) => error.to_string(),
        };
        // Every channel has handed over what it received, and every message the connection
        // delivered is committed, before the next connection reads their copies.
        while lost.recv().await.is_some() {}
        let pause = backoff(attempt);
        attempt = attempt.saturating_add(1);
        let wait = tokio::time::sleep(pause);
        tokio::pin!(wait);
        let mut waited = false;
        while !waited || hub.uncommitted() {
            tokio::select! {
                () = &mut wait, if !waited => {
                    waited = true;
                    if hub.uncommitted() {
                        tracing::debug!(queue = %hub.queue, "{reason}: waiting for the commit of what was delivered");
                    }
                }
                command = commands.recv() => match command {
                    Some(Command::Committed { worker, next }) => hub.committed(worker, next),
                    Some(Command::Close(done)) => { let _ = done.send(()); return; }
                    None => return,
                },
            }
        }
        generation += 1;
    }
}

/// Serves one connection until it is lost or the run ends.
async fn serve(
    hub: &Hub,
    session: &mut Session,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    lost: &mut mpsc::UnboundedReceiver<String>,
    attempt: &mut u32,
) -> Ended {
    let mut count = tokio::time::interval(COUNT_EVERY);
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                Some(Command::Committed { worker, next }) => {
                    hub.committed(worker, next);
                    match acknowledge(hub, session, worker, next).await {
                        // The connection works: the next loss starts with a short pause.
                        Ok(true) => *attempt = 0,
                        Ok(false) => {}
                        Err(error) => return Ended::Lost(error),
                    }
                }
                Some(Command::Close(done)) => {
                    let _ = session.connection.close(200, "run ended".into()).await;
                    let _ = done.send(());
                    return Ended::Closed;
                }
                None => return Ended::Closed,
            },
            reason = lost.recv() => return Ended::Lost(reason.unwrap_or_default()),
            _ = count.tick(), if hub.until_end => {
                if let Err(error) = count_ready(hub, session).await {
                    return Ended::Lost(error);
                }
            }
        }
    }
}

/// Connects, opens a channel per worker and starts consuming on each. On an error, what was
/// opened is closed, and its consumers report to `lost` as they end.
async fn open(
    hub: &Arc<Hub>,
    generation: i64,
    lost: &mpsc::UnboundedSender<String>,
) -> Result<Session, crate::error::Error> {
    let connection = hub.broker.connect(&hub.name).await?;
    match consume_on_every_channel(hub, &connection, generation, lost).await {
        Ok(channels) => Ok(Session {
            connection,
            acked: vec![0; channels.len()],
            channels,
            generation,
        }),
        Err(error) => {
            let _ = connection.close(200, "cannot consume".into()).await;
            Err(error)
        }
    }
}

async fn consume_on_every_channel(
    hub: &Arc<Hub>,
    connection: &Connection,
    generation: i64,
    lost: &mpsc::UnboundedSender<String>,
) -> Result<Vec<Channel>, crate::error::Error> {
    let queue = ShortString::try_new(hub.queue.as_ref())
        .map_err(|e| hub.broker.error(format!("queue name: {e}")))?;
    let look_up_until = Instant::now() + LOOK_UP_AFTER_CONNECTING;
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
                    Some(Ok(delivery)) => {
                        let look_up = Instant::now() < look_up_until;
                        hub.receive(worker, generation, look_up, delivery);
                    }
                    Some(Err(error)) => break error.to_string(),
                    None => break "the broker cancelled the consumer".to_owned(),
                }
            };
            let _ = lost.send(reason);
        });
        channels.push(channel);
    }
    Ok(channels)
}

/// Acknowledges every delivery of `worker` on this connection before position `next`, then
/// waits for a reply on the same channel, which the broker sends after it has processed the
/// acknowledgement. `true` when something was acknowledged.
async fn acknowledge(
    hub: &Hub,
    session: &mut Session,
    worker: usize,
    next: i64,
) -> Result<bool, String> {
    let first = hub.first_position(session.generation);
    let (Some(channel), Some(acked)) =
        (session.channels.get(worker), session.acked.get_mut(worker))
    else {
        return Ok(false);
    };
    // Positions of an earlier connection: their messages went back to the queue.
    let Ok(tag) = u64::try_from(next.saturating_sub(1).saturating_sub(first)) else {
        return Ok(false);
    };
    if !hub.manual_acks || tag == 0 || tag <= *acked || next - first > GENERATION {
        return Ok(false);
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
    hub.confirmed(worker, first, next);
    Ok(true)
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
