//! Multi-row `INSERT` statements for a [`Row`] type.

use std::sync::Arc;

use sqlx::mysql::MySqlArguments;
use sqlx::{Arguments, AssertSqlSafe, MySqlConnection};

use crate::row::Row;

/// MySQL's limit on placeholders in one prepared statement.
pub(crate) const MAX_PLACEHOLDERS: usize = 65_535;

/// The statements one batch of rows is written with: full statements of `rows_per_statement`
/// rows, whose text (and server-side prepared statement) is reused, then one for the rest.
#[derive(Debug)]
pub(crate) struct InsertPlan {
    rows_per_statement: usize,
    full: Arc<str>,
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
        InsertPlan {
            rows_per_statement,
            full: Arc::from(statement_for::<R>(rows_per_statement)),
        }
    }

    /// The most rows one statement carries.
    pub fn rows_per_statement(&self) -> usize {
        self.rows_per_statement
    }

    /// Writes `rows` (at most [`Self::rows_per_statement`]) in one statement on `conn`, which
    /// the caller has put in a transaction.
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
        let full = chunk.len() == self.rows_per_statement;
        let query = if full {
            sqlx::query_with(AssertSqlSafe(Arc::clone(&self.full)), arguments)
        } else {
            // A one-off size: not worth a cached prepared statement.
            sqlx::query_with(AssertSqlSafe(statement_for::<R>(chunk.len())), arguments)
                .persistent(false)
        };
        query.execute(&mut *conn).await.map(drop)
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
