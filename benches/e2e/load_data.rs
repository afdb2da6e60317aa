//! W1's rows written with `LOAD DATA LOCAL INFILE`, rendered in memory as the server asks
//! for them (no file): as a ceiling (autocommit, one statement per piece), and inside a
//! transaction with a position upsert, as a bulk path for sluice's sink would be. sqlx 0.9
//! does not answer the server's request for a local file, so this uses `mysql_async`.

use std::fmt::Write as _;

use futures_util::StreamExt;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts};
use sluice_testkit::workload::W1Order;

use super::ceiling::on_connections;
use super::database::{self, BoxError};
use super::positions::{UPSERT_POSITION, pieces_of};

/// Rows per chunk of the stream handed to the server.
const ROWS_PER_CHUNK: u64 = 1_000;

const LOAD: &str = "LOAD DATA LOCAL INFILE 'w1-orders' INTO TABLE orders \
                    (id, customer_id, amount_cents, currency, ts)";

/// Orders `0..orders` on `connections` connections at once, each piece its own statement
/// (`in_transaction == false`) or its own transaction with a position upsert.
pub fn load_all(
    runtime: &tokio::runtime::Runtime,
    orders: u64,
    connections: usize,
    in_transaction: bool,
) -> Result<u64, BoxError> {
    on_connections(runtime, connections, |c, n| {
        load_share(orders, c, n, in_transaction)
    })
}

async fn load_share(
    orders: u64,
    c: u64,
    connections: u64,
    in_transaction: bool,
) -> Result<u64, BoxError> {
    let mut db = Conn::new(Opts::from_url(&database::bench_url())?).await?;
    let mut written = 0;
    for (first, last) in pieces_of(orders, c, connections) {
        db.set_infile_handler(async move {
            let chunks = (first..last)
                .step_by(ROWS_PER_CHUNK as usize)
                .map(move |start| tsv(start, (start + ROWS_PER_CHUNK).min(last)));
            Ok::<_, mysql_async::Error>(futures_util::stream::iter(chunks).boxed())
        });
        if in_transaction {
            db.query_drop("START TRANSACTION").await?;
        }
        db.query_drop(LOAD).await?;
        written += db.affected_rows();
        if in_transaction {
            db.exec_drop(UPSERT_POSITION, (c, last)).await?;
            db.query_drop("COMMIT").await?;
        }
    }
    db.disconnect().await?;
    Ok(written)
}

/// Orders `first..last` as tab-separated lines, LOAD DATA's default format.
fn tsv(first: u64, last: u64) -> std::io::Result<bytes::Bytes> {
    let mut text = String::with_capacity(48 * (last - first) as usize);
    for i in first..last {
        let order = W1Order::nth(i);
        let ts = chrono::DateTime::from_timestamp_millis(order.ts_millis)
            .ok_or_else(|| std::io::Error::other("ts out of range"))?;
        let _ = writeln!(
            text,
            "{}\t{}\t{}\tEUR\t{}",
            order.id,
            order.customer_id,
            order.amount_cents,
            ts.format("%Y-%m-%d %H:%M:%S%.3f")
        );
    }
    Ok(bytes::Bytes::from(text))
}
