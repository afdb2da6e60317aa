//! The start-up check: the live table against what the row struct was compiled against, and
//! against the row rules themselves. Any difference stops the job before a message is read.

use sluice_schema::{SqlType, Subject, Table, check_row};
use sqlx::{MySql, Pool};

use super::declared::{Declared, RowSchema};
use super::live::live_table;
use crate::error::{Error, Result};

/// Checks `table` on the server against `schema`.
pub(crate) async fn check_table(pool: &Pool<MySql>, table: &str, schema: &RowSchema) -> Result<()> {
    let live = live_table(pool, table)
        .await
        .map_err(|e| Error::mysql(None, e))?;
    let Some(live) = live else {
        let hint = match &schema.declared {
            Some(declared) if !declared.migrations.is_empty() => format!(
                "; run with --migrate to apply the migrations in `{}`",
                declared.source
            ),
            Some(declared) => format!("; create it from `{}`", declared.source),
            None => String::new(),
        };
        return Err(Error::Schema {
            table: table.to_string(),
            problems: format!("the table does not exist in the database{hint}"),
        });
    };
    let problems = differences(schema, &live);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Schema {
            table: table.to_string(),
            problems: problems.join("; "),
        })
    }
}

fn differences(schema: &RowSchema, live: &Table) -> Vec<String> {
    let mut problems = Vec::new();
    let mut drifted = Vec::new();
    if let Some(declared) = &schema.declared {
        for (index, difference) in drift(declared, live) {
            drifted.push(index);
            problems.push(difference);
        }
    }
    if let Err(broken) = check_row(&schema.shape, live) {
        for problem in broken {
            let field = match problem.subject {
                Subject::Field(i) | Subject::FieldType(i) => Some(i),
                _ => None,
            };
            if field.is_none_or(|i| !drifted.contains(&i)) {
                problems.push(problem.message);
            }
        }
    }
    problems
}

/// Written columns whose live definition differs from the declared one, by field index.
fn drift(declared: &Declared, live: &Table) -> Vec<(usize, String)> {
    let source = declared.source;
    let mut found = Vec::new();
    for (index, column) in declared.columns.iter().enumerate() {
        let name = column.column;
        let Some(live_column) = live.column(name) else {
            found.push((
                index,
                format!(
                    "column `{name}` ({} in `{source}`) is missing from the live table",
                    column.sql_type
                ),
            ));
            continue;
        };
        let expected = SqlType::parse(column.sql_type)
            .unwrap_or_else(|_| SqlType::Other(column.sql_type.to_string()));
        if !expected.same_as_live(&live_column.ty) {
            found.push((
                index,
                format!(
                    "column `{name}` was compiled as {expected} (from `{source}`) but is {} \
                     in the live table",
                    live_column.ty
                ),
            ));
        } else if column.nullable != live_column.nullable {
            let null = |nullable| if nullable { "NULL" } else { "NOT NULL" };
            found.push((
                index,
                format!(
                    "column `{name}` was compiled as {} (from `{source}`) but is {} in the \
                     live table",
                    null(column.nullable),
                    null(live_column.nullable)
                ),
            ));
        }
    }
    found
}
