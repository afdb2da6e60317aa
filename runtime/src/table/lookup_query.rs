//! The query of a lookup join: the rows of a table for a set of keys, one
//! `SELECT ... WHERE key IN (...)` per chunk of keys.

use std::collections::HashMap;

use sqlx::{MySql, Pool, Row as _};

use super::key::quoted;
use crate::contract::row::Row;
use crate::error::{Error, Result};

/// Keys per `IN` list.
const KEYS_PER_QUERY: usize = 1_000;

/// The database a lookup reads, and the runtime its queries run on.
#[derive(Debug)]
pub(crate) struct LookupDatabase {
    pub pool: Pool<MySql>,
    pub runtime: tokio::runtime::Handle,
}

/// What one lookup fetched: each key found with its row (or why it could not be read), and
/// how many queries it took.
pub(crate) struct Fetched<R> {
    pub rows: HashMap<i64, std::result::Result<R, String>>,
    pub queries: u64,
}

/// The rows of `R`'s table whose `key` column is one of `keys`.
pub(crate) fn fetch<R: Row>(
    database: &LookupDatabase,
    key: &str,
    keys: &[i64],
) -> Result<Fetched<R>> {
    let columns: Vec<String> = R::COLUMNS.iter().map(|c| quoted(c)).collect();
    let key = quoted(key);
    let mut fetched = Fetched {
        rows: HashMap::with_capacity(keys.len()),
        queries: 0,
    };
    for chunk in keys.chunks(KEYS_PER_QUERY) {
        let sql = format!(
            "SELECT {}, CAST({key} AS SIGNED) AS `__sluice_key` FROM {} WHERE {key} IN ({})",
            columns.join(", "),
            quoted(R::TABLE),
            vec!["?"; chunk.len()].join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for key in chunk {
            query = query.bind(*key);
        }
        let rows = database
            .runtime
            .block_on(query.fetch_all(&database.pool))
            .map_err(|e| Error::mysql(R::TABLE, e))?;
        fetched.queries += 1;
        for row in &rows {
            let found = row
                .try_get::<i64, _>("__sluice_key")
                .map_err(|e| Error::mysql(R::TABLE, e))?;
            fetched.rows.insert(found, R::read(row));
        }
    }
    Ok(fetched)
}
