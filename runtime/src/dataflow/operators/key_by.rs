//! `key_by`: groups records by a key, the first step of a window or of keyed state. Records
//! move to their key's worker; watermarks go to every worker.
//!
//! ```
//! # use sluice_runtime as sluice;
//! use sluice::{InMemory, Tumbling, run_in_memory};
//!
//! // Ten keys, one record a millisecond for ten seconds, one row per key and second.
//! let report = run_in_memory(
//!     InMemory::workers(2),
//!     |worker, workers| (worker as i64..10_000).step_by(workers).map(|i| (i, i % 10)),
//!     |records| {
//!         records
//!             .key_by(|key| *key)
//!             .window(Tumbling::seconds(1))
//!             .aggregate(|window, key, records| (window.start, *key, records.count()))
//!     },
//! )?;
//! assert_eq!(report.window_rows, 100);
//! # Ok::<(), sluice::Error>(())
//! ```

use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use super::guard;
use super::keyed::{Exchanged, Key, KeyedStream, worker_of};
use crate::dataflow::item::{Item, Watermark};
use crate::dataflow::stream::Stream;

impl<'scope, T: Exchanged> Stream<'scope, T> {
    /// Groups the records by `key`, the first step of a window or of keyed state.
    ///
    /// Records move between workers (and, in a cluster, between processes), so the record
    /// and key types implement `serde::Serialize` and `Deserialize` (`#[derive(Serialize,
    /// Deserialize)]` on the message struct).
    pub fn key_by<K: Key>(
        self,
        mut key: impl FnMut(&T) -> K + 'static,
    ) -> KeyedStream<'scope, K, T> {
        let Stream {
            inner,
            shared,
            lineage,
        } = self;
        let peers = shared.peers.max(1);
        let worker = std::rc::Rc::clone(&shared);
        // Each batch is split by the worker its items go to, so that the exchange moves whole
        // batches: a record is routed here, once.
        let inner = inner.unary::<CapacityContainerBuilder<Vec<Item<(K, T)>>>, _, _, _>(
            Pipeline,
            "key_by",
            move |_, _| {
                let mut by_worker: Vec<Vec<Item<(K, T)>>> =
                    (0..peers).map(|_| Vec::new()).collect();
                move |input, output| {
                    input.for_each_stamp(|time, batches| {
                        let mut session = output.session(&time);
                        for batch in batches {
                            // Room for an even share and some, so that few pushes reallocate.
                            let share = batch.len() / peers + batch.len() / (4 * peers) + 16;
                            for out in &mut by_worker {
                                out.reserve(share);
                            }
                            let panics = guard::each_item(batch.drain(..), |item| match item {
                                Item::Record(origin, record) => {
                                    let key = key(&record);
                                    let to = worker_of(&key, peers);
                                    by_worker[to].push(Item::Record(origin, (key, record)));
                                }
                                // Every worker must hear from every source.
                                Item::Watermark(mark) => {
                                    for (to, out) in by_worker.iter_mut().enumerate() {
                                        let to = u32::try_from(to).unwrap_or(u32::MAX);
                                        out.push(Item::Watermark(Watermark { to, ..mark }));
                                    }
                                }
                            });
                            guard::dead_letter_panics(&worker, "key_by", panics);
                            for out in by_worker.iter_mut().filter(|out| !out.is_empty()) {
                                session.give_container(out);
                                out.clear();
                            }
                        }
                    });
                }
            },
        );
        let lineage = shared.step(lineage, || "key_by".to_owned());
        KeyedStream {
            inner,
            shared,
            lineage: lineage.exchanged(),
        }
    }
}
