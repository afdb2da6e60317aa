//! Positions stored in MySQL are also committed to the pipeline's Kafka consumer group, so that
//! `kafka-consumer-groups --describe` and lag exporters see how far the job is. MySQL stays
//! the truth: sluice never reads these back while positions live in MySQL.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use super::kafka::group_client;
use super::kafka_context::SourceContext;
use crate::delivery::OffsetUpdate;
use crate::delivery::acknowledge::AcknowledgeCommitted;
use crate::error::{Error, Result};

/// How often stored positions are committed to the group, at most.
const COMMIT_EVERY: Duration = Duration::from_secs(1);
/// How long the end of a run waits for the last commit to the group.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Commits stored positions to a consumer group from a thread of its own: a slow or absent
/// group coordinator delays nothing but the lag shown by Kafka's tools.
#[derive(Debug)]
pub(crate) struct GroupLag {
    positions: Mutex<Option<Sender<Vec<OffsetUpdate>>>>,
    finished: Mutex<Option<(Receiver<()>, JoinHandle<()>)>>,
}

impl GroupLag {
    /// A committer for `group`, with the user's client properties.
    pub fn start(brokers: &str, options: &[(String, String)], group: &str) -> Result<Self> {
        let consumer = group_client(brokers, options, group)?;
        let (positions, received) = mpsc::channel();
        let (done, finished) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("sluice-group-lag".into())
            .spawn(move || {
                commit_loop(&consumer, &received);
                // Dropping a consumer closes it, which may wait for the brokers: before `done`,
                // so that the end of a run waits for it no longer than CLOSE_TIMEOUT.
                drop(consumer);
                let _ = done.send(());
            })
            .map_err(|e| Error::Worker(format!("cannot start the consumer-group thread: {e}")))?;
        Ok(GroupLag {
            positions: Mutex::new(Some(positions)),
            finished: Mutex::new(Some((finished, thread))),
        })
    }
}

impl AcknowledgeCommitted for GroupLag {
    fn committed(&self, positions: &[OffsetUpdate]) {
        if let Ok(sender) = self.positions.lock()
            && let Some(sender) = sender.as_ref()
        {
            // The thread is gone only after close: nothing is left to tell it.
            let _ = sender.send(positions.to_vec());
        }
    }

    fn close(&self) {
        // Dropping the sender ends the loop after its last commit.
        if let Ok(mut sender) = self.positions.lock() {
            sender.take();
        }
        let Some((finished, thread)) = self.finished.lock().ok().and_then(|mut f| f.take()) else {
            return;
        };
        match finished.recv_timeout(CLOSE_TIMEOUT) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                let _ = thread.join();
            }
            Err(RecvTimeoutError::Timeout) => tracing::warn!(
                "the last positions were not committed to the Kafka consumer group within \
                 {CLOSE_TIMEOUT:?}: its lag shows an older position until the next run"
            ),
        }
    }
}

/// Commits whatever arrived since the last commit, the highest position per partition, at
/// most every `COMMIT_EVERY`, until the sender is dropped.
fn commit_loop(consumer: &BaseConsumer<SourceContext>, received: &Receiver<Vec<OffsetUpdate>>) {
    let mut pending: BTreeMap<(String, i32), i64> = BTreeMap::new();
    let mut failures = Failures::default();
    let mut last_commit = Instant::now();
    loop {
        match received.recv_timeout(COMMIT_EVERY) {
            Ok(positions) => merge(&mut pending, positions),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        // Serves the client's events (errors, statistics) so that they do not pile up.
        let _ = consumer.poll(Duration::ZERO);
        if last_commit.elapsed() >= COMMIT_EVERY {
            commit(consumer, &mut pending, &mut failures);
            last_commit = Instant::now();
        }
    }
    while let Ok(positions) = received.try_recv() {
        merge(&mut pending, positions);
    }
    commit(consumer, &mut pending, &mut failures);
}

/// The errors of failed commits already warned about: a lasting one (a missing ACL) is one
/// warning, then debug lines.
#[derive(Default)]
struct Failures(BTreeSet<String>);

fn merge(pending: &mut BTreeMap<(String, i32), i64>, positions: Vec<OffsetUpdate>) {
    for update in positions {
        let next = pending
            .entry((update.topic.to_string(), update.partition))
            .or_insert(update.next_offset);
        *next = (*next).max(update.next_offset);
    }
}

fn commit(
    consumer: &BaseConsumer<SourceContext>,
    pending: &mut BTreeMap<(String, i32), i64>,
    failures: &mut Failures,
) {
    if pending.is_empty() {
        return;
    }
    let mut list = TopicPartitionList::new();
    for ((topic, partition), next) in pending.iter() {
        if let Err(error) = list.add_partition_offset(topic, *partition, Offset::Offset(*next)) {
            tracing::debug!(
                "position {topic}/{partition}@{next} not committed to the group: {error}"
            );
        }
    }
    match consumer.commit(&list, CommitMode::Sync) {
        Ok(()) => pending.clear(),
        // Kept: the next commit carries them again.
        Err(error) if failures.0.insert(error.to_string()) => tracing::warn!(
            "committing positions to the Kafka consumer group failed (lag tools show an older \
             position; MySQL holds the real one; further failures like this one are logged at \
             debug level): {error}"
        ),
        Err(error) => tracing::debug!("committing positions to the consumer group: {error}"),
    }
}
