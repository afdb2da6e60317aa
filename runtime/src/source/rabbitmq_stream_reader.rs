//! The reading worker's side of a RabbitMQ stream: offsets, event time, decoding.

use std::sync::Arc;

use lapin::message::Delivery;
use tokio::sync::mpsc;

use super::decode_payload::{Decoded, future_limit};
use super::delivery_source::DeliveryReader;
use super::kafka_reader::Polled;
use super::rabbitmq_stream::{RabbitMqStreamPlan, StreamStart};
use crate::contract::message::Message;
use crate::dataflow::item::{Item, Origin};
use crate::dead_letter::{CappedBytes, DeadLetter};
use crate::delivery::{Ledger, OffsetUpdate};
use crate::run::control::RunControl;
use crate::run::report::Metrics;

/// Deliveries handled per activation before the worker gets to run other operators.
const DELIVERIES_PER_ACTIVATION: usize = 8_192;

pub(crate) struct StreamReader {
    /// `None` on the workers that do not read the stream.
    deliveries: Option<mpsc::Receiver<(i64, Delivery)>>,
    plan: Arc<RabbitMqStreamPlan>,
    /// The offset after the last message read.
    next: Option<i64>,
    changed: bool,
    max_event_time: i64,
}

impl StreamReader {
    pub fn new(
        deliveries: Option<mpsc::Receiver<(i64, Delivery)>>,
        plan: Arc<RabbitMqStreamPlan>,
    ) -> Self {
        // Reading from now on, the end at start-up is already reached.
        let next = match plan.start {
            StreamStart::Offset(offset) => Some(offset),
            StreamStart::Next => plan.end,
            StreamStart::First => None,
        };
        StreamReader {
            deliveries,
            plan,
            next,
            changed: false,
            max_event_time: i64::MIN,
        }
    }
}

impl DeliveryReader for StreamReader {
    fn at_end(&self) -> bool {
        let Some(deliveries) = &self.deliveries else {
            return true;
        };
        match (self.plan.end, self.next) {
            (None, _) => true,
            (Some(end), Some(next)) => next >= end && deliveries.is_empty(),
            (Some(_), None) => false,
        }
    }

    fn close_epoch(&mut self) -> Vec<OffsetUpdate> {
        match (self.changed, self.next) {
            (true, Some(next_offset)) => {
                self.changed = false;
                vec![OffsetUpdate {
                    topic: Arc::clone(&self.plan.stream),
                    partition: 0,
                    next_offset,
                }]
            }
            _ => Vec::new(),
        }
    }

    fn watermark(&self) -> Option<i64> {
        match &self.deliveries {
            None => Some(i64::MAX),
            Some(_) if self.max_event_time == i64::MIN => None,
            Some(_) => Some(self.max_event_time.saturating_sub(self.plan.max_delay)),
        }
    }

    fn read_batch<M: Message>(
        &mut self,
        give: &mut dyn FnMut(Item<M>),
        room: usize,
        ledger: &mut Ledger,
        control: &RunControl,
    ) -> Polled {
        let Some(deliveries) = self.deliveries.as_mut() else {
            return Polled::Idle;
        };
        let future_limit = future_limit(control, self.plan.decoding.max_future);
        let (mut consumed, mut dead, mut tombstones) = (0u64, 0u64, 0u64);
        let mut polled = Polled::Busy;
        for _ in 0..DELIVERIES_PER_ACTIVATION.min(room) {
            let Ok((offset, delivery)) = deliveries.try_recv() else {
                polled = Polled::Idle;
                break;
            };
            if !control.take_one() {
                polled = Polled::BudgetSpent;
                break;
            }
            consumed += 1;
            self.next = Some(offset + 1);
            self.changed = true;
            match self
                .plan
                .decoding
                .decode::<M>(Some(&delivery.data), future_limit)
            {
                Decoded::Record(record, event_time, change) => {
                    self.max_event_time = self.max_event_time.max(event_time);
                    let origin = Origin {
                        partition: 0,
                        offset,
                        event_time,
                        change,
                    };
                    give(Item::Record(origin, record));
                }
                Decoded::Skipped => tombstones += 1,
                Decoded::Failed(error) => {
                    control.fail(error);
                    polled = Polled::Idle;
                    break;
                }
                Decoded::Dead(kind, reason) => {
                    dead += 1;
                    ledger.dead_letter(DeadLetter {
                        topic: self.plan.stream.to_string(),
                        partition: 0,
                        offset,
                        key: delivery
                            .properties
                            .message_id()
                            .as_ref()
                            .map(|id| CappedBytes::key(id.as_str().as_bytes())),
                        payload: Some(CappedBytes::payload(&delivery.data)),
                        kind,
                        message: reason,
                    });
                }
            }
        }
        Metrics::add(&control.metrics.consumed, consumed);
        Metrics::add(&control.metrics.dead_lettered, dead);
        Metrics::add(&control.metrics.tombstones, tombstones);
        polled
    }
}
