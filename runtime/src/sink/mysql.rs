//! The MySQL sink: transactions that carry rows, dead letters and the source offsets of
//! complete epochs.
//! This file builds the operator and makes the final commit; `mysql_state.rs` holds what the
//! operator keeps between activations and its steps, `mysql_transaction.rs` the writer task.
//!
//! The operator keeps a capability for the oldest epoch whose rows are not yet committed, so a
//! probe on its output tells exactly which epochs are durable. Writing happens on the tokio
//! runtime, one writer task (and so one connection at a time) per worker; the worker thread
//! never waits for MySQL, it goes on reading while a transaction is in flight and sends
//! everything that completed meanwhile as the next transaction.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use sqlx::{MySql, Pool};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use tokio::sync::mpsc;

use super::mysql_state::SinkState;
use super::mysql_transaction::{Batch, Done, Job, WritePlans, commit_with_retries, writer};
use super::packet::ServerPacket;
use crate::contract::connectors;
use crate::contract::row::Row;
use crate::contract::sink::{Positions, Sink, SinkRole};
use crate::contract::startup::Startup;
use crate::dataflow::stream::Stream;
use crate::dataflow::worker::WorkerShared;
use crate::delivery::acknowledge::Acknowledgements;
use crate::delivery::{Epoch, Ledger, WindowCommits, complete_before};
use crate::error::Error;
use crate::run::check::{CheckContext, Preflight};
use crate::run::config::Config;
use crate::table::{apply_migrations, check_table};

/// How often a sink with offsets waiting for the other workers' sinks looks again.
const RECHECK: Duration = Duration::from_millis(20);

#[derive(Debug)]
pub struct SinkPlan {
    pub(crate) pool: Pool<MySql>,
    pub(crate) pipeline: Arc<str>,
    /// The source topic, for dead letters of rejected rows.
    pub(crate) topic: Arc<str>,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) rows_per_statement: usize,
    /// The server's `max_allowed_packet`, which sizes statements.
    pub(crate) packet: ServerPacket,
    /// Told the positions of every committed transaction.
    pub(crate) acknowledgements: Arc<Acknowledgements>,
    /// Each worker's writer task, awaited before the run returns.
    pub(crate) writers: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl SinkPlan {
    /// Waits until every writer task has finished its last transaction. Writers end once
    /// their worker's sink is dropped, that is once the workers have returned.
    pub fn wait_for_writers(&self) {
        let writers = self
            .writers
            .lock()
            .map(|mut writers| std::mem::take(&mut *writers))
            .unwrap_or_default();
        self.runtime.block_on(async {
            for writer in writers {
                // A writer that panicked has already failed the run.
                let _ = writer.await;
            }
        });
    }
}

#[allow(private_interfaces)]
impl<R: Row> Sink for connectors::MySql<R> {
    type Item = R;
    type Plan = SinkPlan;
    const POSITIONS: Positions = Positions::Database;

    fn target(_config: &Config) -> String {
        R::TABLE.to_owned()
    }

    fn describe(_config: &Config) -> String {
        format!("MySQL table `{}`", R::TABLE)
    }

    fn check(context: &CheckContext<'_>, report: &mut Preflight) {
        context.check_table(R::TABLE, &R::SCHEMA, report);
        let needed: &[&str] = if R::KEY.is_empty() {
            &["INSERT"]
        } else {
            &["INSERT", "UPDATE"]
        };
        context.check_privileges(R::TABLE, needed, report);
    }

    fn prepare(startup: &Startup<'_>) -> Result<SinkPlan, Error> {
        let Some(pool) = startup.database.clone() else {
            return Err(Error::Worker("a MySQL sink without a database".into()));
        };
        let config = startup.config;
        startup
            .runtime
            .block_on(check_sink_table::<R>(&pool, config.migrate))?;
        Ok(SinkPlan {
            pool,
            pipeline: Arc::clone(&startup.pipeline),
            topic: Arc::clone(&startup.input),
            runtime: startup.runtime.handle().clone(),
            rows_per_statement: config.rows_per_statement,
            packet: Default::default(),
            acknowledgements: Arc::clone(&startup.acknowledgements),
            writers: std::sync::Mutex::new(Vec::new()),
        })
    }

    fn build<'scope>(
        plan: &Arc<SinkPlan>,
        stream: Stream<'scope, R>,
        role: &SinkRole,
    ) -> StreamVec<'scope, Epoch, ()> {
        mysql_sink(stream, Arc::clone(plan), role.clone())
    }

    fn finish(plan: &SinkPlan, shared: &WorkerShared, role: &SinkRole) -> Result<(), Error> {
        if !role.commits {
            return Ok(());
        }
        // With an exchange or several outputs, the last epochs' offsets wait until every sink
        // is done.
        let control = &shared.control;
        commit_rest::<R>(
            plan,
            &shared.ledger,
            &control.window_commits,
            control.commit_horizon(),
        )
    }

    fn close(plan: &SinkPlan) {
        plan.wait_for_writers();
    }
}

/// Applies the migrations when asked, then compares the live sink table with the row struct.
async fn check_sink_table<R: Row>(pool: &Pool<MySql>, migrate: bool) -> Result<(), Error> {
    if migrate {
        apply_migrations(pool, R::TABLE, &R::SCHEMA).await?;
    }
    check_table(pool, R::TABLE, &R::SCHEMA).await
}

/// Builds the sink operator of one worker. Its output carries no data; its frontier is the
/// durability frontier.
///
/// When it is the only output and records stay on their worker, a worker's rows come from its
/// own partitions only, and an epoch's offsets go in the transaction that holds the last of
/// its rows. Otherwise (`key_by`, several outputs) an epoch's offsets are committed only once
/// the frontier of every output of every worker has passed it.
fn mysql_sink<'scope, R: Row>(
    stream: Stream<'scope, R>,
    plan: Arc<SinkPlan>,
    role: SinkRole,
) -> StreamVec<'scope, Epoch, ()> {
    let (inner, shared, lineage) = stream.into_sink_input(role.output, role.commits);
    if (lineage.exchanged || !role.commits) && R::SCHEMA.shape.append_only {
        let why = if lineage.exchanged {
            "the pipeline groups records with key_by"
        } else {
            "it is not the output whose transactions store the input's positions"
        };
        shared.control.fail(Error::Config(format!(
            "`{}` is #[row(append_only)], but {why}: a replay after a crash would insert its \
             rows again. Give the table a key and mark it with #[row(key)]",
            R::TABLE
        )));
    }
    if lineage.deletes && R::DELETE.is_empty() {
        shared.control.fail(Error::Config(format!(
            "the input is a change stream (format = \"debezium\") whose deletes remove rows by \
             their key, and `{}` has none: mark its key columns #[row(key)]",
            R::TABLE
        )));
    }
    let scope = inner.scope();
    inner.unary_frontier::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
        Pipeline,
        "MySqlSink",
        move |capability, info| {
            let activator = scope.worker().sync_activator_for(info.address.to_vec());
            let recheck = scope.activator_for(info.address.clone());
            let (jobs, job_queue) = mpsc::unbounded_channel::<Job<R>>();
            let (done_sender, done) = std::sync::mpsc::channel::<Done>();
            let writer = plan.runtime.spawn(writer::<R>(
                Arc::clone(&plan),
                job_queue,
                done_sender,
                activator,
            ));
            if let Ok(mut writers) = plan.writers.lock() {
                writers.push(writer);
            }
            let mut sink = SinkState::new(plan, shared, lineage, role, capability, jobs, done);
            move |(input, frontier), _output| {
                input.for_each_stamp(|stamp, batches| {
                    let Some(&epoch) = stamp.least() else { return };
                    for batch in batches {
                        sink.receive(epoch, batch);
                    }
                });
                sink.note_finished();
                if sink.stopped() {
                    return;
                }
                let complete = complete_before(frontier.frontier());
                sink.send_when_due(complete);
                sink.report_backlog();
                if sink.waits_for_other_sinks() {
                    recheck.activate_after(RECHECK);
                }
                sink.release_durable(complete);
            }
        },
    )
}

/// After the dataflow has finished, commits what the ledger still holds: with an exchange,
/// the offsets of the last epochs, which had to wait for every worker's sink.
/// Offsets at or after `horizon` stay uncommitted (see [`RunControl::hold_commits_from`]).
fn commit_rest<R: Row>(
    plan: &SinkPlan,
    ledger: &RefCell<Ledger>,
    windows: &WindowCommits,
    horizon: Epoch,
) -> Result<(), Error> {
    // After a shutdown the open windows' records must be read again; otherwise the input
    // ended, every window is written, and all offsets commit.
    let (upto, watermark) = if horizon == Epoch::MAX {
        (Epoch::MAX, None)
    } else {
        windows.commit_point(horizon)
    };
    let mut commit = ledger.borrow_mut().take_before(upto);
    commit.store_watermark(watermark, &mut ledger.borrow_mut());
    // Every row is written: the states of every epoch go too.
    commit.states = ledger.borrow_mut().take_states_before(Epoch::MAX);
    if commit.is_empty() {
        return Ok(());
    }
    let plans = WritePlans::new::<R>(plan.rows_per_statement);
    let job = Job {
        upto: Epoch::MAX,
        batch: Batch::<R>::default(),
        commit,
    };
    plan.runtime
        .block_on(commit_with_retries(plan, &plans, &job))
        .map(drop)
}
