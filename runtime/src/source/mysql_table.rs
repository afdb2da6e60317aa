//! `MySqlTable<R>` as a pipeline input: the key ranges of the table, where each resumes, and
//! the source operator that hands the rows the reader fetched to the pipeline.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use sqlx::{MySql, Pool};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::operators::generic::operator::source;
use timely::dataflow::{Scope, StreamVec};
use tokio::sync::mpsc;

use super::mysql_table_reader::{Page, read_ranges};
use crate::contract::connectors::MySqlTable;
use crate::contract::row::Row;
use crate::contract::sink::Positions;
use crate::contract::source::Source;
use crate::contract::startup::Startup;
use crate::dataflow::item::{Item, NO_EVENT_TIME, Origin, Watermark};
use crate::dataflow::worker::{BacklogLimit, Restored, WorkerShared};
use crate::dead_letter::{DeadLetter, DeadLetterKind};
use crate::delivery::table_scans::{KeyRange, load_ranges, split, store_ranges};
use crate::delivery::{Epoch, EpochClock, OffsetUpdate, load_offsets};
use crate::error::{Error, Result};
use crate::run::check::{CheckContext, Preflight};
use crate::run::config::{Config, StartFrom};
use crate::run::report::Metrics;
use crate::table::key::{quoted, single_integer_key};

/// Rows per keyset page.
const PAGE_ROWS: usize = 5_000;
/// How soon the operator looks again when the reader has nothing yet.
const IDLE_POLL: std::time::Duration = std::time::Duration::from_millis(2);

/// What every worker's table source needs, decided once at start-up.
#[derive(Debug)]
pub struct TableSourcePlan {
    pool: Pool<MySql>,
    runtime: tokio::runtime::Handle,
    table: Arc<str>,
    key: &'static str,
    /// Each range and the next key to read in it.
    ranges: Vec<(KeyRange, i64)>,
    clock: EpochClock,
    backlog_limit: BacklogLimit,
}

#[allow(private_interfaces)]
impl<R: Row> Source for MySqlTable<R> {
    type Record = R;
    type Plan = TableSourcePlan;
    const HAS_EVENT_TIME: bool = R::HAS_EVENT_TIME;
    const READS_DATABASE: bool = true;

    fn input_name(_config: &Config) -> Arc<str> {
        Arc::from(R::TABLE)
    }

    fn describe(_config: &Config) -> String {
        format!("MySQL table `{}`", R::TABLE)
    }

    fn check(context: &CheckContext<'_>, report: &mut Preflight) {
        context.check_table(R::TABLE, &R::SCHEMA, report);
        context.check_privileges(R::TABLE, &["SELECT"], report);
    }

    fn prepare(startup: &Startup<'_>) -> Result<(TableSourcePlan, Restored)> {
        let key = single_integer_key::<R>(&format!("MySqlTable<{}>", short_name::<R>()))?;
        let Some(pool) = startup.database.clone() else {
            return Err(Error::Worker("a table source without a database".into()));
        };
        let config = startup.config;
        let runtime = startup.runtime;
        let table = Arc::clone(&startup.input);
        let pipeline = &startup.pipeline;
        let stored_here = startup.positions == Positions::Database;
        let resume = stored_here && config.from == StartFrom::Committed;
        let mut ranges = if resume {
            runtime.block_on(load_ranges(&pool, pipeline, &table))?
        } else {
            Vec::new()
        };
        if ranges.is_empty() {
            if runtime.block_on(keys_past_i64(&pool, R::TABLE, key))? {
                return Err(Error::Config(format!(
                    "`{}` has keys above {}: MySqlTable reads keys as signed 64-bit integers",
                    R::TABLE,
                    i64::MAX
                )));
            }
            let bounds = runtime.block_on(key_bounds(&pool, R::TABLE, key))?;
            ranges = bounds.map_or_else(Vec::new, |(first, last)| {
                split(first, last, config.total_workers())
            });
            if stored_here {
                runtime.block_on(store_ranges(&pool, pipeline, &table, &ranges))?;
            }
        }
        let stored: BTreeMap<i32, i64> = if resume {
            runtime
                .block_on(load_offsets(&pool, pipeline, &table))?
                .into_iter()
                .collect()
        } else {
            BTreeMap::new()
        };
        let ranges = ranges
            .into_iter()
            .map(|range| {
                let next = stored.get(&range.number).copied().unwrap_or(range.first);
                (range, next)
            })
            .collect();
        let plan = TableSourcePlan {
            pool,
            runtime: runtime.handle().clone(),
            table,
            key,
            ranges,
            clock: EpochClock::new(config.epoch),
            backlog_limit: BacklogLimit {
                epochs: config.max_epochs_in_flight,
                rows: config.max_rows_in_flight,
            },
        };
        Ok((plan, Restored::default()))
    }

    fn build<'scope>(
        plan: &Arc<TableSourcePlan>,
        scope: Scope<'scope, Epoch>,
        shared: &Rc<WorkerShared>,
    ) -> StreamVec<'scope, Epoch, Item<R>> {
        table_source::<R>(scope, Arc::clone(plan), Rc::clone(shared))
    }
}

/// Whether an unsigned key column holds a key no `i64` holds.
async fn keys_past_i64(pool: &Pool<MySql>, table: &'static str, key: &str) -> Result<bool> {
    let sql = format!(
        "SELECT EXISTS(SELECT 1 FROM {} WHERE {} > 9223372036854775807)",
        quoted(table),
        quoted(key)
    );
    let (past,): (bool,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_one(pool)
        .await
        .map_err(|e| Error::mysql(table, e))?;
    Ok(past)
}

/// The smallest and largest key of the table; `None` when it is empty.
async fn key_bounds(
    pool: &Pool<MySql>,
    table: &'static str,
    key: &str,
) -> Result<Option<(i64, i64)>> {
    let key = quoted(key);
    let sql = format!(
        "SELECT CAST(MIN({key}) AS SIGNED), CAST(MAX({key}) AS SIGNED) FROM {}",
        quoted(table)
    );
    let (first, last): (Option<i64>, Option<i64>) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_one(pool)
        .await
        .map_err(|e| Error::mysql(table, e))?;
    Ok(first.zip(last))
}

/// The `SELECT` of one page: the row's columns and its key, from a key on, in key order.
pub(super) fn page_query<R: Row>(table: &str, key: &str) -> String {
    let columns: Vec<String> = R::COLUMNS.iter().map(|c| quoted(c)).collect();
    let key = quoted(key);
    format!(
        "SELECT {}, CAST({key} AS SIGNED) AS `__sluice_key` FROM {} \
         WHERE {key} >= ? AND {key} <= ? ORDER BY {key} LIMIT {PAGE_ROWS}",
        columns.join(", "),
        quoted(table)
    )
}

fn table_source<'scope, R: Row>(
    scope: Scope<'scope, Epoch>,
    plan: Arc<TableSourcePlan>,
    shared: Rc<WorkerShared>,
) -> StreamVec<'scope, Epoch, Item<R>> {
    let (index, peers) = (scope.index(), scope.peers());
    let worker = u32::try_from(index).unwrap_or(u32::MAX);
    source::<_, CapacityContainerBuilder<Vec<Item<R>>>, _, _>(
        scope,
        "MySqlTableSource",
        move |capability, info| {
            let activator = scope.activator_for(info.address.clone());
            let wake = scope.worker().sync_activator_for(info.address.to_vec());
            let mine: Vec<(KeyRange, i64)> = plan
                .ranges
                .iter()
                .filter(|(range, _)| range.number as usize % peers == index)
                .copied()
                .collect();
            let (pages, mut incoming) = mpsc::channel::<Result<Page<R>>>(2);
            plan.runtime.spawn(read_ranges::<R>(
                plan.pool.clone(),
                page_query::<R>(&plan.table, plan.key),
                mine,
                pages,
                wake,
            ));
            let mut capability = Some(capability);
            let mut reached: BTreeMap<i32, i64> = BTreeMap::new();
            let mut exhausted = false;
            move |output| {
                let Some(cap) = capability.as_mut() else {
                    return;
                };
                let control = &shared.control;
                let now = plan.clock.now();
                let finished = exhausted || control.stop_requested() || control.failed();
                if finished && !control.shutdown_requested() && R::HAS_EVENT_TIME {
                    // The whole table is read: every window may close.
                    output.session(cap).give(Item::Watermark(Watermark {
                        source: worker,
                        to: worker,
                        millis: i64::MAX,
                    }));
                }
                if now > *cap.time() || finished {
                    let positions = std::mem::take(&mut reached)
                        .into_iter()
                        .map(|(partition, next_offset)| OffsetUpdate {
                            topic: Arc::clone(&plan.table),
                            partition,
                            next_offset,
                        })
                        .collect();
                    shared.ledger.borrow_mut().close(*cap.time(), positions);
                    if let Err(error) = control.dead_letters.check(&control.metrics) {
                        control.fail(error);
                    }
                    if finished {
                        capability = None;
                        return;
                    }
                    cap.downgrade(&now);
                }
                if shared.sink_backlog().exceeds(plan.backlog_limit) {
                    activator.activate_after(IDLE_POLL);
                    return;
                }
                let (mut consumed, mut dead) = (0u64, 0u64);
                let mut session = output.session(cap);
                loop {
                    let page = match incoming.try_recv() {
                        Ok(Ok(page)) => page,
                        Ok(Err(error)) => {
                            control.fail(error);
                            break;
                        }
                        Err(mpsc::error::TryRecvError::Empty) => {
                            activator.activate_after(IDLE_POLL.min(plan.clock.until_after(now)));
                            break;
                        }
                        Err(mpsc::error::TryRecvError::Disconnected) => {
                            exhausted = true;
                            activator.activate();
                            break;
                        }
                    };
                    for (key, row) in page.rows {
                        if !control.take_one() {
                            break;
                        }
                        consumed += 1;
                        let mut origin = Origin::read(page.range, key, NO_EVENT_TIME);
                        reached.insert(page.range, key.saturating_add(1));
                        match row {
                            Ok(row) => {
                                origin.event_time =
                                    row.event_time_millis().unwrap_or(NO_EVENT_TIME);
                                session.give(Item::Record(origin, row));
                            }
                            Err(reason) => {
                                dead += 1;
                                shared
                                    .ledger
                                    .borrow_mut()
                                    .dead_letter(DeadLetter::of_record(
                                        &plan.table,
                                        origin,
                                        DeadLetterKind::Decode,
                                        reason,
                                    ));
                            }
                        }
                    }
                    if control.stop_requested() {
                        activator.activate();
                        break;
                    }
                }
                Metrics::add(&control.metrics.consumed, consumed);
                Metrics::add(&control.metrics.dead_lettered, dead);
            }
        },
    )
}

/// The type's name without its module path.
fn short_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}
