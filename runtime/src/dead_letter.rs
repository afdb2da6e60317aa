//! `sluice_dead_letters`: where input that cannot become a row goes, with enough context to
//! find it again (topic, partition, offset) and the raw bytes to replay it.

use sqlx::{MySql, MySqlConnection, QueryBuilder};

/// Why a record was set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeadLetterKind {
    /// The payload could not be decoded into the message struct.
    Decode,
    /// The row made from the message has a value its column cannot hold (too long, out of
    /// range), found before it reached MySQL.
    Convert,
    /// MySQL refused the row (a CHECK or foreign key constraint, a trigger, a duplicate in an
    /// append-only table, a value the server would not take); the rest of its batch was written.
    Constraint,
    /// The record's event time is behind the watermark and every window it belongs to has
    /// closed (beyond the allowed lateness).
    Late,
    /// The record's event time cannot be windowed: it is null, or a window around it would
    /// lie outside the range of milliseconds an `i64` holds.
    EventTime,
    /// The record's event time lies further ahead of the wall clock than `max_future` allows:
    /// it neither joins a window nor moves the watermark.
    Future,
    /// A closure of the pipeline panicked on this record; the panic message is kept.
    Panic,
    /// The Kafka consumer reported an error for this message instead of delivering it.
    Consumer,
}

impl DeadLetterKind {
    /// The value stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadLetterKind::Decode => "decode",
            DeadLetterKind::Convert => "convert",
            DeadLetterKind::Constraint => "constraint",
            DeadLetterKind::Late => "late",
            DeadLetterKind::EventTime => "event_time",
            DeadLetterKind::Future => "future",
            DeadLetterKind::Panic => "panic",
            DeadLetterKind::Consumer => "consumer",
        }
    }
}

/// One record that did not make it into the sink table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Topic the record was read from.
    pub topic: String,
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// The message key, as sent.
    pub key: Option<Vec<u8>>,
    /// The message payload, as sent.
    pub payload: Option<Vec<u8>>,
    /// Why it was set aside.
    pub kind: DeadLetterKind,
    /// A one-line explanation, naming the field where there is one.
    pub message: String,
}

impl DeadLetter {
    /// The dead letter of a record past decoding, named by the message it came from: its bytes
    /// are not kept this far down the pipeline.
    pub(crate) fn of_record(
        topic: &str,
        origin: crate::item::Origin,
        kind: DeadLetterKind,
        message: String,
    ) -> Self {
        DeadLetter {
            topic: topic.to_owned(),
            partition: origin.partition,
            offset: origin.offset,
            key: None,
            payload: None,
            kind,
            message,
        }
    }
}

#[cfg(test)]
impl DeadLetter {
    pub(crate) fn for_test(offset: i64) -> Self {
        DeadLetter {
            topic: "t".into(),
            partition: 0,
            offset,
            key: None,
            payload: Some(b"{".to_vec()),
            kind: DeadLetterKind::Decode,
            message: "invalid JSON".into(),
        }
    }
}

pub(crate) const CREATE_DEAD_LETTERS_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS sluice_dead_letters (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  pipeline VARCHAR(255) NOT NULL,
  topic VARCHAR(255) NOT NULL,
  `partition` INT NOT NULL,
  `offset` BIGINT NOT NULL,
  kind VARCHAR(32) NOT NULL,
  message TEXT NOT NULL,
  `key` BLOB NULL,
  payload LONGBLOB NULL,
  created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY sluice_dead_letters_source (pipeline, topic, `partition`, `offset`, kind)
) ENGINE=InnoDB";

/// Inserts `letters` inside the caller's transaction. A replayed record replaces its earlier
/// entry, so each source offset appears once per kind.
pub(crate) async fn store_dead_letters(
    conn: &mut MySqlConnection,
    pipeline: &str,
    letters: &[DeadLetter],
) -> std::result::Result<(), sqlx::Error> {
    // 8 placeholders per row: far below MySQL's 65,535. Few distinct sizes: see chunks.rs.
    for range in crate::sink::statement_ranges(0..letters.len(), 512) {
        let chunk = &letters[range];
        let mut query = QueryBuilder::<MySql>::new(
            "INSERT INTO sluice_dead_letters (pipeline, topic, `partition`, `offset`, kind, message, `key`, payload) ",
        );
        query.push_values(chunk, |mut row, letter| {
            row.push_bind(pipeline)
                .push_bind(&letter.topic)
                .push_bind(letter.partition)
                .push_bind(letter.offset)
                .push_bind(letter.kind.as_str())
                .push_bind(&letter.message)
                .push_bind(letter.key.as_deref())
                .push_bind(letter.payload.as_deref());
        });
        query.push(
            " ON DUPLICATE KEY UPDATE message = VALUES(message), `key` = VALUES(`key`), payload = VALUES(payload)",
        );
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}
