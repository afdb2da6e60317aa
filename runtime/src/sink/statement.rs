//! Multi-row `INSERT` statements for a [`Row`] type.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::mysql::MySqlArguments;
use sqlx::{Arguments, AssertSqlSafe, MySqlConnection};

use super::chunks::sizes_below;
use crate::row::Row;

/// MySQL's limit on placeholders in one prepared statement.
pub(crate) const MAX_PLACEHOLDERS: usize = 65_535;

/// The statements rows are written with: whole statements of `rows_per_statement` rows and
/// statements of every power of two below that (see `chunks.rs`). Their texts are built once,
/// and each is prepared once per connection.
#[derive(Debug)]
pub(crate) struct InsertPlan {
    rows_per_statement: usize,
    texts: HashMap<usize, Arc<str>>,
}

fn statement_for<R: Row>(rows: usize) -> String {
    let mut sql = String::with_capacity(
        R::INSERT.len() + rows * (R::ROW_PLACEHOLDERS.len() + 1) + R::ON_DUPLICATE_KEY.len(),
    );
    sql.push_str(R::INSERT);
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(R::ROW_PLACEHOLDERS);
    }
    sql.push_str(R::ON_DUPLICATE_KEY);
    sql
}

impl InsertPlan {
    pub fn new<R: Row>(rows_per_statement: usize) -> Self {
        let by_placeholders = MAX_PLACEHOLDERS / R::COLUMNS.len().max(1);
        let rows_per_statement = rows_per_statement.clamp(1, by_placeholders);
        let texts = sizes_below(rows_per_statement)
            .chain([rows_per_statement])
            .map(|rows| (rows, Arc::from(statement_for::<R>(rows))))
            .collect();
        InsertPlan {
            rows_per_statement,
            texts,
        }
    }

    /// The most rows one statement carries.
    pub fn rows_per_statement(&self) -> usize {
        self.rows_per_statement
    }

    /// Writes `chunk` in one statement on `conn`, which the caller has put in a transaction.
    /// Its length should be one the plan has a text for (see `chunks.rs`).
    pub async fn execute<R: Row>(
        &self,
        conn: &mut MySqlConnection,
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
        let text = match self.texts.get(&chunk.len()) {
            Some(text) => Arc::clone(text),
            None => Arc::from(statement_for::<R>(chunk.len())),
        };
        sqlx::query_with(AssertSqlSafe(text), arguments)
            .execute(&mut *conn)
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::EncodeError;
    use crate::schema::{RowSchema, ValueError};

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
    }

    #[test]
    fn statements_stay_under_the_placeholder_limit() {
        let plan = InsertPlan::new::<Wide>(1_000_000);
        assert_eq!(plan.rows_per_statement(), 65_535 / 7);
        assert!(plan.rows_per_statement() * 7 <= MAX_PLACEHOLDERS);
    }

    #[test]
    fn statement_text_repeats_the_row_placeholders() {
        assert_eq!(
            statement_for::<Wide>(2),
            "INSERT INTO `wide` VALUES (?,?,?,?,?,?,?),(?,?,?,?,?,?,?)"
        );
    }
}
