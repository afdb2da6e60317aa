//! `sluice_dead_letters`: the table, how dead letters are written to it inside a sink's
//! transaction (sized by bytes against `max_allowed_packet`, a letter the table refuses stored
//! in a minimal form), and how a table made by an older sluice gets the columns it lacks.

use std::ops::Range;

use sqlx::{MySql, MySqlConnection, Pool, QueryBuilder};

use crate::dead_letter::{CappedBytes, DeadLetter, MESSAGE_CAP};
use crate::sink::packet::{PER_VALUE, Packet};
use crate::sink::{Sizes, Statements, byte_ranges, power_of_two_at_most, write_isolating};

/// What is left of a message in the minimal form of a dead letter the table refused.
const MINIMAL_MESSAGE_CAP: usize = 512;
/// What is left of the refusal's reason in that form.
const MINIMAL_REASON_CAP: usize = 256;

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
  key_length BIGINT UNSIGNED NULL,
  key_sha256 CHAR(64) CHARACTER SET ascii NULL,
  payload_length BIGINT UNSIGNED NULL,
  payload_sha256 CHAR(64) CHARACTER SET ascii NULL,
  UNIQUE KEY sluice_dead_letters_source (pipeline, topic, `partition`, `offset`, kind)
) ENGINE=InnoDB";

/// The columns added since the table's first version, with their definitions: a table made by
/// an older sluice gets them at start-up (at the end; they are always named when written).
const ADDED_COLUMNS: [(&str, &str); 4] = [
    ("key_length", "BIGINT UNSIGNED NULL"),
    ("key_sha256", "CHAR(64) CHARACTER SET ascii NULL"),
    ("payload_length", "BIGINT UNSIGNED NULL"),
    ("payload_sha256", "CHAR(64) CHARACTER SET ascii NULL"),
];

/// MySQL's "Duplicate column name": another job added the column meanwhile.
const DUPLICATE_COLUMN: u16 = 1060;

/// Creates `sluice_dead_letters`, or adds to a table of an older version the columns it lacks.
pub(crate) async fn prepare_dead_letters_table(pool: &Pool<MySql>) -> Result<(), sqlx::Error> {
    sqlx::query(CREATE_DEAD_LETTERS_TABLE).execute(pool).await?;
    let present: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sluice_dead_letters'",
    )
    .fetch_all(pool)
    .await?;
    for (column, definition) in ADDED_COLUMNS {
        if present.iter().any(|p| p.eq_ignore_ascii_case(column)) {
            continue;
        }
        tracing::info!(column, "adding a column to sluice_dead_letters");
        let alter = format!("ALTER TABLE sluice_dead_letters ADD COLUMN {column} {definition}");
        match sqlx::query(sqlx::AssertSqlSafe(alter)).execute(pool).await {
            Ok(_) => {}
            Err(error) if crate::sink::database_number(&error) == Some(DUPLICATE_COLUMN) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// At most this many letters go in one statement (12 placeholders each).
const LETTERS_PER_STATEMENT: usize = 512;

/// The placeholders of one letter in the statement text, with the separator.
const LETTER_TEXT_LEN: usize = 40;

/// Inserts `letters` inside the caller's transaction, in statements that fit `packet`. A
/// replayed record replaces its earlier entry, so each source offset appears once per kind.
///
/// A letter the table refuses (a value a column cannot hold) or too large for a statement even
/// alone is stored in a minimal form, without key and payload, with the reason in its message:
/// a dead letter never stops the job. Returns how many were stored that way.
pub(crate) async fn store_dead_letters(
    conn: &mut MySqlConnection,
    pipeline: &str,
    letters: &[DeadLetter],
    packet: &mut Packet,
) -> Result<usize, sqlx::Error> {
    if letters.is_empty() {
        return Ok(0);
    }
    let sizes = Sizes::new(letters.iter().map(|letter| stored_len(pipeline, letter)));
    let by_text = packet.statement_bytes / LETTER_TEXT_LEN;
    let full = if by_text >= LETTERS_PER_STATEMENT {
        LETTERS_PER_STATEMENT
    } else {
        power_of_two_at_most(by_text)
    };
    let ranges = byte_ranges(0..letters.len(), full, packet.statement_bytes, &sizes);
    let mut whole = LetterStatements {
        pipeline,
        letters,
        minimal: None,
    };
    let refused = write_isolating(conn, &mut whole, ranges, &sizes, packet).await?;
    for refusal in &refused {
        tracing::warn!(
            offset = letters[refusal.index].offset,
            partition = letters[refusal.index].partition,
            "dead letter stored without key and payload: {}",
            refusal.reason
        );
        let mut minimal = LetterStatements {
            pipeline,
            letters,
            minimal: Some(&refusal.reason),
        };
        let index = refusal.index;
        minimal.execute(conn, index..index + 1).await?;
    }
    Ok(refused.len())
}

/// The bytes a letter's values take in a statement.
fn stored_len(pipeline: &str, letter: &DeadLetter) -> usize {
    const LENGTH_PREFIX: usize = 9;
    const VALUES: usize = 12;
    let bytes = |b: &Option<CappedBytes>| b.as_ref().map_or(0, |b| b.kept.len() + 8 + 64);
    pipeline.len()
        + letter.topic.len()
        + 4
        + 8
        + letter.kind.as_str().len()
        + capped_message(&letter.message).len()
        + bytes(&letter.key)
        + bytes(&letter.payload)
        + VALUES * (PER_VALUE + LENGTH_PREFIX)
}

/// `message` cut to [`MESSAGE_CAP`] bytes at a character boundary.
fn capped_message(message: &str) -> &str {
    cut(message, MESSAGE_CAP)
}

fn cut(text: &str, cap: usize) -> &str {
    if text.len() <= cap {
        return text;
    }
    let mut end = cap;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The message of a letter stored without its bytes: ASCII only (so that no column charset
/// can refuse it) and short.
fn minimal_message(message: &str, reason: &str) -> String {
    let text = format!(
        "{} [stored without key and payload: {}]",
        cut(message, MINIMAL_MESSAGE_CAP),
        cut(reason, MINIMAL_REASON_CAP)
    );
    text.chars()
        .flat_map(|c| {
            let plain = c.is_ascii() && !c.is_ascii_control();
            let escaped = (!plain).then(|| c.escape_unicode());
            plain
                .then_some(c)
                .into_iter()
                .chain(escaped.into_iter().flatten())
        })
        .collect()
}

/// The dead letters of a batch, written in statements of a range each: whole, or (with the
/// reason they were refused) without key and payload.
struct LetterStatements<'a> {
    pipeline: &'a str,
    letters: &'a [DeadLetter],
    minimal: Option<&'a str>,
}

impl<'a> Statements for LetterStatements<'a> {
    async fn execute(
        &mut self,
        conn: &mut MySqlConnection,
        range: Range<usize>,
    ) -> Result<(), sqlx::Error> {
        let chunk = &self.letters[range];
        let minimal = self.minimal;
        let mut query = QueryBuilder::<MySql>::new(
            "INSERT INTO sluice_dead_letters (pipeline, topic, `partition`, `offset`, kind, \
             message, `key`, key_length, key_sha256, payload, payload_length, payload_sha256) ",
        );
        query.push_values(chunk, |mut row, letter| {
            let kept = |b: &'a Option<CappedBytes>| match minimal {
                None => b.as_ref().map(|b| b.kept.as_slice()),
                Some(_) => None,
            };
            let message = match minimal {
                None => std::borrow::Cow::Borrowed(capped_message(&letter.message)),
                Some(reason) => std::borrow::Cow::Owned(minimal_message(&letter.message, reason)),
            };
            row.push_bind(self.pipeline)
                .push_bind(&letter.topic)
                .push_bind(letter.partition)
                .push_bind(letter.offset)
                .push_bind(letter.kind.as_str())
                .push_bind(message.as_ref())
                .push_bind(kept(&letter.key))
                .push_bind(letter.key.as_ref().map(|k| k.length))
                .push_bind(letter.key.as_ref().map(CappedBytes::sha256_hex))
                .push_bind(kept(&letter.payload))
                .push_bind(letter.payload.as_ref().map(|p| p.length))
                .push_bind(letter.payload.as_ref().map(CappedBytes::sha256_hex));
        });
        query.push(
            " ON DUPLICATE KEY UPDATE message = VALUES(message), `key` = VALUES(`key`), \
             key_length = VALUES(key_length), key_sha256 = VALUES(key_sha256), \
             payload = VALUES(payload), payload_length = VALUES(payload_length), \
             payload_sha256 = VALUES(payload_sha256)",
        );
        query.build().execute(&mut *conn).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dead_letter::{KEY_CAP, PAYLOAD_CAP};

    #[test]
    fn messages_are_cut_at_a_character_boundary() {
        let long = "é".repeat(MESSAGE_CAP);
        let stored = capped_message(&long);
        assert_eq!(stored.len(), MESSAGE_CAP);
        assert_eq!(capped_message("short"), "short");
        let odd = format!("a{long}");
        assert_eq!(capped_message(&odd).len(), MESSAGE_CAP - 1);
    }

    #[test]
    fn a_minimal_message_is_short_ascii() {
        let message = minimal_message(&"ü".repeat(10_000), "Data too long for column 'topic'");
        assert!(message.is_ascii());
        assert!(message.len() < 4 * 1024, "{}", message.len());
        assert!(message.starts_with("\\u{fc}\\u{fc}"), "{message}");
        assert!(
            message.ends_with("[stored without key and payload: Data too long for column 'topic']")
        );
    }

    #[test]
    fn a_letter_of_a_huge_message_fits_a_small_packet() {
        let mut letter = DeadLetter::for_test(1);
        letter.payload = Some(CappedBytes::payload(&vec![b'{'; 8 << 20]));
        letter.key = Some(CappedBytes::key(&vec![b'k'; 1 << 20]));
        letter.message = "m".repeat(1 << 20);
        let len = stored_len("pipeline", &letter);
        assert!(len < PAYLOAD_CAP + KEY_CAP + MESSAGE_CAP + 1024, "{len}");
    }
}
