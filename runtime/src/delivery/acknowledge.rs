//! What a source hears once its positions are durable: the committer passes every set of
//! positions it has stored to the source that read them, which may tell its own system (a
//! Kafka consumer group, for lag tools; acknowledgements of a queue). Sinks know only this
//! registry, never the source behind it.

use std::sync::OnceLock;

use crate::delivery::OffsetUpdate;

/// A source's reaction to stored positions. It must not block: it runs on the committer's
/// task, between two transactions.
pub(crate) trait AcknowledgeCommitted: Send + Sync + std::fmt::Debug {
    /// `positions` (the next position of each partition) are stored with the rows they led to.
    fn committed(&self, positions: &[OffsetUpdate]);

    /// The run has ended: deliver what is still pending, then stop.
    fn close(&self);
}

/// The run's one listener for stored positions, registered by the source at start-up (after
/// the sinks were prepared with this registry).
#[derive(Debug, Default)]
pub(crate) struct Acknowledgements {
    listener: OnceLock<Box<dyn AcknowledgeCommitted>>,
}

impl Acknowledgements {
    /// Makes `listener` hear every later commit; a second registration is ignored.
    pub fn register(&self, listener: Box<dyn AcknowledgeCommitted>) {
        if self.listener.set(listener).is_err() {
            tracing::debug!("a second listener for stored positions was ignored");
        }
    }

    /// `positions` were stored.
    pub fn committed(&self, positions: &[OffsetUpdate]) {
        if positions.is_empty() {
            return;
        }
        if let Some(listener) = self.listener.get() {
            listener.committed(positions);
        }
    }

    /// Called once every sink has committed its last transaction.
    pub fn close(&self) {
        if let Some(listener) = self.listener.get() {
            listener.close();
        }
    }
}
