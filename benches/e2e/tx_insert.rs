//! W1's rows written as sluice's MySQL sink writes them, without Kafka: per piece of 10,000
//! rows one transaction holding a multi-row `INSERT` (prepared once; the sink starts with a
//! plain `INSERT` and switches to `ON DUPLICATE KEY UPDATE` only after a duplicate key, which
//! an empty table never has) and the upsert of one position row.

use sqlx::Connection;

use super::ceiling::{insert_of, on_connections, statement};
use super::database::{self, BoxError};
use super::positions::{ROWS_PER_PIECE, UPSERT_POSITION, pieces_of};

pub fn insert_all(
    runtime: &tokio::runtime::Runtime,
    orders: u64,
    connections: usize,
) -> Result<u64, BoxError> {
    on_connections(runtime, connections, |c, n| insert_share(orders, c, n))
}

async fn insert_share(orders: u64, c: u64, connections: u64) -> Result<u64, BoxError> {
    let mut db = database::connect().await?;
    let full = statement(ROWS_PER_PIECE);
    let mut written = 0;
    for (first, last) in pieces_of(orders, c, connections) {
        let query = insert_of(first..last, &full)?;
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
