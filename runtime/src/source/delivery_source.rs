//! The source operator of an input whose client task hands deliveries to each worker (a
//! RabbitMQ queue or stream): it closes epochs on the clock, pauses while the sinks hold too
//! much, and sleeps until a delivery wakes it.

use std::rc::Rc;
use std::time::Duration;

use timely::container::CapacityContainerBuilder;
use timely::dataflow::operators::generic::operator::source;
use timely::dataflow::{Scope, StreamVec};
use timely::scheduling::SyncActivator;

use super::kafka_reader::Polled;
use crate::contract::message::Message;
use crate::dataflow::item::{Item, Watermark};
use crate::dataflow::worker::{BacklogLimit, WorkerShared};
use crate::delivery::{Epoch, EpochClock, Ledger, OffsetUpdate};
use crate::error::Result;
use crate::run::config::Config;
use crate::run::control::RunControl;

/// How soon an idle source looks at the epoch clock again without a delivery waking it.
const IDLE_POLL: Duration = Duration::from_millis(50);

/// One worker's side of a client task.
pub(super) trait DeliveryReader: 'static {
    /// Everything there is to read has been read: a bounded run ends.
    fn at_end(&self) -> bool;

    /// The positions reached since the last call, for the ledger.
    fn close_epoch(&mut self) -> Vec<OffsetUpdate>;

    /// The event time below which no more records are expected; `None` when nothing is known.
    fn watermark(&self) -> Option<i64>;

    /// Reads up to one activation's share of deliveries, and at most `room`: records go to
    /// `give`, dead letters to the ledger.
    fn read_batch<M: Message>(
        &mut self,
        give: &mut dyn FnMut(Item<M>),
        room: usize,
        ledger: &mut Ledger,
        control: &RunControl,
    ) -> Polled;
}

/// When epochs close and how much the sinks may hold.
#[derive(Debug, Clone)]
pub(crate) struct Pace {
    pub clock: EpochClock,
    pub backlog_limit: BacklogLimit,
    pub until_end: bool,
}

impl Pace {
    pub fn new(config: &Config) -> Pace {
        Pace {
            clock: EpochClock::new(config.epoch),
            backlog_limit: BacklogLimit {
                epochs: config.max_epochs_in_flight,
                rows: config.max_rows_in_flight,
            },
            until_end: config.until_end,
        }
    }
}

/// The source operator `name` of one worker, reading what `open` gives it (handed what wakes
/// the operator when a delivery arrives).
pub(super) fn delivery_source<'scope, M, R>(
    scope: Scope<'scope, Epoch>,
    name: &'static str,
    pace: Pace,
    shared: Rc<WorkerShared>,
    open: impl FnOnce(SyncActivator) -> Result<R> + 'static,
) -> StreamVec<'scope, Epoch, Item<M>>
where
    M: Message,
    R: DeliveryReader,
{
    let index = scope.index();
    source::<_, CapacityContainerBuilder<Vec<Item<M>>>, _, _>(
        scope,
        name,
        move |capability, info| {
            let activator = scope.activator_for(info.address.clone());
            let wake = scope.worker().sync_activator_for(info.address.to_vec());
            let mut reader = match open(wake) {
                Ok(reader) => Some(reader),
                Err(error) => {
                    shared.control.fail(error);
                    None
                }
            };
            let mut capability = reader.is_some().then_some(capability);
            let source = u32::try_from(index).unwrap_or(u32::MAX);
            let mut watermark = i64::MIN;
            move |output| {
                let (Some(cap), Some(reader)) = (capability.as_mut(), reader.as_mut()) else {
                    return;
                };
                let control = &shared.control;
                let mut ledger = shared.ledger.borrow_mut();
                let now = pace.clock.now();
                let finished = control.stop_requested()
                    || control.failed()
                    || (pace.until_end && reader.at_end());
                if now > *cap.time() || finished {
                    // The epoch ends: its watermark, then its positions. Input that ends closes
                    // every window; a shutdown leaves open windows to the next run.
                    let reached = if finished && !control.shutdown_requested() {
                        Some(i64::MAX)
                    } else {
                        reader.watermark()
                    };
                    if let Some(reached) = reached.filter(|w| *w > watermark) {
                        watermark = reached;
                        output.session(cap).give(Item::Watermark(Watermark {
                            source,
                            to: source,
                            millis: watermark,
                        }));
                    }
                    ledger.close(*cap.time(), reader.close_epoch());
                    if let Err(error) = control.dead_letters.check(&control.metrics) {
                        control.fail(error);
                    }
                    if finished {
                        capability = None;
                        return;
                    }
                    cap.downgrade(&now);
                }
                let backlog = shared.sink_backlog();
                if backlog.exceeds(pace.backlog_limit) {
                    activator.activate_after(IDLE_POLL);
                    return;
                }
                let room = pace.backlog_limit.rows.saturating_sub(backlog.rows);
                let room = usize::try_from(room).unwrap_or(usize::MAX);
                let polled = {
                    let mut session = output.session(cap);
                    let mut give = |record| session.give(record);
                    reader.read_batch::<M>(&mut give, room, &mut ledger, control)
                };
                match polled {
                    Polled::Busy => activator.activate(),
                    Polled::Idle => {
                        activator.activate_after(IDLE_POLL.min(pace.clock.until_after(*cap.time())))
                    }
                    Polled::BudgetSpent => {
                        control.request_stop();
                        activator.activate();
                    }
                }
            }
        },
    )
}
