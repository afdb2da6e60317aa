//! The tokio side of the MySQL sink: one writer task per worker, which writes each job (the
//! rows of the epochs the operator sent, their dead letters, offsets and watermark) in one
//! transaction, retried after transient failures and after a statement too large for the
//! server, and reports back what it wrote.

use std::collections::BTreeMap;
use std::sync::Arc;

use timely::scheduling::SyncActivator;
use tokio::sync::mpsc;

use super::changes::{Segment, order_changes, write_changes};
use super::delete_statement::DeletePlan;
use super::isolate::Refused;
use super::mysql::SinkPlan;
use super::packet::{Packet, is_packet_too_large, lower_cap};
use super::retry::{RETRY_FOR, backoff, is_transient};
use super::statement::InsertPlan;
use crate::contract::row::Row;
use crate::dataflow::item::Origin;
use crate::dead_letter::{DeadLetter, DeadLetterKind};
use crate::delivery::keyed_state::store_keyed_states;
use crate::delivery::message_ids::store_message_ids;
use crate::delivery::{Commit, Epoch, store_dead_letters, store_offsets, store_watermark};
use crate::error::Error;
use crate::run::observe;

/// Rows waiting to be written, each with the message it came from.
pub(super) struct Batch<R> {
    pub rows: Vec<R>,
    pub origins: Vec<Origin>,
    /// With deletes among the rows: the order to write them in (see `changes.rs`); empty
    /// when every row is an upsert.
    pub segments: Vec<Segment>,
}

impl<R> Default for Batch<R> {
    fn default() -> Self {
        Batch {
            rows: Vec::new(),
            origins: Vec::new(),
            segments: Vec::new(),
        }
    }
}

impl<R> Batch<R> {
    fn append(&mut self, mut other: Batch<R>) {
        self.rows.append(&mut other.rows);
        self.origins.append(&mut other.origins);
    }

    /// The rows of `epochs`, in order, ready to be written.
    pub fn concat(epochs: BTreeMap<Epoch, Batch<R>>) -> Batch<R>
    where
        R: Row,
    {
        let mut batches = epochs.into_values();
        let mut all = batches.next().unwrap_or_default();
        for batch in batches {
            all.append(batch);
        }
        all.segments = order_changes(&mut all);
        all
    }
}

/// The statements a writer writes with.
#[derive(Debug)]
pub(super) struct WritePlans {
    pub insert: InsertPlan,
    pub deletes: DeletePlan,
}

impl WritePlans {
    pub fn new<R: Row>(rows_per_statement: usize) -> Self {
        WritePlans {
            insert: InsertPlan::new::<R>(rows_per_statement),
            deletes: DeletePlan::new::<R>(),
        }
    }
}

/// Everything that becomes durable together: all epochs before `upto`.
pub(super) struct Job<R> {
    pub upto: Epoch,
    pub batch: Batch<R>,
    pub commit: Commit,
}

/// What a committed job wrote.
#[derive(Debug, Default)]
pub(super) struct Written {
    pub rows: u64,
    /// Of `rows`, those a window produced (not one source message each).
    pub from_windows: u64,
    /// Rows MySQL refused, now dead letters.
    pub refused: u64,
    /// Attempts before the one that committed.
    pub retries: u64,
    /// The watermark the transaction stored.
    pub watermark: Option<i64>,
}

/// A finished job: the epoch durability reached and what it wrote, or why it failed.
pub(super) type Done = Result<(Epoch, Written), Error>;

pub(super) async fn writer<R: Row>(
    plan: Arc<SinkPlan>,
    mut jobs: mpsc::UnboundedReceiver<Job<R>>,
    done: std::sync::mpsc::Sender<Done>,
    activator: SyncActivator,
) {
    let plans = WritePlans::new::<R>(plan.rows_per_statement);
    while let Some(job) = jobs.recv().await {
        let begun = std::time::Instant::now();
        let result = commit_with_retries(&plan, &plans, &job)
            .await
            .map(|written| (job.upto, written));
        if result.is_ok() {
            observe::transaction_committed(R::TABLE, begun.elapsed());
        }
        let failed = result.is_err();
        tracing::debug!(
            rows = job.batch.rows.len(),
            upto = job.upto,
            ms = begun.elapsed().as_millis() as u64,
            "committed"
        );
        // The operator is gone only when its worker stopped; nothing is left to tell.
        if done.send(result).is_err() || activator.activate().is_err() || failed {
            return;
        }
    }
}

pub(super) async fn commit_with_retries<R: Row>(
    plan: &SinkPlan,
    plans: &WritePlans,
    job: &Job<R>,
) -> Result<Written, Error> {
    let first_failure = std::time::Instant::now();
    let mut attempt: u32 = 0;
    // Lowered each time the server refuses a statement as too large: the connection is gone
    // with the transaction, which is written again in smaller statements.
    let mut cap = usize::MAX;
    loop {
        let mut last_sent = 0;
        match commit::<R>(plan, plans, job, cap, &mut last_sent).await {
            Ok(mut written) => {
                written.retries = u64::from(attempt);
                plan.acknowledgements.committed(&job.commit.offsets);
                if attempt > 0 {
                    tracing::info!(
                        table = R::TABLE,
                        attempts = attempt + 1,
                        "transaction committed"
                    );
                }
                return Ok(written);
            }
            Err(error) if is_packet_too_large(&error) => {
                plan.packet.forget();
                let Some(lower) = lower_cap(cap, last_sent) else {
                    return Err(Error::mysql(R::TABLE, error));
                };
                tracing::warn!(
                    table = R::TABLE,
                    "the server refused a statement of about {last_sent} bytes as larger than \
                     max_allowed_packet; writing the transaction again in statements of at \
                     most {lower} bytes"
                );
                cap = lower;
                attempt += 1;
            }
            Err(error) if is_transient(&error) && first_failure.elapsed() < RETRY_FOR => {
                // The server may have come back with another max_allowed_packet.
                plan.packet.forget();
                let delay = backoff(attempt);
                tracing::warn!(
                    table = R::TABLE,
                    "transaction failed, retrying in {delay:?}: {error}"
                );
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            Err(error) => return Err(Error::mysql(R::TABLE, error)),
        }
    }
}

/// One transaction: the rows (those MySQL refuses or that are too large to send become dead
/// letters of kind `constraint`), the dead letters, the offsets and the windows' watermark.
/// Statements stay below the server's `max_allowed_packet` and `cap`; `last_sent` tells the
/// size of the last one, which an error is about.
async fn commit<R: Row>(
    plan: &SinkPlan,
    plans: &WritePlans,
    job: &Job<R>,
    cap: usize,
    last_sent: &mut usize,
) -> Result<Written, sqlx::Error> {
    let mut tx = plan.pool.begin().await?;
    let mut packet = Packet::new(plan.packet.get(&mut tx).await?, cap);
    let refused = write_changes(&mut tx, plans, &job.batch, &mut packet).await;
    *last_sent = packet.last_sent;
    let refused_origins: Vec<(Origin, String)> = refused?
        .into_iter()
        .filter_map(
            |Refused {
                 index,
                 reason,
                 by_server,
             }| {
                let message = if by_server {
                    format!("MySQL refused the row: {reason}")
                } else {
                    format!("the row is too large to be written: {reason}")
                };
                Some((*job.batch.origins.get(index)?, message))
            },
        )
        .collect();
    let refused_letters: Vec<DeadLetter> = refused_origins
        .iter()
        .map(|(origin, message)| {
            DeadLetter::of_record(
                &plan.topic,
                *origin,
                DeadLetterKind::Constraint,
                message.clone(),
            )
        })
        .collect();
    for letters in [&job.commit.dead_letters, &refused_letters] {
        let stored = store_dead_letters(&mut tx, &plan.pipeline, letters, &mut packet).await;
        *last_sent = packet.last_sent;
        stored?;
    }
    *last_sent = 0;
    store_offsets(&mut tx, &plan.pipeline, &job.commit.offsets).await?;
    store_watermark(&mut tx, &plan.pipeline, &job.commit).await?;
    store_keyed_states(&mut tx, &plan.pipeline, &job.commit.states).await?;
    store_message_ids(&mut tx, &plan.pipeline, &job.commit.message_ids).await?;
    tx.commit().await?;
    observe::dead_letters(job.commit.dead_letters.iter().chain(&refused_letters));
    let derived = |origins: &mut dyn Iterator<Item = &Origin>| {
        origins.filter(|o| o.is_derived()).count() as u64
    };
    let refused = refused_origins.len() as u64;
    Ok(Written {
        rows: job.batch.rows.len() as u64 - refused,
        from_windows: derived(&mut job.batch.origins.iter())
            - derived(&mut refused_origins.iter().map(|(o, _)| o)),
        refused,
        retries: 0,
        watermark: job.commit.watermark,
    })
}
