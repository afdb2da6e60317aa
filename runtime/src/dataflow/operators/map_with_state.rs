//! `map_with_state`: a state per key, and a closure that sees it with each record of its key.
//!
//! ```
//! # use sluice_runtime as sluice;
//! use sluice::{InMemory, run_in_memory};
//!
//! // Running totals of the even and the odd numbers; only totals past 4 go on.
//! let report = run_in_memory(
//!     InMemory::workers(2),
//!     |worker, workers| (worker as i64..6).step_by(workers).map(|i| (i, i)),
//!     |numbers| {
//!         numbers.key_by(|n| n % 2).map_with_state(|total: &mut i64, _parity, n| {
//!             *total += n;
//!             (*total > 4).then_some(*total)
//!         })
//!     },
//! )?;
//! // Even: 0, 2, 6; odd: 1, 4, 9.
//! assert_eq!((report.written, report.filtered), (2, 4));
//! # Ok::<(), sluice::Error>(())
//! ```

use std::collections::HashMap;

use super::keyed::{Exchanged, Key, KeyedStream, exchange};
use super::per_record::{pass_on, per_record};
use crate::dataflow::item::Item;
use crate::dataflow::stream::Stream;

impl<'scope, K: Key, T: Exchanged> KeyedStream<'scope, K, T> {
    /// Keeps a state per key, created with `Default`, and calls `logic` with it for each
    /// record; what `logic` returns is passed on. The state lives in memory: after a restart
    /// it is rebuilt only from the records replayed since the last committed offsets.
    ///
    /// When `logic` panics, the record is a dead letter of kind `panic` and the state stays as
    /// `logic` left it (changes made before the panic are kept, not rolled back: undoing them
    /// would mean a copy of the state per record). A closure whose state must stay consistent
    /// checks its record before it changes the state.
    pub fn map_with_state<S, U>(
        self,
        mut logic: impl FnMut(&mut S, &K, T) -> Option<U> + 'static,
    ) -> Stream<'scope, U>
    where
        S: Default + 'static,
        U: 'static,
    {
        let KeyedStream {
            inner,
            shared,
            lineage,
        } = self;
        let mut states: HashMap<K, S, foldhash::fast::RandomState> = HashMap::default();
        let inner = per_record(
            inner,
            exchange::<K, T>(),
            "map_with_state",
            &shared,
            move |origin, (key, record), out| {
                let state = states.entry(key.clone()).or_default();
                if let Some(made) = logic(state, &key, record) {
                    out.push(Item::Record(origin, made));
                }
            },
            pass_on,
        );
        let lineage = shared.step(lineage, || "map_with_state".to_owned());
        Stream::new(inner, shared, lineage)
    }
}
