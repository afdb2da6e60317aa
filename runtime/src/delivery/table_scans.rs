//! The key ranges a `MySqlTable` source splits its table into, stored on its first run so
//! that a restart resumes the same ranges (their positions are in `sluice_offsets`, one
//! "partition" per range, the next key to read as its offset).

use sqlx::{MySql, Pool};

use crate::error::{Error, Result};

pub(crate) const CREATE_TABLE_SCANS_TABLE: &str = "CREATE TABLE IF NOT EXISTS sluice_table_scans (
  pipeline VARCHAR(255) NOT NULL,
  source_table VARCHAR(255) NOT NULL,
  range_no INT NOT NULL,
  first_key BIGINT NOT NULL,
  last_key BIGINT NOT NULL,
  PRIMARY KEY (pipeline, source_table, range_no)
) ENGINE=InnoDB";

/// Keys `first..=last` of a table, read by one worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyRange {
    pub number: i32,
    pub first: i64,
    pub last: i64,
}

/// `first..=last` cut into at most `parts` ranges of nearly equal width.
pub(crate) fn split(first: i64, last: i64, parts: usize) -> Vec<KeyRange> {
    let (first_wide, last_wide) = (i128::from(first), i128::from(last));
    let parts = i128::try_from(parts.max(1)).unwrap_or(1);
    let width = ((last_wide - first_wide + 1) + parts - 1) / parts;
    let mut ranges = Vec::new();
    let mut start = first_wide;
    while start <= last_wide {
        let end = (start + width - 1).min(last_wide);
        ranges.push(KeyRange {
            number: i32::try_from(ranges.len()).unwrap_or(i32::MAX),
            first: i64::try_from(start).unwrap_or(i64::MAX),
            last: i64::try_from(end).unwrap_or(i64::MAX),
        });
        start = end + 1;
    }
    ranges
}

fn error(e: sqlx::Error) -> Error {
    Error::mysql("sluice_table_scans", e)
}

pub(crate) async fn load_ranges(
    pool: &Pool<MySql>,
    pipeline: &str,
    table: &str,
) -> Result<Vec<KeyRange>> {
    let rows: Vec<(i32, i64, i64)> = sqlx::query_as(
        "SELECT range_no, first_key, last_key FROM sluice_table_scans \
         WHERE pipeline = ? AND source_table = ? ORDER BY range_no",
    )
    .bind(pipeline)
    .bind(table)
    .fetch_all(pool)
    .await
    .map_err(error)?;
    Ok(rows
        .into_iter()
        .map(|(number, first, last)| KeyRange {
            number,
            first,
            last,
        })
        .collect())
}

/// Replaces the stored ranges of `pipeline` over `table`, and the positions in them.
pub(crate) async fn store_ranges(
    pool: &Pool<MySql>,
    pipeline: &str,
    table: &str,
    ranges: &[KeyRange],
) -> Result<()> {
    let mut transaction = pool.begin().await.map_err(error)?;
    sqlx::query("DELETE FROM sluice_table_scans WHERE pipeline = ? AND source_table = ?")
        .bind(pipeline)
        .bind(table)
        .execute(&mut *transaction)
        .await
        .map_err(error)?;
    sqlx::query("DELETE FROM sluice_offsets WHERE pipeline = ? AND topic = ?")
        .bind(pipeline)
        .bind(table)
        .execute(&mut *transaction)
        .await
        .map_err(|e| Error::mysql("sluice_offsets", e))?;
    for range in ranges {
        sqlx::query(
            "INSERT INTO sluice_table_scans (pipeline, source_table, range_no, first_key, last_key) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(pipeline)
        .bind(table)
        .bind(range.number)
        .bind(range.first)
        .bind(range.last)
        .execute(&mut *transaction)
        .await
        .map_err(error)?;
    }
    transaction.commit().await.map_err(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_every_key_once() {
        let ranges = split(1, 100_000, 3);
        assert_eq!(ranges.len(), 3);
        assert_eq!(ranges[0].first, 1);
        assert_eq!(ranges[2].last, 100_000);
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].last + 1, pair[1].first);
        }
        assert_eq!(
            split(5, 5, 4),
            vec![KeyRange {
                number: 0,
                first: 5,
                last: 5
            }]
        );
        let extreme = split(i64::MIN, i64::MAX, 2);
        assert_eq!((extreme[0].first, extreme[1].last), (i64::MIN, i64::MAX));
    }
}
