//! Partitions added to the topic while a job runs: a thread of the run reads the topic's
//! metadata every `--partition-discovery` and publishes how many partitions it has; each
//! worker's reader takes on the new ones it owns (`p % peers == index`) from their beginning.
//! Kafka only ever appends partitions, so a count says which are new.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::run::kafka_metadata::{metadata_client, partitions_of};

/// How many partitions the topic is known to have, kept up to date by a thread until dropped.
#[derive(Debug)]
pub(crate) struct PartitionWatch {
    count: Arc<AtomicI32>,
    /// Dropped with the watch, which ends the thread.
    _stop: Option<Sender<()>>,
}

impl PartitionWatch {
    /// A watch starting from `known` partitions; `every: None` never looks again.
    pub fn start(
        brokers: &str,
        options: &[(String, String)],
        topic: &str,
        known: i32,
        every: Option<Duration>,
    ) -> Result<PartitionWatch> {
        let count = Arc::new(AtomicI32::new(known));
        let Some(every) = every else {
            return Ok(PartitionWatch { count, _stop: None });
        };
        let client = metadata_client(brokers, options)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let published = Arc::clone(&count);
        let (brokers, topic) = (brokers.to_owned(), topic.to_owned());
        std::thread::Builder::new()
            .name("sluice-partitions".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    // Serves the client's events (errors) so that they do not pile up.
                    let _ = client.poll(Duration::ZERO);
                    match partitions_of(&client, &brokers, &topic) {
                        Ok(partitions) => {
                            let now = partitions.last().map_or(0, |last| last + 1);
                            let before = published.fetch_max(now, Ordering::AcqRel);
                            if now > before {
                                tracing::info!(
                                    topic = %topic,
                                    "the topic has {now} partitions (it had {before}): the new \
                                     ones are read from their beginning"
                                );
                            }
                        }
                        // The brokers may be restarting: the next look may find them.
                        Err(error) => tracing::debug!("partition discovery: {error}"),
                    }
                }
            })
            .map_err(|e| Error::Worker(format!("cannot start partition discovery: {e}")))?;
        Ok(PartitionWatch {
            count,
            _stop: Some(stop),
        })
    }

    /// Partitions `0..count` exist.
    pub fn count(&self) -> i32 {
        self.count.load(Ordering::Acquire)
    }
}
