//! `sluice_message_ids`: the ids of queue messages whose rows are committed but whose
//! acknowledgement the broker may not have processed yet. A queue without positions (a
//! RabbitMQ classic or quorum queue) delivers such a message again after a crash or a lost
//! connection, marked as redelivered; its id found here means its rows are already written.
//!
//! Each id is stored in the transaction that writes its message's rows, with the message's
//! position (`partition` = worker), and deleted a minute after the broker has confirmed its
//! acknowledgement: the message is then gone from the queue. Ids a run leaves behind (a crash,
//! the last minute of a run) are deleted by a later run once they are `RETENTION` old.

use std::collections::HashSet;
use std::sync::Arc;

use sqlx::{Acquire, MySql, MySqlConnection, Pool, QueryBuilder};

use crate::error::{Error, Result};

pub(crate) const CREATE_MESSAGE_IDS_TABLE: &str = "CREATE TABLE IF NOT EXISTS sluice_message_ids (
  pipeline VARCHAR(255) NOT NULL,
  input VARCHAR(255) NOT NULL,
  message_id VARBINARY(255) NOT NULL,
  `partition` INT NOT NULL,
  position BIGINT NOT NULL,
  committed_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (pipeline, input, message_id)
) ENGINE=InnoDB";

/// One message read, by id, at its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClaimedId {
    pub input: Arc<str>,
    pub partition: i32,
    pub position: i64,
    pub id: Vec<u8>,
}

/// How long an id left behind is kept: a message committed and not acknowledged, delivered
/// again after this long, would be written again.
pub(crate) const RETENTION_DAYS: u32 = 7;

/// Ids per statement: an id is at most 255 bytes, a row under 1 KiB with the names.
const IDS_PER_STATEMENT: usize = 512;

/// Stores `claimed` inside the caller's transaction. An id stored again (a redelivered
/// message) moves to its latest position.
pub(crate) async fn store_message_ids(
    conn: &mut MySqlConnection,
    pipeline: &str,
    claimed: &[ClaimedId],
) -> std::result::Result<(), sqlx::Error> {
    for range in crate::sink::statement_ranges(0..claimed.len(), IDS_PER_STATEMENT) {
        let mut query = QueryBuilder::<MySql>::new(
            "INSERT INTO sluice_message_ids (pipeline, input, message_id, `partition`, position) ",
        );
        query.push_values(&claimed[range], |mut row, claim| {
            row.push_bind(pipeline)
                .push_bind(&*claim.input)
                .push_bind(&claim.id)
                .push_bind(claim.partition)
                .push_bind(claim.position);
        });
        query.push(
            " ON DUPLICATE KEY UPDATE `partition` = VALUES(`partition`), \
             position = VALUES(position)",
        );
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// `verb FROM sluice_message_ids` for the rows of `ids` of `input`.
fn of_ids(
    verb: &str,
    pipeline: &str,
    input: &str,
    ids: &[impl AsRef<[u8]>],
) -> QueryBuilder<MySql> {
    let mut query = QueryBuilder::<MySql>::new(verb);
    query.push(" FROM sluice_message_ids WHERE pipeline = ");
    query.push_bind(pipeline);
    query.push(" AND input = ");
    query.push_bind(input);
    query.push(" AND message_id IN (");
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(id.as_ref());
    }
    query.push(")");
    query
}

/// Which of `ids` are stored for `input`: messages whose rows are committed.
pub(crate) async fn committed_ids(
    pool: &Pool<MySql>,
    pipeline: &str,
    input: &str,
    ids: &[&[u8]],
) -> Result<HashSet<Vec<u8>>> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut query = of_ids("SELECT message_id", pipeline, input, chunk);
        let rows: Vec<(Vec<u8>,)> = query
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(|e| Error::mysql("sluice_message_ids", e))?;
        found.extend(rows.into_iter().map(|(id,)| id));
    }
    Ok(found)
}

/// Forgets `ids` of `input`: their messages' acknowledgements are confirmed. Read committed,
/// so that the deletes lock the rows they delete and no gap beside them, where the sinks'
/// transactions insert.
pub(crate) async fn forget_ids(
    pool: &Pool<MySql>,
    pipeline: &str,
    input: &str,
    ids: &[Vec<u8>],
) -> Result<()> {
    let error = |e| Error::mysql("sluice_message_ids", e);
    let mut conn = pool.acquire().await.map_err(error)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        .execute(&mut *conn)
        .await
        .map_err(error)?;
    let mut tx = conn.begin().await.map_err(error)?;
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut query = of_ids("DELETE", pipeline, input, chunk);
        query.build().execute(&mut *tx).await.map_err(error)?;
    }
    tx.commit().await.map_err(error)
}

/// Deletes the ids of `input` older than [`RETENTION_DAYS`].
pub(crate) async fn purge_old_ids(pool: &Pool<MySql>, pipeline: &str, input: &str) -> Result<()> {
    sqlx::query(
        "DELETE FROM sluice_message_ids WHERE pipeline = ? AND input = ? \
         AND committed_at < NOW(3) - INTERVAL ? DAY",
    )
    .bind(pipeline)
    .bind(input)
    .bind(RETENTION_DAYS)
    .execute(pool)
    .await
    .map_err(|e| Error::mysql("sluice_message_ids", e))?;
    Ok(())
}
