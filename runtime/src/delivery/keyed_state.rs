//! `sluice_keyed_state`: the state `map_with_state` keeps per key, stored in the same
//! transactions as the rows it led to, and read back when a run starts.
//!
//! Each stored state carries, per partition, the next offset of the records applied to it. A
//! restart resumes every partition from its stored position, which may be behind a key's
//! state (positions wait for every worker's sink, a key's state only for its own worker's):
//! a record read again below its key's applied offset is already in the state, and the rows
//! it led to were committed with it, so it is skipped.

use sha2::{Digest, Sha256};
use sqlx::{MySql, MySqlConnection, Pool, QueryBuilder};

use crate::error::{Error, Result};

pub(crate) const CREATE_KEYED_STATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS sluice_keyed_state (
  pipeline VARCHAR(255) NOT NULL,
  operator VARCHAR(64) NOT NULL,
  key_digest BINARY(32) NOT NULL,
  key_hash BIGINT UNSIGNED NOT NULL,
  key_json MEDIUMTEXT NOT NULL,
  state_json LONGTEXT NOT NULL,
  applied_json TEXT NOT NULL,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (pipeline, operator, key_digest)
) ENGINE=InnoDB";

/// One key's state as stored: JSON, so that it can be read with MySQL's JSON functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredState {
    /// Which `map_with_state` of the pipeline, in the order the body builds them.
    pub operator: std::sync::Arc<str>,
    /// The key's routing hash: which worker loads it is `key_hash % workers`, any worker will
    /// do, as the restored state goes through the same exchange as the key's records.
    pub key_hash: u64,
    pub key_json: String,
    pub state_json: String,
    /// `(partition, next offset)` of the records applied to the state.
    pub applied: Vec<(i32, i64)>,
}

/// Stores `states` for `pipeline` in the transaction `conn` is in, a later entry for the same
/// key winning.
pub(crate) async fn store_keyed_states(
    conn: &mut MySqlConnection,
    pipeline: &str,
    states: &[StoredState],
) -> std::result::Result<(), sqlx::Error> {
    for range in statements(states) {
        let mut query = QueryBuilder::<MySql>::new(
            "INSERT INTO sluice_keyed_state \
             (pipeline, operator, key_digest, key_hash, key_json, state_json, applied_json) ",
        );
        query.push_values(&states[range], |mut row, state| {
            let applied = serde_json::to_string(&state.applied).unwrap_or_else(|_| "[]".into());
            row.push_bind(pipeline)
                .push_bind(&*state.operator)
                .push_bind(Sha256::digest(state.key_json.as_bytes()).to_vec())
                .push_bind(state.key_hash)
                .push_bind(&state.key_json)
                .push_bind(&state.state_json)
                .push_bind(applied);
        });
        query.push(
            " ON DUPLICATE KEY UPDATE state_json = VALUES(state_json), \
             applied_json = VALUES(applied_json)",
        );
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Rows per statement: at most 64, and at most `STATEMENT_BYTES` of JSON unless one state is
/// larger alone, so that large states stay below the server's `max_allowed_packet`.
fn statements(states: &[StoredState]) -> Vec<std::ops::Range<usize>> {
    const STATEMENT_BYTES: usize = 1 << 20;
    let mut ranges = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (index, state) in states.iter().enumerate() {
        let size = state.key_json.len() + state.state_json.len() + 64;
        if index > start && (index - start == 64 || bytes + size > STATEMENT_BYTES) {
            ranges.push(start..index);
            (start, bytes) = (index, 0);
        }
        bytes += size;
    }
    if start < states.len() {
        ranges.push(start..states.len());
    }
    ranges
}

/// The stored states worker `index` of `workers` loads, of every operator (any worker will do
/// for a key: its state then goes through the key's exchange).
pub(crate) async fn load_keyed_states(
    pool: &Pool<MySql>,
    pipeline: &str,
    (index, workers): (usize, usize),
) -> Result<Vec<StoredState>> {
    let rows: Vec<(String, u64, String, String, String)> = sqlx::query_as(
        "SELECT operator, key_hash, key_json, state_json, applied_json FROM sluice_keyed_state \
         WHERE pipeline = ? AND key_hash % ? = ?",
    )
    .bind(pipeline)
    .bind(workers as u64)
    .bind(index as u64)
    .fetch_all(pool)
    .await
    .map_err(|e| Error::mysql("sluice_keyed_state", e))?;
    rows.into_iter()
        .map(|(operator, key_hash, key_json, state_json, applied)| {
            let applied = serde_json::from_str(&applied).map_err(|e| {
                Error::Config(format!(
                    "sluice_keyed_state: the applied offsets of `{operator}`'s key {key_json} \
                     do not read ({e})"
                ))
            })?;
            Ok(StoredState {
                operator: std::sync::Arc::from(operator),
                key_hash,
                key_json,
                state_json,
                applied,
            })
        })
        .collect()
}

/// Starts `pipeline` anew when it has stored states and the run does not resume from the
/// stored positions (`--from earliest` or `latest`): its states, positions and watermark go in
/// one transaction, so that a run that stops before its first commit leaves no state without
/// the positions it belongs to.
pub(crate) async fn start_anew(pool: &Pool<MySql>, pipeline: &str) -> Result<()> {
    let error = |e| Error::mysql("sluice_keyed_state", e);
    let mut tx = pool.begin().await.map_err(error)?;
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sluice_keyed_state WHERE pipeline = ?")
            .bind(pipeline)
            .fetch_one(&mut *tx)
            .await
            .map_err(error)?;
    if stored == 0 {
        return Ok(());
    }
    for table in [
        "sluice_keyed_state",
        "sluice_offsets",
        "sluice_watermarks",
        "sluice_watermark_offsets",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE pipeline = ?"
        )))
        .bind(pipeline)
        .execute(&mut *tx)
        .await
        .map_err(error)?;
    }
    tx.commit().await.map_err(error)?;
    tracing::info!(
        pipeline,
        "not resuming: stored states and positions forgotten"
    );
    Ok(())
}
