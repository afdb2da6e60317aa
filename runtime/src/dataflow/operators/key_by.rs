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

use timely::dataflow::channels::pact::Pipeline;

use super::keyed::{Exchanged, Key, KeyedStream};
use super::per_record::per_record;
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
        let peers = u32::try_from(shared.peers).unwrap_or(u32::MAX);
        let inner = per_record(
            inner,
            Pipeline,
            "key_by",
            &shared,
            move |origin, record, out| {
                let key = key(&record);
                out.push(Item::Record(origin, (key, record)));
            },
            // Every worker must hear from every source.
            move |mark, out| {
                out.extend((0..peers).map(|to| Item::Watermark(Watermark { to, ..mark })));
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
