//! The MySQL insert ceiling: the W1 rows, made in memory, written by plain multi-row INSERT
//! statements on `connections` connections at once. No Kafka, no decoding, no transactions
//! beyond autocommit: what the database allows this client to write.

use chrono::DateTime;
use sluice_testkit::workload::W1Order;
use sqlx::AssertSqlSafe;

use super::database::{self, BoxError};

/// Rows per statement, as sluice's default.
const ROWS_PER_STATEMENT: u64 = 10_000;

pub fn insert_all(
    runtime: &tokio::runtime::Runtime,
    orders: u64,
    connections: usize,
) -> Result<u64, BoxError> {
    on_connections(runtime, connections, |c, n| insert_share(orders, c, n))
}

/// Runs `share(c, connections)` for every connection `c` at once; the rows they all wrote.
pub fn on_connections<F, W>(
    runtime: &tokio::runtime::Runtime,
    connections: usize,
    share: F,
) -> Result<u64, BoxError>
where
    F: Fn(u64, u64) -> W,
    W: std::future::Future<Output = Result<u64, BoxError>> + Send + 'static,
{
    let connections = connections as u64;
    let writers: Vec<_> = (0..connections)
        .map(|c| runtime.spawn(share(c, connections)))
        .collect();
    let mut written = 0;
    for writer in writers {
        written += runtime.block_on(writer)??;
    }
    Ok(written)
}

/// Connection `c` of `connections` writes the statements `c`, `c + connections`, ...
async fn insert_share(orders: u64, c: u64, connections: u64) -> Result<u64, BoxError> {
    let mut db = database::connect().await?;
    let full = statement(ROWS_PER_STATEMENT);
    let mut written = 0;
    let mut first = c * ROWS_PER_STATEMENT;
    while first < orders {
        let last = (first + ROWS_PER_STATEMENT).min(orders);
        insert_of(first, last, &full)?.execute(&mut db).await?;
        written += last - first;
        first += connections * ROWS_PER_STATEMENT;
    }
    Ok(written)
}

/// The INSERT of orders `first..last`, bound; `full` is the text of a whole statement's.
pub fn insert_of(
    first: u64,
    last: u64,
    full: &str,
) -> Result<sqlx::query::Query<'static, sqlx::MySql, sqlx::mysql::MySqlArguments>, BoxError> {
    let text = if last - first == ROWS_PER_STATEMENT {
        full.to_owned()
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
    Ok(query)
}

pub fn statement(rows: u64) -> String {
    let mut sql =
        String::from("INSERT INTO orders (id, customer_id, amount_cents, currency, ts) VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?)");
    }
    sql
}
