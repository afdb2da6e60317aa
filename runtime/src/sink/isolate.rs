//! Writing a batch whose rows (or dead letters) MySQL may refuse one by one: a statement
//! rejected because of a row's values is rolled back alone (the transaction goes on), so the
//! batch is split in halves until each refused row stands alone, and every other row is
//! written. A row too large for the server's packet is refused before it is sent.

use std::ops::Range;

use sqlx::MySqlConnection;

use super::chunks::{Sizes, byte_ranges, split_refused};
use super::packet::{PER_VALUE, Packet};
use super::statement::{InsertPlan, WriteMode};
use crate::contract::row::Row;

/// An item (row or dead letter) MySQL refused or that is too large to send: its index in the
/// batch and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub index: usize,
    pub reason: String,
    /// Whether MySQL refused it; otherwise it was too large to be sent.
    pub by_server: bool,
}

/// Statements over a batch of items, one range of the batch each.
pub(crate) trait Statements {
    /// Writes the items of `range` in one statement.
    fn execute(
        &mut self,
        conn: &mut MySqlConnection,
        range: Range<usize>,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

/// Writes a batch in the statements `ranges`; returns the items refused. A statement refused
/// because of an item's values is split until the item stands alone; an item larger than
/// `packet` allows by itself is refused without being sent. Any other error (connection,
/// server, a missing table) is returned as is, with `packet.last_sent` the size of the
/// statement it came from.
pub(crate) async fn write_isolating<S: Statements>(
    conn: &mut MySqlConnection,
    statements: &mut S,
    mut ranges: Vec<Range<usize>>,
    sizes: &Sizes,
    packet: &mut Packet,
) -> Result<Vec<Refused>, sqlx::Error> {
    ranges.reverse();
    let mut todo = ranges;
    let mut refused = Vec::new();
    while let Some(range) = todo.pop() {
        let bytes = sizes.of(range.clone());
        if range.len() == 1 && packet.too_large(bytes) {
            refused.push(Refused {
                index: range.start,
                reason: packet.too_large_reason(bytes),
                by_server: false,
            });
            continue;
        }
        packet.last_sent = bytes;
        match statements.execute(conn, range.clone()).await {
            Ok(()) => {}
            Err(error) if is_row_error(&error) => {
                if range.len() == 1 {
                    refused.push(Refused {
                        index: range.start,
                        reason: database_message(&error),
                        by_server: true,
                    });
                } else {
                    todo.extend(split_refused(range).into_iter().rev());
                }
            }
            Err(error) => return Err(error),
        }
    }
    Ok(refused)
}

/// Writes `rows` in statements of at most the plan's rows and `packet`'s bytes; returns the
/// rows MySQL refused and those too large to be sent.
pub(crate) async fn write_rows<R: Row>(
    conn: &mut MySqlConnection,
    insert: &InsertPlan,
    rows: &[R],
    packet: &mut Packet,
) -> Result<Vec<Refused>, sqlx::Error> {
    let per_row = R::COLUMNS.len() * PER_VALUE;
    let sizes = Sizes::new(rows.iter().map(|row| row.encoded_len() + per_row));
    let full = insert.rows_within(packet.statement_bytes);
    let ranges = byte_ranges(0..rows.len(), full, packet.statement_bytes, &sizes);
    let mut statements = RowStatements {
        insert,
        rows,
        mode: WriteMode::default(),
    };
    write_isolating(conn, &mut statements, ranges, &sizes, packet).await
}

struct RowStatements<'a, R> {
    insert: &'a InsertPlan,
    rows: &'a [R],
    mode: WriteMode,
}

impl<R: Row> Statements for RowStatements<'_, R> {
    fn execute(
        &mut self,
        conn: &mut MySqlConnection,
        range: Range<usize>,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send {
        self.insert.execute(conn, &self.rows[range], &mut self.mode)
    }
}

/// Errors caused by the values of a row, after which InnoDB rolls back only the statement:
/// NOT NULL, duplicate key, out of range, truncated or invalid values, too long, a function's
/// result larger than `max_allowed_packet` (1301, from a trigger or generated column), foreign
/// keys, `SIGNAL` from a trigger, CHECK constraints (MySQL 3819, MariaDB 4025).
pub(crate) fn is_row_error(error: &sqlx::Error) -> bool {
    database_number(error).is_some_and(|number| {
        matches!(
            number,
            1048 | 1062
                | 1264
                | 1265
                | 1292
                | 1301
                | 1366
                | 1406
                | 1451
                | 1452
                | 1644
                | 1690
                | 3819
                | 4025
        )
    })
}

/// The server's error number, when the error came from the server.
pub(crate) fn database_number(error: &sqlx::Error) -> Option<u16> {
    match error {
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .map(sqlx::mysql::MySqlDatabaseError::number),
        _ => None,
    }
}

fn database_message(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => db.message().to_owned(),
        other => other.to_string(),
    }
}
