//! `sluice_offsets`, `sluice_watermarks` and `sluice_watermark_offsets`: where a pipeline's
//! positions and its windows' progress are stored with each commit, and read back at start-up.

use sqlx::{MySql, MySqlConnection, Pool, QueryBuilder};

use super::{Commit, OffsetUpdate};
use crate::error::{Error, Result};

pub(crate) const CREATE_OFFSETS_TABLE: &str = "CREATE TABLE IF NOT EXISTS sluice_offsets (
  pipeline VARCHAR(255) NOT NULL,
  topic VARCHAR(255) NOT NULL,
  `partition` INT NOT NULL,
  next_offset BIGINT NOT NULL,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (pipeline, topic, `partition`)
) ENGINE=InnoDB";

pub(crate) const CREATE_WATERMARKS_TABLE: &str = "CREATE TABLE IF NOT EXISTS sluice_watermarks (
  pipeline VARCHAR(255) NOT NULL PRIMARY KEY,
  watermark BIGINT NOT NULL,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB";

/// The event-time watermark stored by an earlier run's windows, if any.
pub(crate) async fn load_watermark(pool: &Pool<MySql>, pipeline: &str) -> Result<Option<i64>> {
    sqlx::query_scalar::<_, i64>("SELECT watermark FROM sluice_watermarks WHERE pipeline = ?")
        .bind(pipeline)
        .fetch_optional(pool)
        .await
        .map_err(|e| Error::mysql("sluice_watermarks", e))
}

pub(crate) const CREATE_WATERMARK_OFFSETS_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS sluice_watermark_offsets (
  pipeline VARCHAR(255) NOT NULL,
  topic VARCHAR(255) NOT NULL,
  `partition` INT NOT NULL,
  read_until BIGINT NOT NULL,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (pipeline, topic, `partition`)
) ENGINE=InnoDB";

/// Raises the stored watermark, and the positions read when it was reached, inside the
/// caller's transaction. Workers commit different epochs; the largest is right, since every
/// worker's rows before it are durable.
pub(crate) async fn store_watermark(
    conn: &mut MySqlConnection,
    pipeline: &str,
    commit: &Commit,
) -> std::result::Result<(), sqlx::Error> {
    let Some(watermark) = commit.watermark else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO sluice_watermarks (pipeline, watermark) VALUES (?, ?) \
         ON DUPLICATE KEY UPDATE watermark = GREATEST(watermark, VALUES(watermark))",
    )
    .bind(pipeline)
    .bind(watermark)
    .execute(&mut *conn)
    .await?;
    for range in crate::sink::statement_ranges(0..commit.read_until.len(), 64) {
        let mut query = QueryBuilder::<MySql>::new(
            "INSERT INTO sluice_watermark_offsets (pipeline, topic, `partition`, read_until) ",
        );
        query.push_values(&commit.read_until[range], |mut row, update| {
            row.push_bind(pipeline)
                .push_bind(&*update.topic)
                .push_bind(update.partition)
                .push_bind(update.next_offset);
        });
        query
            .push(" ON DUPLICATE KEY UPDATE read_until = GREATEST(read_until, VALUES(read_until))");
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// How far each partition of `topic` had been read when the stored watermark was reached.
pub(crate) async fn load_read_until(
    pool: &Pool<MySql>,
    pipeline: &str,
    topic: &str,
) -> Result<Vec<(i32, i64)>> {
    sqlx::query_as::<_, (i32, i64)>(
        "SELECT `partition`, read_until FROM sluice_watermark_offsets WHERE pipeline = ? AND topic = ?",
    )
    .bind(pipeline)
    .bind(topic)
    .fetch_all(pool)
    .await
    .map_err(|e| Error::mysql("sluice_watermark_offsets", e))
}

/// The stored next offset of each partition of `topic` for `pipeline`.
pub(crate) async fn load_offsets(
    pool: &Pool<MySql>,
    pipeline: &str,
    topic: &str,
) -> Result<Vec<(i32, i64)>> {
    sqlx::query_as::<_, (i32, i64)>(
        "SELECT `partition`, next_offset FROM sluice_offsets WHERE pipeline = ? AND topic = ?",
    )
    .bind(pipeline)
    .bind(topic)
    .fetch_all(pool)
    .await
    .map_err(|e| Error::mysql("sluice_offsets", e))
}

/// Upserts `offsets` inside the caller's transaction.
pub(crate) async fn store_offsets(
    conn: &mut MySqlConnection,
    pipeline: &str,
    offsets: &[OffsetUpdate],
) -> std::result::Result<(), sqlx::Error> {
    // Few distinct statement sizes, each prepared once per connection: see chunks.rs.
    for range in crate::sink::statement_ranges(0..offsets.len(), 64) {
        let mut query = QueryBuilder::<MySql>::new(
            "INSERT INTO sluice_offsets (pipeline, topic, `partition`, next_offset) ",
        );
        query.push_values(&offsets[range], |mut row, update| {
            row.push_bind(pipeline)
                .push_bind(&*update.topic)
                .push_bind(update.partition)
                .push_bind(update.next_offset);
        });
        query.push(" ON DUPLICATE KEY UPDATE next_offset = VALUES(next_offset)");
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}
