//! The MySQL insert ceiling: the W1 rows, made in memory, written by plain multi-row INSERT
//! statements on `connections` connections at once. No Kafka, no decoding, no transactions
//! beyond autocommit: what the database allows this client to write.
//!
//! The rows go in id order, or in the order a consumer of the topic reads them: each of the
//! topic's partitions holds every fourth id or so, so its rows land all over the primary key's
//! pages instead of at its end, which costs InnoDB more per row.

use chrono::DateTime;
use sluice_testkit::workload::W1Order;
use sqlx::AssertSqlSafe;

use super::database::{self, BoxError};
use sluice_testkit::workload::PARTITIONS;

/// Rows per statement, as sluice's default.
const ROWS_PER_STATEMENT: u64 = 10_000;

/// W1 rows one partition's fetch returns (librdkafka's `max.partition.fetch.bytes`, 1 MiB, of
/// messages of about 150 bytes).
const ROWS_PER_FETCH: usize = 7_000;

pub fn insert_all(
    runtime: &tokio::runtime::Runtime,
    orders: u64,
    connections: usize,
) -> Result<u64, BoxError> {
    on_connections(runtime, connections, |c, n| insert_share(orders, c, n))
}

/// The ceiling with the rows in the topic's order: connection `c` writes `shares[c]`.
pub fn insert_shares(
    runtime: &tokio::runtime::Runtime,
    shares: Vec<Vec<u64>>,
) -> Result<u64, BoxError> {
    let shares = std::sync::Arc::new(shares);
    on_connections(runtime, shares.len(), move |c, _| {
        insert_ids(std::sync::Arc::clone(&shares), c as usize)
    })
}

/// What each of `connections` connections writes in the topic's order: what a worker that
/// reads partitions `c`, `c + connections`, ... would, a fetch of each in turn.
pub fn shares_in_topic_order(orders: u64, connections: usize) -> Vec<Vec<u64>> {
    (0..connections as u64)
        .map(|c| ids_as_read(orders, c, connections as u64))
        .collect()
}

/// The ids of the partitions of connection `c` (`p % connections == c`), each partition's in
/// offset order, one fetch of each partition in turn. Key `i` is in partition
/// `crc32(i) % PARTITIONS`, as librdkafka's default partitioner puts it.
fn ids_as_read(orders: u64, c: u64, connections: u64) -> Vec<u64> {
    let partitions = PARTITIONS as u32;
    let mut by_partition: Vec<Vec<u64>> = vec![Vec::new(); PARTITIONS as usize];
    for id in 0..orders {
        let partition = crc32fast::hash(id.to_string().as_bytes()) % partitions;
        if u64::from(partition) % connections == c {
            by_partition[partition as usize].push(id);
        }
    }
    let mut fetches: Vec<_> = by_partition
        .iter()
        .map(|ids| ids.chunks(ROWS_PER_FETCH))
        .collect();
    let mut ids = Vec::new();
    loop {
        let before = ids.len();
        for fetch in fetches.iter_mut().filter_map(Iterator::next) {
            ids.extend_from_slice(fetch);
        }
        if ids.len() == before {
            return ids;
        }
    }
}

async fn insert_ids(shares: std::sync::Arc<Vec<Vec<u64>>>, c: usize) -> Result<u64, BoxError> {
    let mut db = database::connect().await?;
    let full = statement(ROWS_PER_STATEMENT);
    let mut written = 0;
    let ids = shares.get(c).map_or(&[][..], Vec::as_slice);
    for statement_ids in ids.chunks(ROWS_PER_STATEMENT as usize) {
        insert_of(statement_ids.iter().copied(), &full)?
            .execute(&mut db)
            .await?;
        written += statement_ids.len() as u64;
    }
    Ok(written)
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
        insert_of(first..last, &full)?.execute(&mut db).await?;
        written += last - first;
        first += connections * ROWS_PER_STATEMENT;
    }
    Ok(written)
}

/// The INSERT of the orders `ids`, bound; `full` is the text of a whole statement's.
pub fn insert_of(
    ids: impl Iterator<Item = u64> + Clone,
    full: &str,
) -> Result<sqlx::query::Query<'static, sqlx::MySql, sqlx::mysql::MySqlArguments>, BoxError> {
    let rows = ids.clone().count() as u64;
    let text = if rows == ROWS_PER_STATEMENT {
        full.to_owned()
    } else {
        statement(rows)
    };
    let mut query = sqlx::query(AssertSqlSafe(text));
    for i in ids {
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
