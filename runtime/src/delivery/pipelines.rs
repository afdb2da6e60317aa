//! The name a pipeline's offsets, watermarks and dead letters are stored under, and the check
//! that two different pipelines do not share it by accident.

use sqlx::{MySql, Pool};

use crate::error::{Error, Result};

pub(crate) const CREATE_PIPELINES_TABLE: &str = "CREATE TABLE IF NOT EXISTS sluice_pipelines (
  pipeline VARCHAR(255) NOT NULL PRIMARY KEY,
  topic VARCHAR(255) NOT NULL,
  sink_table VARCHAR(255) NOT NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB";

/// The id of a pipeline when `--pipeline-id` does not name one: its function and its sink
/// table, so that pipelines of the same name writing different tables keep apart.
pub(crate) fn default_pipeline_id(name: &str, table: &str) -> String {
    format!("{name}.{table}")
}

/// Records that `pipeline` reads `topic` into `table`, or fails when the id already belongs to
/// a pipeline that reads or writes something else: their offsets and watermarks would mix.
pub(crate) async fn claim(
    pool: &Pool<MySql>,
    pipeline: &str,
    topic: &str,
    table: &str,
) -> Result<()> {
    let error = |e| Error::mysql("sluice_pipelines", e);
    sqlx::query(
        "INSERT IGNORE INTO sluice_pipelines (pipeline, topic, sink_table) VALUES (?, ?, ?)",
    )
    .bind(pipeline)
    .bind(topic)
    .bind(table)
    .execute(pool)
    .await
    .map_err(error)?;
    let (owner_topic, owner_table) = sqlx::query_as::<_, (String, String)>(
        "SELECT topic, sink_table FROM sluice_pipelines WHERE pipeline = ?",
    )
    .bind(pipeline)
    .fetch_one(pool)
    .await
    .map_err(error)?;
    if owner_topic == topic && owner_table == table {
        return Ok(());
    }
    Err(Error::Config(format!(
        "pipeline id `{pipeline}` belongs to a pipeline that reads `{owner_topic}` into \
         `{owner_table}`; this one reads `{topic}` into `{table}`, and sharing the id would mix \
         their offsets. Pass a --pipeline-id of its own (or, if the other pipeline is gone for \
         good, delete its row from sluice_pipelines)"
    )))
}
