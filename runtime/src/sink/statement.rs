//! Multi-row `INSERT` statements for a [`Row`] type.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::mysql::MySqlArguments;
use sqlx::{Arguments, AssertSqlSafe, MySqlConnection};

use super::chunks::{rows_within, sizes_below};
use super::isolate::database_number;
use crate::contract::row::Row;

/// MySQL's limit on placeholders in one prepared statement.
pub(crate) const MAX_PLACEHOLDERS: usize = 65_535;

/// The statements rows are written with: whole statements of `rows_per_statement` rows and
/// statements of every power of two below that (see `chunks.rs`). Their texts are built once,
/// and each is prepared once per connection.
///
/// A keyed row is written with a plain `INSERT` first, and only when that meets an existing
/// key (error 1062, after which InnoDB has rolled back the statement alone) with `INSERT ...
/// ON DUPLICATE KEY UPDATE`, for the rest of the transaction: new rows, the usual case, cost
/// the server about a fifth less CPU that way, and the table ends the same.
#[derive(Debug)]
pub(crate) struct InsertPlan {
    rows_per_statement: usize,
    texts: HashMap<usize, Texts>,
}

#[derive(Debug)]
struct Texts {
    insert: Arc<str>,
    /// `None` for an append-only row.
    upsert: Option<Arc<str>>,
}

/// How the statements of one transaction are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum WriteMode {
    /// Plain `INSERT`, as long as no key exists yet.
    #[default]
    InsertFirst,
    /// A key existed: upserts for the rest of the transaction.
    Upsert,
}

/// MySQL's "Duplicate entry for key".
const DUPLICATE_KEY: u16 = 1062;

impl Texts {
    fn longest(&self) -> usize {
        self.upsert.as_ref().map_or(self.insert.len(), |u| u.len())
    }
}

fn statement_for<R: Row>(rows: usize, on_duplicate_key: &str) -> String {
    repeated(R::INSERT, R::ROW_PLACEHOLDERS, ",", rows, on_duplicate_key)
}

/// `head`, `part` `rows` times with `separator` between, then `tail`: a statement's text.
pub(crate) fn repeated(head: &str, part: &str, separator: &str, rows: usize, tail: &str) -> String {
    let mut sql =
        String::with_capacity(head.len() + rows * (part.len() + separator.len()) + tail.len());
    sql.push_str(head);
    for i in 0..rows {
        if i > 0 {
            sql.push_str(separator);
        }
        sql.push_str(part);
    }
    sql.push_str(tail);
    sql
}

fn texts_for<R: Row>(rows: usize) -> Texts {
    Texts {
        insert: Arc::from(statement_for::<R>(rows, "")),
        upsert: (!R::ON_DUPLICATE_KEY.is_empty())
            .then(|| Arc::from(statement_for::<R>(rows, R::ON_DUPLICATE_KEY))),
    }
}

impl InsertPlan {
    pub fn new<R: Row>(rows_per_statement: usize) -> Self {
        let by_placeholders = MAX_PLACEHOLDERS / R::COLUMNS.len().max(1);
        let rows_per_statement = rows_per_statement.clamp(1, by_placeholders);
        let texts = sizes_below(rows_per_statement)
            .chain([rows_per_statement])
            .map(|rows| (rows, texts_for::<R>(rows)))
            .collect();
        InsertPlan {
            rows_per_statement,
            texts,
        }
    }

    /// The most rows one statement carries.
    #[cfg(test)]
    pub fn rows_per_statement(&self) -> usize {
        self.rows_per_statement
    }

    /// The most rows a statement carries when its text must also fit in `bytes` (the text is
    /// a packet of its own when it is prepared): the plan's full size, or a power of two.
    pub fn rows_within(&self, bytes: usize) -> usize {
        rows_within(self.rows_per_statement, bytes, |rows| {
            self.texts.get(&rows).map_or(usize::MAX, Texts::longest)
        })
    }

    /// Writes `chunk` in one statement on `conn`, which the caller has put in a transaction.
    /// Its length should be one the plan has a text for (see `chunks.rs`).
    pub async fn execute<R: Row>(
        &self,
        conn: &mut MySqlConnection,
        chunk: &[R],
        mode: &mut WriteMode,
    ) -> Result<(), sqlx::Error> {
        let built;
        let texts = match self.texts.get(&chunk.len()) {
            Some(texts) => texts,
            None => {
                built = texts_for::<R>(chunk.len());
                &built
            }
        };
        let Some(upsert) = &texts.upsert else {
            return run(conn, &texts.insert, chunk).await;
        };
        if *mode == WriteMode::InsertFirst {
            match run(conn, &texts.insert, chunk).await {
                Err(error) if database_number(&error) == Some(DUPLICATE_KEY) => {
                    *mode = WriteMode::Upsert;
                }
                other => return other,
            }
        }
        run(conn, upsert, chunk).await
    }
}

async fn run<R: Row>(
    conn: &mut MySqlConnection,
    text: &Arc<str>,
    chunk: &[R],
) -> Result<(), sqlx::Error> {
    let mut arguments = MySqlArguments::default();
    arguments.reserve(
        chunk.len() * R::COLUMNS.len(),
        chunk.len() * R::COLUMNS.len() * 8,
    );
    for row in chunk {
        row.bind(&mut arguments).map_err(sqlx::Error::Encode)?;
    }
    sqlx::query_with(AssertSqlSafe(Arc::clone(text)), arguments)
        .execute(&mut *conn)
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::row::EncodeError;
    use crate::table::{RowSchema, ValueError};

    struct Wide;

    impl Row for Wide {
        const TABLE: &'static str = "wide";
        const COLUMNS: &'static [&'static str] = &["a"; 7];
        const KEY: &'static [&'static str] = &[];
        const INSERT: &'static str = "INSERT INTO `wide` VALUES ";
        const ROW_PLACEHOLDERS: &'static str = "(?,?,?,?,?,?,?)";
        const ON_DUPLICATE_KEY: &'static str = "";
        const SCHEMA: RowSchema = RowSchema {
            shape: sluice_schema::RowShape {
                fields: &[],
                append_only: true,
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

        fn read(_: &sqlx::mysql::MySqlRow) -> Result<Self, String> {
            Ok(Wide)
        }
    }

    #[test]
    fn statements_stay_under_the_placeholder_limit() {
        let plan = InsertPlan::new::<Wide>(1_000_000);
        assert_eq!(plan.rows_per_statement(), 65_535 / 7);
        assert!(plan.rows_per_statement() * 7 <= MAX_PLACEHOLDERS);
    }

    #[test]
    fn statement_texts_fit_in_the_packet() {
        let plan = InsertPlan::new::<Wide>(1000);
        // "INSERT INTO `wide` VALUES " and 16 bytes a row, less one comma.
        let text = |rows: usize| 26 + rows * 16 - 1;
        assert_eq!(plan.rows_within(usize::MAX), 1000);
        assert_eq!(plan.rows_within(text(1000)), 1000);
        assert_eq!(plan.rows_within(text(1000) - 1), 512);
        assert_eq!(plan.rows_within(text(300)), 256);
        assert_eq!(plan.rows_within(10), 1);
    }

    #[test]
    fn statement_text_repeats_the_row_placeholders() {
        assert_eq!(
            statement_for::<Wide>(2, ""),
            "INSERT INTO `wide` VALUES (?,?,?,?,?,?,?),(?,?,?,?,?,?,?)"
        );
    }
}
