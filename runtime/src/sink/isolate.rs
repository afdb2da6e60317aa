//! Writing a batch whose rows MySQL may refuse one by one: a statement rejected because of a
//! row's values is rolled back alone (the transaction goes on), so the batch is split in halves
//! until each refused row stands alone, and every other row is written.

use sqlx::MySqlConnection;

use super::chunks::{split_refused, statement_ranges};
use super::statement::{InsertPlan, WriteMode};
use crate::row::Row;

/// A row MySQL refused: its index in the batch and the server's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub index: usize,
    pub reason: String,
}

/// Writes `rows` in statements of at most the plan's size; returns the rows MySQL refused.
/// Any other error (connection, server, a missing table) is returned as is.
pub(crate) async fn write_isolating<R: Row>(
    conn: &mut MySqlConnection,
    insert: &InsertPlan,
    rows: &[R],
) -> Result<Vec<Refused>, sqlx::Error> {
    let mut todo = statement_ranges(0..rows.len(), insert.rows_per_statement());
    todo.reverse();
    let mut refused = Vec::new();
    let mut mode = WriteMode::default();
    while let Some(range) = todo.pop() {
        match insert.execute(conn, &rows[range.clone()], &mut mode).await {
            Ok(()) => {}
            Err(error) if is_row_error(&error) => {
                if range.len() == 1 {
                    refused.push(Refused {
                        index: range.start,
                        reason: database_message(&error),
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

/// Errors caused by the values of a row, after which InnoDB rolls back only the statement:
/// NOT NULL, duplicate key, out of range, truncated or invalid values, too long, foreign
/// keys, `SIGNAL` from a trigger, CHECK constraints (MySQL 3819, MariaDB 4025).
pub(crate) fn is_row_error(error: &sqlx::Error) -> bool {
    database_number(error).is_some_and(|number| {
        matches!(
            number,
            1048 | 1062
                | 1264
                | 1265
                | 1292
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
