//! `filter`: keeps the records a predicate accepts; the others are counted as filtered.
//!
//! ```
//! # use sluice_runtime as sluice;
//! use sluice::{InMemory, run_in_memory};
//!
//! let report = run_in_memory(
//!     InMemory::workers(2),
//!     |worker, workers| (worker as i64..10).step_by(workers).map(|i| (i, i)),
//!     |numbers| numbers.filter(|n| n % 2 == 0),
//! )?;
//! assert_eq!((report.written, report.filtered), (5, 5));
//! # Ok::<(), sluice::Error>(())
//! ```

use timely::dataflow::channels::pact::Pipeline;

use super::per_record::{pass_on, per_record};
use crate::dataflow::item::Item;
use crate::dataflow::stream::Stream;

impl<'scope, T: 'static> Stream<'scope, T> {
    /// Keeps the records for which `predicate` is true; the others are counted as filtered.
    pub fn filter(self, mut predicate: impl FnMut(&T) -> bool + 'static) -> Stream<'scope, T> {
        let Stream {
            inner,
            shared,
            lineage,
        } = self;
        let kept = per_record(
            inner,
            Pipeline,
            "filter",
            &shared,
            move |origin, record, out| {
                if predicate(&record) {
                    out.push(Item::Record(origin, record));
                }
            },
            pass_on,
        );
        let lineage = shared.step(lineage, || "filter".to_owned());
        Stream::new(kept, shared, lineage)
    }
}
