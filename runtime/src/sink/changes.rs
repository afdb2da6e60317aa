//! Upserts and deletes in one transaction (a change stream): the batch is ordered into segments
//! that keep each key's changes in order, each segment's deletes written before its upserts,
//! and deletes are `DELETE ... WHERE key = ? OR ...` statements of a few fixed sizes.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::ops::Range;
use std::sync::Arc;

use sqlx::mysql::MySqlArguments;
use sqlx::{AssertSqlSafe, MySqlConnection};

use super::chunks::{Sizes, byte_ranges, sizes_below};
use super::isolate::{Refused, Statements, write_isolating, write_rows};
use super::mysql_transaction::Batch;
use super::packet::{PER_VALUE, Packet};
use super::statement::{InsertPlan, MAX_PLACEHOLDERS};
use crate::contract::message::Change;
use crate::contract::row::Row;
use crate::dataflow::item::Origin;

/// The most rows one `DELETE` names: the server's range optimizer handles lists this long.
const DELETES_PER_STATEMENT: usize = 1024;

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

/// Writes the batch's rows: upserts with `insert`, deletes with `deletes`, segment by
/// segment. Returns the rows MySQL refused, by their index in the batch.
pub(super) async fn write_changes<R: Row>(
    conn: &mut MySqlConnection,
    insert: &InsertPlan,
    deletes: &DeletePlan,
    batch: &Batch<R>,
    packet: &mut Packet,
) -> Result<Vec<Refused>, sqlx::Error> {
    if batch.segments.is_empty() {
        return write_rows(conn, insert, &batch.rows, packet).await;
    }
    let mut refused = Vec::new();
    for segment in &batch.segments {
        let rows = &batch.rows[segment.rows.clone()];
        let mut these = match segment.change {
            Change::Upsert => write_rows(conn, insert, rows, packet).await?,
            Change::Delete => delete_rows(conn, deletes, rows, packet).await?,
        };
        for one in &mut these {
            one.index += segment.rows.start;
        }
        refused.append(&mut these);
    }
    Ok(refused)
}

/// The `DELETE` statements of a keyed [`Row`] type, by how many rows they name: whole
/// statements and every power of two below (see `chunks.rs`).
#[derive(Debug)]
pub(super) struct DeletePlan {
    rows_per_statement: usize,
    texts: HashMap<usize, Arc<str>>,
}

impl DeletePlan {
    pub fn new<R: Row>() -> Self {
        let by_placeholders = MAX_PLACEHOLDERS / R::KEY.len().max(1);
        let rows_per_statement = DELETES_PER_STATEMENT.min(by_placeholders);
        let texts = if R::DELETE.is_empty() {
            HashMap::new()
        } else {
            sizes_below(rows_per_statement)
                .chain([rows_per_statement])
                .map(|rows| (rows, Arc::from(delete_statement::<R>(rows))))
                .collect()
        };
        DeletePlan {
            rows_per_statement,
            texts,
        }
    }

    /// The most rows a statement names when its text must also fit in `bytes`.
    fn rows_within(&self, bytes: usize) -> usize {
        let text = |rows: usize| self.texts.get(&rows).map_or(usize::MAX, |t| t.len());
        let full = self.rows_per_statement;
        if text(full) <= bytes {
            return full;
        }
        sizes_below(full)
            .take_while(|rows| text(*rows) <= bytes)
            .last()
            .unwrap_or(1)
    }
}

fn delete_statement<R: Row>(rows: usize) -> String {
    let mut sql = String::with_capacity(R::DELETE.len() + rows * (R::KEY_MATCH.len() + 4));
    sql.push_str(R::DELETE);
    for i in 0..rows {
        if i > 0 {
            sql.push_str(" OR ");
        }
        sql.push_str(R::KEY_MATCH);
    }
    sql
}

/// Deletes `rows` by their keys; returns those MySQL refused (a foreign key) and those too
/// large to be sent.
async fn delete_rows<R: Row>(
    conn: &mut MySqlConnection,
    plan: &DeletePlan,
    rows: &[R],
    packet: &mut Packet,
) -> Result<Vec<Refused>, sqlx::Error> {
    let per_row = R::KEY.len() * PER_VALUE;
    let sizes = Sizes::new(rows.iter().map(|row| row.encoded_len() + per_row));
    let full = plan.rows_within(packet.statement_bytes);
    let ranges = byte_ranges(0..rows.len(), full, packet.statement_bytes, &sizes);
    let mut statements = DeleteStatements { plan, rows };
    write_isolating(conn, &mut statements, ranges, &sizes, packet).await
}

struct DeleteStatements<'a, R> {
    plan: &'a DeletePlan,
    rows: &'a [R],
}

impl<R: Row> Statements for DeleteStatements<'_, R> {
    async fn execute(
        &mut self,
        conn: &mut MySqlConnection,
        range: Range<usize>,
    ) -> Result<(), sqlx::Error> {
        let chunk = &self.rows[range];
        let text = match self.plan.texts.get(&chunk.len()) {
            Some(text) => Arc::clone(text),
            None if R::DELETE.is_empty() => {
                return Err(sqlx::Error::Protocol(format!(
                    "`{}` has no key to delete rows by",
                    R::TABLE
                )));
            }
            None => Arc::from(delete_statement::<R>(chunk.len())),
        };
        let mut arguments = MySqlArguments::default();
        for row in chunk {
            row.bind_key(&mut arguments).map_err(sqlx::Error::Encode)?;
        }
        sqlx::query_with(AssertSqlSafe(text), arguments)
            .execute(&mut *conn)
            .await
            .map(drop)
    }
}
