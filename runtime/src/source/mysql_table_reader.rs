//! The tokio side of a table source: one task per worker reads its key ranges page by page
//! (keyset pagination: each page starts after the last key of the one before, never with an
//! `OFFSET`) and hands the pages to the worker's operator through a small bounded channel,
//! so the next page is read while the pipeline works on this one.

use sqlx::{MySql, Pool, Row as _};
use timely::scheduling::SyncActivator;
use tokio::sync::mpsc;

use crate::contract::row::Row;
use crate::delivery::table_scans::KeyRange;
use crate::error::{Error, Result};

/// The rows of one page of one range, each with its key; a row that cannot be read is the
/// reason why.
pub(super) struct Page<R> {
    pub range: i32,
    pub rows: Vec<(i64, std::result::Result<R, String>)>,
}

/// Reads `ranges` (each from its next key) with `query`, a page at a time, into `pages`.
pub(super) async fn read_ranges<R: Row>(
    pool: Pool<MySql>,
    query: String,
    ranges: Vec<(KeyRange, i64)>,
    pages: mpsc::Sender<Result<Page<R>>>,
    wake: SyncActivator,
) {
    for (range, mut next) in ranges {
        while next <= range.last {
            let fetched = sqlx::query(sqlx::AssertSqlSafe(query.clone()))
                .bind(next)
                .bind(range.last)
                .fetch_all(&pool)
                .await;
            let rows = match fetched {
                Ok(rows) => rows,
                Err(error) => {
                    let _ = pages.send(Err(Error::mysql(R::TABLE, error))).await;
                    let _ = wake.activate();
                    return;
                }
            };
            let Some(last) = rows.last() else { break };
            let last_key = match last.try_get::<i64, _>("__sluice_key") {
                Ok(key) => key,
                Err(error) => {
                    let _ = pages.send(Err(Error::mysql(R::TABLE, error))).await;
                    let _ = wake.activate();
                    return;
                }
            };
            let page = Page {
                range: range.number,
                rows: rows
                    .iter()
                    .map(|row| {
                        let key = row.try_get::<i64, _>("__sluice_key").unwrap_or(last_key);
                        (key, R::read(row))
                    })
                    .collect(),
            };
            if pages.send(Ok(page)).await.is_err() {
                return;
            }
            let _ = wake.activate();
            match last_key.checked_add(1) {
                Some(after) => next = after,
                None => break,
            }
        }
    }
    // Dropping the sender tells the operator the scan is complete.
    drop(pages);
    let _ = wake.activate();
}
