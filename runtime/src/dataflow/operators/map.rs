//! `map`, `flat_map` and `inspect`: each record becomes what a closure makes of it.
//!
//! ```
//! # use sluice_runtime as sluice;
//! use sluice::{InMemory, run_in_memory};
//!
//! let report = run_in_memory(
//!     InMemory::workers(1),
//!     |_, _| (0..10i64).map(|i| (i, i)),
//!     // 0, 3, 6 and 9 become no record, 2, 5 and 8 become two.
//!     |numbers| numbers.flat_map(|n| vec![n; (n % 3) as usize]).map(|n| n * 2),
//! )?;
//! assert_eq!(report.consumed, 10);
//! assert_eq!((report.written, report.filtered, report.expanded), (9, 4, 3));
//! assert!(report.reconciles());
//! # Ok::<(), sluice::Error>(())
//! ```

use timely::dataflow::channels::pact::Pipeline;

use super::per_record::{pass_on, per_record};
use crate::dataflow::item::Item;
use crate::dataflow::stream::Stream;

impl<'scope, T: 'static> Stream<'scope, T> {
    /// Transforms each record.
    ///
    /// A panic in `logic` makes its record a dead letter of kind `panic` (with the panic's
    /// message and location) and the stream goes on with the next record; so for every closure
    /// of a pipeline (`filter`, `flat_map`, `inspect`, `key_by`, `map_with_state`, the window
    /// aggregates).
    pub fn map<U: 'static>(self, mut logic: impl FnMut(T) -> U + 'static) -> Stream<'scope, U> {
        self.flat_map_named("map", move |record| std::iter::once(logic(record)))
    }

    /// Replaces each record by the records of an iterator (none, one or many). A record that
    /// becomes none is counted as filtered.
    ///
    /// When `logic` or its iterator panics, the records the iterator gave before the panic
    /// stay in the stream, and the record is a dead letter.
    pub fn flat_map<I>(self, logic: impl FnMut(T) -> I + 'static) -> Stream<'scope, I::Item>
    where
        I: IntoIterator,
        I::Item: 'static,
    {
        self.flat_map_named("flat_map", logic)
    }

    /// `flat_map`, its panics reported as the user's `operator`.
    pub(crate) fn flat_map_named<I>(
        self,
        operator: &'static str,
        mut logic: impl FnMut(T) -> I + 'static,
    ) -> Stream<'scope, I::Item>
    where
        I: IntoIterator,
        I::Item: 'static,
    {
        let Stream {
            inner,
            shared,
            lineage,
        } = self;
        let made = per_record(
            inner,
            Pipeline,
            operator,
            &shared,
            move |origin, record, out| {
                out.extend(
                    logic(record)
                        .into_iter()
                        .map(|made| Item::Record(origin, made)),
                );
            },
            pass_on,
        );
        let lineage = shared.step(lineage, || operator.to_owned());
        Stream::new(made, shared, lineage)
    }

    /// Calls `logic` on each record and passes it on unchanged.
    pub fn inspect(self, mut logic: impl FnMut(&T) + 'static) -> Stream<'scope, T> {
        self.flat_map_named("inspect", move |record| {
            logic(&record);
            std::iter::once(record)
        })
    }
}
