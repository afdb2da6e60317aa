//! `clone`: the same records again, for another output of the pipeline. Each record of a
//! message that reaches the copy is counted as added, as `flat_map` counts a record that
//! became two, so the summary reconciles over every output.
//!
//! ```
//! # use sluice_runtime as sluice;
//! use sluice::{InMemory, run_in_memory};
//!
//! let report = run_in_memory(
//!     InMemory::workers(2),
//!     |worker, workers| (worker as i64..10).step_by(workers).map(|i| (i, i)),
//!     |numbers| {
//!         let copy = numbers.clone();
//!         // An in-memory run has one output; a pipeline would return both streams.
//!         drop(numbers);
//!         copy.filter(|n| n % 2 == 0)
//!     },
//! )?;
//! assert_eq!((report.consumed, report.expanded), (10, 10));
//! assert_eq!((report.written, report.filtered), (5, 5));
//! # Ok::<(), sluice::Error>(())
//! ```

use std::rc::Rc;

use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use crate::dataflow::item::Item;
use crate::dataflow::stream::Stream;
use crate::run::report::Metrics;

impl<T: Clone + 'static> Clone for Stream<'_, T> {
    /// The same records and watermarks, for another output (`-> (MySql<A>, Print<B>)`).
    fn clone(&self) -> Self {
        let worker = Rc::clone(&self.shared);
        let copy = self
            .inner
            .clone()
            .unary::<CapacityContainerBuilder<Vec<Item<T>>>, _, _, _>(
                Pipeline,
                "copy",
                move |_, _| {
                    move |input, output| {
                        let mut copied = 0u64;
                        input.for_each_stamp(|time, batches| {
                            let mut session = output.session(&time);
                            for batch in batches {
                                copied += batch
                                    .iter()
                                    .filter(|item| {
                                        matches!(item, Item::Record(origin, _) if !origin.is_derived())
                                    })
                                    .count() as u64;
                                session.give_container(batch);
                            }
                        });
                        Metrics::add(&worker.control.metrics.expanded, copied);
                    }
                },
            );
        Stream::new(copy, Rc::clone(&self.shared), self.lineage)
    }
}
