//! W1's rows written as sluice's MySQL sink writes them, without Kafka: per piece of 10,000
//! rows one transaction holding a multi-row `INSERT` (prepared once; the sink starts with a
//! plain `INSERT` and switches to `ON DUPLICATE KEY UPDATE` only after a duplicate key, which
//! an empty table never has) and the upsert of one position row.

use chrono::DateTime;
use sluice_testkit::workload::W1Order;
use sqlx::{AssertSqlSafe, Connection};

use super::ceiling::statement;
use super::database::{self, BoxError};
use super::positions::{ROWS_PER_PIECE, UPSERT_POSITION, pieces_of};

pub fn insert_all(
    runtime: &tokio::runtime::Runtime,
    orders: u64,
    connections: usize,
) -> Result<u64, BoxError> {
    let connections = connections as u64;
    let writers: Vec<_> = (0..connections)
        .map(|c| runtime.spawn(insert_share(orders, c, connections)))
        .collect();
    let mut written = 0;
    for writer in writers {
        written += runtime.block_on(writer)??;
    }
    Ok(written)
}

async fn insert_share(orders: u64, c: u64, connections: u64) -> Result<u64, BoxError> {
    let mut db = database::connect().await?;
    let full = statement(ROWS_PER_PIECE);
    let mut written = 0;
    for (first, last) in pieces_of(orders, c, connections) {
        let text = if last - first == ROWS_PER_PIECE {
            full.clone()
        } else {
            statement(last - first)
        };
        let mut query = sqlx::query(AssertSqlSafe(text));
        for i in first..last {
            let order = W1Order::nth(i);
            let ts = DateTime::from_timestamp_millis(order.ts_millis).ok_or("ts out of range")?;
            query = query
                .bind(order.id)
                .bind(order.customer_id)
                .bind(order.amount_cents)
                .bind("EUR")
                .bind(ts);
        }
        let mut tx = db.begin().await?;
        written += query.execute(&mut *tx).await?.rows_affected();
        sqlx::query(UPSERT_POSITION)
            .bind(c)
            .bind(last)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(written)
}
