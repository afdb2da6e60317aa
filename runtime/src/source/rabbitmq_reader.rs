//! One worker's share of a RabbitMQ queue: the deliveries its channel received, skipped when
//! they are copies of messages already written, decoded otherwise.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::mpsc;

use super::decode_payload::{Decoded, future_limit};
use super::delivery_source::DeliveryReader;
use super::kafka_reader::Polled;
use super::rabbitmq::RabbitMqPlan;
use super::rabbitmq_hub::Received;
use crate::contract::message::Message;
use crate::dataflow::item::{Item, Origin};
use crate::dead_letter::{CappedBytes, DeadLetter, DeadLetterKind};
use crate::delivery::message_ids::{ClaimedId, committed_ids};
use crate::delivery::{Ledger, OffsetUpdate};
use crate::run::control::RunControl;
use crate::run::report::Metrics;

/// Deliveries handled per activation before the worker gets to run other operators.
const DELIVERIES_PER_ACTIVATION: usize = 8_192;

pub(crate) struct QueueReader {
    plan: Arc<RabbitMqPlan>,
    deliveries: mpsc::UnboundedReceiver<Received>,
    partition: i32,
    /// The position after the last delivery read, when it changed since the epoch closed.
    reached: Option<i64>,
    /// The hub dropped its side: the run is ending.
    disconnected: bool,
}

impl QueueReader {
    pub fn new(
        deliveries: mpsc::UnboundedReceiver<Received>,
        worker: usize,
        plan: Arc<RabbitMqPlan>,
    ) -> Self {
        QueueReader {
            plan,
            deliveries,
            partition: i32::try_from(worker).unwrap_or(i32::MAX),
            reached: None,
            disconnected: false,
        }
    }

    fn take(&mut self, room: usize) -> Vec<Received> {
        let mut taken = Vec::new();
        while taken.len() < DELIVERIES_PER_ACTIVATION.min(room) {
            match self.deliveries.try_recv() {
                Ok(received) => taken.push(received),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    self.disconnected = true;
                    break;
                }
            }
        }
        taken
    }
}

impl DeliveryReader for QueueReader {
    /// Every delivery received is read, and the queue had nothing ready since.
    fn at_end(&self) -> bool {
        self.disconnected
            || (self.deliveries.is_empty() && self.plan.hub.drained.load(Ordering::Relaxed))
    }

    fn close_epoch(&mut self) -> Vec<OffsetUpdate> {
        self.reached
            .take()
            .map(|next_offset| OffsetUpdate {
                topic: Arc::clone(&self.plan.queue),
                partition: self.partition,
                next_offset,
            })
            .into_iter()
            .collect()
    }

    /// A queue's messages come in no order of event time: windows refuse it.
    fn watermark(&self) -> Option<i64> {
        None
    }

    fn read_batch<M: Message>(
        &mut self,
        give: &mut dyn FnMut(Item<M>),
        room: usize,
        ledger: &mut Ledger,
        control: &RunControl,
    ) -> Polled {
        let plan = Arc::clone(&self.plan);
        let taken = self.take(room);
        if taken.is_empty() {
            return Polled::Idle;
        }
        let written = match written_already(&plan, &taken) {
            Ok(written) => written,
            Err(error) => {
                control.fail(error);
                return Polled::Idle;
            }
        };
        let future_limit = future_limit(control, plan.decoding.max_future);
        let (mut consumed, mut dead, mut replayed) = (0u64, 0u64, 0u64);
        let mut tombstones = 0u64;
        let mut polled = Polled::Busy;
        for received in taken {
            if !control.take_one() {
                // Not acknowledged: it goes back to the queue when the run ends.
                polled = Polled::BudgetSpent;
                break;
            }
            consumed += 1;
            self.reached = Some(received.position + 1);
            let delivery = &received.delivery;
            let id = delivery
                .properties
                .message_id()
                .as_ref()
                .map(|id| id.as_str().as_bytes());
            let origin = Origin::read(
                self.partition,
                received.position,
                crate::dataflow::item::NO_EVENT_TIME,
            );
            let letter = |kind, reason| DeadLetter {
                topic: plan.queue.to_string(),
                partition: origin.partition,
                offset: origin.offset,
                key: id.map(CappedBytes::key),
                payload: Some(CappedBytes::payload(&delivery.data)),
                kind,
                message: reason,
            };
            if plan.hub.manual_acks {
                let Some(id) = id else {
                    dead += 1;
                    ledger.dead_letter(letter(
                        DeadLetterKind::Decode,
                        "the message has no message_id property: sluice acknowledges a queue's \
                         messages after their rows are committed and recognizes a redelivered \
                         one by its id; publish every message with a unique message_id"
                            .to_owned(),
                    ));
                    continue;
                };
                ledger.claim(ClaimedId {
                    input: Arc::clone(&plan.queue),
                    partition: self.partition,
                    position: received.position,
                    id: id.to_vec(),
                });
                let copy = received.look_up && written.contains(id);
                if copy {
                    replayed += 1;
                    continue;
                }
            }
            match plan
                .decoding
                .decode::<M>(Some(&delivery.data), future_limit)
            {
                Decoded::Record(record, event_time, change) => {
                    give(Item::Record(
                        Origin {
                            event_time,
                            change,
                            ..origin
                        },
                        record,
                    ));
                }
                Decoded::Skipped => tombstones += 1,
                Decoded::Failed(error) => {
                    control.fail(error);
                    polled = Polled::Idle;
                    break;
                }
                Decoded::Dead(kind, reason) => {
                    dead += 1;
                    ledger.dead_letter(letter(kind, reason));
                }
            }
        }
        Metrics::add(&control.metrics.consumed, consumed);
        Metrics::add(&control.metrics.dead_lettered, dead);
        Metrics::add(&control.metrics.tombstones, tombstones);
        Metrics::add(&control.metrics.replayed, replayed);
        polled
    }
}

/// The ids, among the messages of `taken` that may have been delivered before, whose rows are
/// committed.
fn written_already(
    plan: &RabbitMqPlan,
    taken: &[Received],
) -> crate::error::Result<HashSet<Vec<u8>>> {
    let asked: Vec<&[u8]> = taken
        .iter()
        .filter(|r| r.look_up)
        .filter_map(|r| r.delivery.properties.message_id().as_ref())
        .map(|id| id.as_str().as_bytes())
        .collect();
    match (&plan.database, asked.is_empty()) {
        (Some(pool), false) => {
            plan.runtime
                .block_on(committed_ids(pool, &plan.pipeline, &plan.queue, &asked))
        }
        _ => Ok(HashSet::new()),
    }
}
