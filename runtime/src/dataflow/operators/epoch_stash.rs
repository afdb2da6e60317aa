//! Records held by epoch until their epoch is complete: the window operator and
//! `map_with_state` apply an epoch only once every worker has sent it.

use std::collections::BTreeMap;

use timely::communication::Pull;
use timely::dataflow::channels::Message;
use timely::dataflow::operators::generic::InputHandleCore;

use crate::dataflow::item::Item;
use crate::delivery::Epoch;

/// Each epoch's batches as they came: taken whole, not copied into one vector.
pub(super) type Stash<T> = BTreeMap<Epoch, Vec<Vec<Item<T>>>>;

/// Moves everything `input` holds into `stash`, by the epoch it came in.
pub(super) fn stash_by_epoch<T, P>(
    input: &mut InputHandleCore<Epoch, Vec<Item<T>>, P>,
    stash: &mut Stash<T>,
) where
    P: Pull<Message<Epoch, Vec<Item<T>>>>,
{
    input.for_each_stamp(|stamp, batches| {
        let Some(&epoch) = stamp.least() else { return };
        let held = stash.entry(epoch).or_default();
        for batch in batches {
            if !batch.is_empty() {
                held.push(std::mem::take(batch));
            }
        }
    });
}
