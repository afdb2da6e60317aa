//! Upserts and deletes in one transaction (a change stream): the batch is ordered into segments
//! that keep each key's changes in order, each segment's deletes written before its upserts.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::ops::Range;

use sqlx::MySqlConnection;

use super::delete_statement::delete_rows;
use super::isolate::{Refused, write_rows};
use super::mysql_transaction::{Batch, WritePlans};
use super::packet::Packet;
use crate::codec::Change;
use crate::contract::row::Row;
use crate::dataflow::item::Origin;

/// Rows of a batch written alike: `rows` of the batch, all upserts or all deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Segment {
    pub change: Change,
    pub rows: Range<usize>,
}

/// Orders `rows` (with their `origins`) so that each key's changes take effect in the order
/// they came: within a segment the deletes go first, then the upserts (a key upserted after
/// its delete stays), and a delete of a key upserted earlier in the segment starts the next
/// segment. Keys are compared by [`Row::hash_key`]: keys that only hash alike also start a new
/// segment, which costs statements, never order. Returns the segments, in order; none when
/// every row is an upsert.
pub(super) fn order_changes<R: Row>(batch: &mut Batch<R>) -> Vec<Segment> {
    if !batch.origins.iter().any(Origin::is_delete) {
        return Vec::new();
    }
    let hasher = RandomState::new();
    let mut order: Vec<usize> = Vec::with_capacity(batch.rows.len());
    let mut segments = Vec::new();
    let mut deletes: Vec<usize> = Vec::new();
    let mut upserts: Vec<usize> = Vec::new();
    let mut upserted: HashSet<u64> = HashSet::new();
    for (index, (row, origin)) in batch.rows.iter().zip(&batch.origins).enumerate() {
        let key = {
            let mut state = hasher.build_hasher();
            row.hash_key(&mut state);
            std::hash::Hasher::finish(&state)
        };
        if origin.is_delete() {
            if upserted.contains(&key) {
                close_segment(&mut order, &mut segments, &mut deletes, &mut upserts);
                upserted.clear();
            }
            deletes.push(index);
        } else {
            upserted.insert(key);
            upserts.push(index);
        }
    }
    close_segment(&mut order, &mut segments, &mut deletes, &mut upserts);
    let mut rows: Vec<Option<R>> = std::mem::take(&mut batch.rows)
        .into_iter()
        .map(Some)
        .collect();
    batch.rows = order.iter().filter_map(|&i| rows[i].take()).collect();
    batch.origins = order.iter().map(|&i| batch.origins[i]).collect();
    segments
}

fn close_segment(
    order: &mut Vec<usize>,
    segments: &mut Vec<Segment>,
    deletes: &mut Vec<usize>,
    upserts: &mut Vec<usize>,
) {
    for (change, part) in [(Change::Delete, deletes), (Change::Upsert, upserts)] {
        if part.is_empty() {
            continue;
        }
        let start = order.len();
        order.append(part);
        segments.push(Segment {
            change,
            rows: start..order.len(),
        });
    }
}

/// Writes the batch's rows: upserts and deletes with their `plans`, segment by
/// segment. Returns the rows MySQL refused, by their index in the batch.
pub(super) async fn write_changes<R: Row>(
    conn: &mut MySqlConnection,
    plans: &WritePlans,
    batch: &Batch<R>,
    packet: &mut Packet,
) -> Result<Vec<Refused>, sqlx::Error> {
    if batch.segments.is_empty() {
        return write_rows(conn, &plans.insert, &batch.rows, packet).await;
    }
    let mut refused = Vec::new();
    for segment in &batch.segments {
        let rows = &batch.rows[segment.rows.clone()];
        let mut these = match segment.change {
            Change::Upsert => write_rows(conn, &plans.insert, rows, packet).await?,
            Change::Delete => delete_rows(conn, &plans.deletes, rows, packet).await?,
        };
        for one in &mut these {
            one.index += segment.rows.start;
        }
        refused.append(&mut these);
    }
    Ok(refused)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use sqlx::mysql::MySqlArguments;

    use super::*;
    use crate::contract::row::EncodeError;
    use crate::table::{RowSchema, ValueError};

    /// A row of key `0` and a value; `hashed`: whether it hashes its key (otherwise every key
    /// hashes alike, the most conservative case).
    struct Keyed<const HASHED: bool>(u8, u32);

    impl<const HASHED: bool> Row for Keyed<HASHED> {
        const TABLE: &'static str = "keyed";
        const COLUMNS: &'static [&'static str] = &["k", "v"];
        const KEY: &'static [&'static str] = &["k"];
        const INSERT: &'static str = "INSERT INTO `keyed` (`k`, `v`) VALUES ";
        const ROW_PLACEHOLDERS: &'static str = "(?,?)";
        const ON_DUPLICATE_KEY: &'static str = " ON DUPLICATE KEY UPDATE `v` = VALUES(`v`)";
        const DELETE: &'static str = "DELETE FROM `keyed` WHERE ";
        const KEY_MATCH: &'static str = "`k` = ?";
        const SCHEMA: RowSchema = RowSchema {
            shape: sluice_schema::RowShape {
                fields: &[],
                append_only: false,
                allow_other_unique_keys: false,
            },
            declared: None,
        };

        fn bind(&self, _: &mut MySqlArguments) -> Result<(), EncodeError> {
            Ok(())
        }

        fn validate(&self) -> Result<(), ValueError> {
            Ok(())
        }

        fn hash_key(&self, state: &mut dyn std::hash::Hasher) {
            if HASHED {
                state.write_u8(self.0);
            }
        }

        fn read(_: &sqlx::mysql::MySqlRow) -> Result<Self, String> {
            Ok(Keyed(0, 0))
        }
    }

    fn batch<const HASHED: bool>(changes: &[(u8, u32, bool)]) -> Batch<Keyed<HASHED>> {
        let mut batch = Batch::default();
        for (offset, &(key, value, delete)) in changes.iter().enumerate() {
            batch.rows.push(Keyed(key, value));
            let mut origin = Origin::read(0, offset as i64, 0);
            if delete {
                origin.change = Change::Delete;
            }
            batch.origins.push(origin);
        }
        batch
    }

    /// The table after the changes one by one.
    fn in_order(changes: &[(u8, u32, bool)]) -> BTreeMap<u8, u32> {
        let mut table = BTreeMap::new();
        for &(key, value, delete) in changes {
            if delete {
                table.remove(&key);
            } else {
                table.insert(key, value);
            }
        }
        table
    }

    /// The table after the segments, each a statement: deletes of any keys, or upserts in order.
    fn by_segments<const HASHED: bool>(changes: &[(u8, u32, bool)]) -> BTreeMap<u8, u32> {
        let mut batch = batch::<HASHED>(changes);
        batch.segments = order_changes(&mut batch);
        assert_eq!(batch.rows.len(), changes.len());
        let mut table = BTreeMap::new();
        if batch.segments.is_empty() {
            assert!(changes.iter().all(|c| !c.2), "no segments without deletes");
            batch.segments.push(Segment {
                change: Change::Upsert,
                rows: 0..batch.rows.len(),
            });
        }
        let mut covered = 0;
        for segment in &batch.segments {
            assert_eq!(segment.rows.start, covered, "segments follow each other");
            covered = segment.rows.end;
            for (row, origin) in batch.rows[segment.rows.clone()]
                .iter()
                .zip(&batch.origins[segment.rows.clone()])
            {
                assert_eq!(origin.is_delete(), segment.change == Change::Delete);
                if origin.is_delete() {
                    table.remove(&row.0);
                } else {
                    table.insert(row.0, row.1);
                }
            }
        }
        assert_eq!(covered, batch.rows.len());
        table
    }

    #[test]
    fn a_delete_after_an_upsert_of_its_key_starts_a_segment() {
        let changes = [(1, 10, false), (2, 20, false), (1, 0, true), (1, 11, false)];
        let mut ordered = batch::<true>(&changes);
        let segments = order_changes(&mut ordered);
        let kinds: Vec<(Change, usize)> =
            segments.iter().map(|s| (s.change, s.rows.len())).collect();
        assert_eq!(
            kinds,
            [
                (Change::Upsert, 2),
                (Change::Delete, 1),
                (Change::Upsert, 1)
            ]
        );
        assert_eq!(by_segments::<true>(&changes), in_order(&changes));
        // A delete before the key's upsert stays in the segment, ahead of it.
        let changes = [(1, 0, true), (1, 10, false), (2, 0, true)];
        let mut ordered = batch::<true>(&changes);
        assert_eq!(order_changes(&mut ordered).len(), 2);
        assert_eq!(by_segments::<true>(&changes), in_order(&changes));
    }

    proptest! {
        /// Whatever the changes, applying the segments leaves the table applying them in order
        /// would, with keys hashed or all alike.
        #[test]
        fn segments_keep_each_keys_order(
            changes in proptest::collection::vec((0u8..6, any::<u32>(), any::<bool>()), 0..60)
        ) {
            prop_assert_eq!(by_segments::<true>(&changes), in_order(&changes));
            prop_assert_eq!(by_segments::<false>(&changes), in_order(&changes));
        }
    }
}
