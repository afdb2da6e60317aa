//! The live table, read from `information_schema` into the same model the DDL produces.

use sluice_schema::{Column, Index, SqlType, Table};
use sqlx::{MySql, Pool, Row as _};

/// The table `name` (`table` or `db.table`) as the server has it, or `None` if it does not
/// exist.
pub(crate) async fn live_table(
    pool: &Pool<MySql>,
    name: &str,
) -> Result<Option<Table>, sqlx::Error> {
    let (schema, table) = match name.split_once('.') {
        Some((schema, table)) => (Some(schema), table),
        None => (None, name),
    };
    let where_table = "TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?";
    let columns = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(COLUMN_NAME AS CHAR), CAST(COLUMN_TYPE AS CHAR), IS_NULLABLE = 'YES', \
         COLUMN_DEFAULT IS NOT NULL, CAST(EXTRA AS CHAR) \
         FROM information_schema.COLUMNS WHERE {where_table} ORDER BY ORDINAL_POSITION"
    )))
    .bind(schema)
    .bind(table)
    .fetch_all(pool)
    .await?;
    if columns.is_empty() {
        return Ok(None);
    }
    let json_columns = json_columns(pool, schema, table).await;
    let mut live = Table::new(name);
    for row in columns {
        let column_name: String = row.try_get(0)?;
        let column_type: String = row.try_get(1)?;
        let extra: String = row.try_get(4)?;
        let extra = extra.to_ascii_lowercase();
        let mut ty = SqlType::parse(&column_type).unwrap_or(SqlType::Other(column_type));
        if json_columns
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&column_name))
        {
            ty = SqlType::Json;
        }
        live.columns.push(Column {
            name: column_name,
            ty,
            nullable: row.try_get::<bool, _>(2)?,
            has_default: row.try_get::<bool, _>(3)?,
            auto_increment: extra.contains("auto_increment"),
            generated: extra.contains("generated") || extra.contains("persistent"),
        });
    }

    let parts = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT CAST(INDEX_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR) \
         FROM information_schema.STATISTICS WHERE {where_table} AND NON_UNIQUE = 0 \
         ORDER BY INDEX_NAME, SEQ_IN_INDEX"
    )))
    .bind(schema)
    .bind(table)
    .fetch_all(pool)
    .await?;
    for row in parts {
        let index: String = row.try_get(0)?;
        let column: String = row.try_get(1)?;
        let slot = if index == "PRIMARY" {
            live.primary_key.get_or_insert_with(|| Index {
                name: None,
                columns: Vec::new(),
            })
        } else {
            match live
                .unique_keys
                .iter()
                .position(|k| k.name.as_deref() == Some(index.as_str()))
            {
                Some(at) => &mut live.unique_keys[at],
                None => {
                    live.unique_keys.push(Index {
                        name: Some(index),
                        columns: Vec::new(),
                    });
                    let last = live.unique_keys.len() - 1;
                    &mut live.unique_keys[last]
                }
            }
        };
        slot.columns.push(column);
    }
    Ok(Some(live))
}

/// MariaDB reports a `JSON` column as `LONGTEXT` with a `json_valid` check; MySQL has a real
/// `JSON` type and no such table, so an error here just means "none".
async fn json_columns(pool: &Pool<MySql>, schema: Option<&str>, table: &str) -> Vec<String> {
    let checks = sqlx::query(
        "SELECT CAST(CHECK_CLAUSE AS CHAR) FROM information_schema.CHECK_CONSTRAINTS \
         WHERE CONSTRAINT_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?",
    )
    .bind(schema)
    .bind(table)
    .fetch_all(pool)
    .await
    .unwrap_or_default();
    checks
        .iter()
        .filter_map(|row| row.try_get::<String, _>(0).ok())
        .filter_map(|clause| {
            let inner = clause
                .trim()
                .strip_prefix("json_valid(")?
                .strip_suffix(')')?;
            Some(inner.trim_matches('`').to_string())
        })
        .collect()
}
