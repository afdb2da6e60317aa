//! `DELETE ... WHERE key = ? OR ...` statements for a keyed [`Row`] type, by how many rows they
//! name: whole statements and every power of two below (see `chunks.rs`).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use sqlx::mysql::MySqlArguments;
use sqlx::{AssertSqlSafe, MySqlConnection};

use super::chunks::{Sizes, byte_ranges, rows_within, sizes_below};
use super::isolate::{Refused, Statements, write_isolating};
use super::packet::{PER_VALUE, Packet};
use super::statement::{MAX_PLACEHOLDERS, repeated};
use crate::contract::row::Row;

/// The most rows one `DELETE` names: the server's range optimizer handles lists this long.
const DELETES_PER_STATEMENT: usize = 1024;

#[derive(Debug)]
pub(super) struct DeletePlan {
    rows_per_statement: usize,
    /// Empty for a row without a key.
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
}

fn delete_statement<R: Row>(rows: usize) -> String {
    repeated(R::DELETE, R::KEY_MATCH, " OR ", rows, "")
}

/// Deletes `rows` by their keys; returns those MySQL refused (a foreign key) and those whose
/// key is too large to be sent.
pub(super) async fn delete_rows<R: Row>(
    conn: &mut MySqlConnection,
    plan: &DeletePlan,
    rows: &[R],
    packet: &mut Packet,
) -> Result<Vec<Refused>, sqlx::Error> {
    let per_row = R::KEY.len() * PER_VALUE;
    let sizes = Sizes::new(rows.iter().map(|row| row.encoded_key_len() + per_row));
    let full = rows_within(plan.rows_per_statement, packet.statement_bytes, |rows| {
        plan.texts.get(&rows).map_or(usize::MAX, |text| text.len())
    });
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
                return Err(sqlx::Error::Configuration(
                    format!("`{}` has no key to delete rows by", R::TABLE).into(),
                ));
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
