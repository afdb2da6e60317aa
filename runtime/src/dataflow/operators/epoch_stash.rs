//! Records held by epoch until their epoch is complete: the window operator and
//! `map_with_state` apply an epoch only once every worker has sent it.

use std::collections::BTreeMap;

use timely::communication::Pull;
use timely::dataflow::channels::Message;
use timely::dataflow::operators::generic::InputHandleCore;

use crate::dataflow::item::Item;
use crate::delivery::Epoch;

/// Moves everything `input` holds into `stash`, by the epoch it came in.
pub(super) fn stash_by_epoch<T, P>(
    input: &mut InputHandleCore<Epoch, Vec<Item<T>>, P>,
    stash: &mut BTreeMap<Epoch, Vec<Item<T>>>,
) where
    P: Pull<Message<Epoch, Vec<Item<T>>>>,
{
    input.for_each_stamp(|stamp, batches| {
        let Some(&epoch) = stamp.least() else { return };
        let items = stash.entry(epoch).or_default();
        for batch in batches {
            items.append(batch);
        }
    });
}
