//! `lookup`: enriches each record with the row of a MySQL table that its key names (a lookup
//! join, as Flink's JDBC lookup source does), one `SELECT ... WHERE key IN (...)` per batch of
//! keys the cache does not hold, with a bounded cache whose entries expire.
//!
//! ```ignore
//! orders.lookup(
//!     Lookup::<Customer, _>::by(|o: &Order| i64::from(o.customer_id))
//!         .ttl(Duration::from_secs(60))
//!         .capacity(100_000)
//!         .on_missing(OnMissing::DeadLetter),
//! ) // a Stream<(Order, Customer)>
//! ```

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use crate::contract::row::Row;
use crate::dataflow::item::Item;
use crate::dataflow::stream::Stream;
use crate::dead_letter::{DeadLetter, DeadLetterKind};
use crate::error::Error;
use crate::run::report::Metrics;
use crate::table::key::single_integer_key;
use crate::table::lookup_query::fetch;

/// What a lookup does with a record whose key has no row.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum OnMissing<R> {
    /// Drop the record (counted as filtered).
    Drop,
    /// Store the record as a dead letter of kind `lookup`.
    DeadLetter,
    /// Pair the record with this row.
    Default(R),
}

/// A lookup join on the table of `R` by its integer key: [`Stream::lookup`].
pub struct Lookup<R, F> {
    key_of: F,
    ttl: Duration,
    capacity: usize,
    on_missing: OnMissing<R>,
}

impl<R, F> std::fmt::Debug for Lookup<R, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookup")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl<R: Row + Clone, F> Lookup<R, F> {
    /// Looks up the row whose key is `key_of(record)`. Entries live 60 s in a cache of
    /// 100,000 keys per worker; a missing key drops the record unless
    /// [`on_missing`](Lookup::on_missing) says otherwise.
    pub fn by<T>(key_of: F) -> Self
    where
        F: FnMut(&T) -> i64,
    {
        Lookup {
            key_of,
            ttl: Duration::from_secs(60),
            capacity: 100_000,
            on_missing: OnMissing::Drop,
        }
    }

    /// How long a cached row (or a cached absence) is used before it is read again.
    pub fn ttl(self, ttl: Duration) -> Self {
        Lookup { ttl, ..self }
    }

    /// How many keys each worker's cache holds; the oldest go first.
    pub fn capacity(self, capacity: usize) -> Self {
        Lookup {
            capacity: capacity.max(1),
            ..self
        }
    }

    /// What to do with a record whose key has no row.
    pub fn on_missing(self, on_missing: OnMissing<R>) -> Self {
        Lookup { on_missing, ..self }
    }
}

/// Rows (or their absence) by key, each with when it was read, the oldest evicted first.
struct Cache<R> {
    entries: HashMap<i64, (Option<R>, Instant)>,
    order: VecDeque<(i64, Instant)>,
    ttl: Duration,
    capacity: usize,
}

impl<R> Cache<R> {
    fn fresh(&self, key: i64) -> Option<&Option<R>> {
        self.entries
            .get(&key)
            .filter(|(_, read)| read.elapsed() < self.ttl)
            .map(|(row, _)| row)
    }

    fn insert(&mut self, key: i64, row: Option<R>) {
        let now = Instant::now();
        self.entries.insert(key, (row, now));
        self.order.push_back((key, now));
        while self.entries.len() > self.capacity {
            let Some((old, read)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&old).is_some_and(|(_, at)| *at == read) {
                self.entries.remove(&old);
            }
        }
        // Re-reads leave stale queue entries behind: keep the queue near the map's size.
        if self.order.len() > 2 * self.capacity {
            let entries = &self.entries;
            self.order
                .retain(|(key, read)| entries.get(key).is_some_and(|(_, at)| at == read));
        }
    }
}

impl<'scope, T: 'static> Stream<'scope, T> {
    /// Pairs each record with the row of `R`'s table whose key is the lookup's key of the
    /// record (see [`Lookup`]). Keys the cache does not hold are read in one query per batch
    /// of records; the summary reports the cache's hits.
    pub fn lookup<R, F>(self, lookup: Lookup<R, F>) -> Stream<'scope, (T, R)>
    where
        R: Row + Clone,
        F: FnMut(&T) -> i64 + 'static,
    {
        let Lookup {
            mut key_of,
            ttl,
            capacity,
            on_missing,
        } = lookup;
        let keyed = self.flat_map_named("lookup", move |record| {
            std::iter::once((key_of(&record), record))
        });
        let Stream {
            inner,
            shared,
            lineage,
        } = keyed;
        let key = single_integer_key::<R>("a lookup").unwrap_or_else(|error| {
            shared.control.fail(error);
            ""
        });
        let worker = Rc::clone(&shared);
        let joined = inner.unary::<CapacityContainerBuilder<Vec<Item<(T, R)>>>, _, _, _>(
            Pipeline,
            "lookup",
            move |_, _| {
                let mut cache = Cache {
                    entries: HashMap::new(),
                    order: VecDeque::new(),
                    ttl,
                    capacity,
                };
                move |input, output| {
                    let control = Arc::clone(&worker.control);
                    let Some(database) = worker.database.as_ref() else {
                        control.fail(Error::Config(format!(
                            "a lookup in `{}` needs a database: pass --database-url",
                            R::TABLE
                        )));
                        return;
                    };
                    let (mut hits, mut queried, mut queries) = (0u64, 0u64, 0u64);
                    let (mut dropped, mut refused) = (0u64, 0u64);
                    input.for_each_stamp(|time, batches| {
                        let items: Vec<Item<(i64, T)>> =
                            batches.flat_map(|batch| batch.drain(..)).collect();
                        // This batch's rows by key: what the cache holds now, then what is
                        // read (the cache may evict or expire either before the records are
                        // paired).
                        let mut rows: HashMap<i64, Option<R>> = HashMap::new();
                        let mut wanted: Vec<i64> = Vec::new();
                        for item in &items {
                            if let Item::Record(_, (key, _)) = item
                                && !rows.contains_key(key)
                            {
                                match cache.fresh(*key) {
                                    Some(row) => {
                                        rows.insert(*key, row.clone());
                                    }
                                    None => wanted.push(*key),
                                }
                            }
                        }
                        wanted.sort_unstable();
                        wanted.dedup();
                        // Every record but the first of each key read now came from the cache.
                        let records = items
                            .iter()
                            .filter(|item| matches!(item, Item::Record(..)))
                            .count() as u64;
                        hits += records - wanted.len() as u64;
                        let mut unreadable: HashMap<i64, String> = HashMap::new();
                        if !key.is_empty() && !wanted.is_empty() {
                            match fetch::<R>(database, key, &wanted) {
                                Ok(mut fetched) => {
                                    queries += fetched.queries;
                                    queried += wanted.len() as u64;
                                    for wanted_key in &wanted {
                                        let row = match fetched.rows.remove(wanted_key) {
                                            Some(Ok(row)) => Some(row),
                                            Some(Err(reason)) => {
                                                unreadable.insert(*wanted_key, reason);
                                                None
                                            }
                                            None => None,
                                        };
                                        if !unreadable.contains_key(wanted_key) {
                                            cache.insert(*wanted_key, row.clone());
                                        }
                                        rows.insert(*wanted_key, row);
                                    }
                                }
                                Err(error) => {
                                    control.fail(error);
                                    return;
                                }
                            }
                        }
                        let mut session = output.session(&time);
                        for item in items {
                            let (origin, (record_key, record)) = match item {
                                Item::Record(origin, keyed) => (origin, keyed),
                                Item::Watermark(mark) => {
                                    session.give(Item::Watermark(mark));
                                    continue;
                                }
                            };
                            if let Some(reason) = unreadable.get(&record_key) {
                                refused += 1;
                                worker.ledger.borrow_mut().reject(DeadLetter::of_record(
                                    &worker.topic,
                                    origin,
                                    DeadLetterKind::Lookup,
                                    format!(
                                        "the row of `{}` for it cannot be read: {reason}",
                                        R::TABLE
                                    ),
                                ));
                                continue;
                            }
                            let found = rows.get(&record_key).cloned().flatten();
                            let row = found.or_else(|| match &on_missing {
                                OnMissing::Default(row) => Some(row.clone()),
                                _ => None,
                            });
                            if let Some(row) = row {
                                session.give(Item::Record(origin, (record, row)));
                            } else if matches!(on_missing, OnMissing::DeadLetter) {
                                refused += 1;
                                worker.ledger.borrow_mut().reject(DeadLetter::of_record(
                                    &worker.topic,
                                    origin,
                                    DeadLetterKind::Lookup,
                                    format!("no row in `{}` with `{key}` = {record_key}", R::TABLE),
                                ));
                            } else {
                                dropped += u64::from(!origin.is_derived());
                            }
                        }
                    });
                    let metrics = &control.metrics;
                    Metrics::add(&metrics.lookup_hits, hits);
                    Metrics::add(&metrics.lookup_keys_queried, queried);
                    Metrics::add(&metrics.lookup_queries, queries);
                    Metrics::add(&metrics.filtered, dropped);
                    Metrics::add(&metrics.dead_lettered, refused);
                }
            },
        );
        let lineage = shared.step(lineage, || format!("lookup `{}`", R::TABLE));
        Stream::new(joined, shared, lineage)
    }
}
