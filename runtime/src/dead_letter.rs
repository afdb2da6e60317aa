//! `sluice_dead_letters`: where input that cannot become a row goes, with enough context to
//! find it again (topic, partition, offset) and the raw bytes to replay it.
//!
//! A message can be as large as the broker allows (megabytes), and an epoch can set hundreds
//! of them aside: what is stored of each is capped, so that a dead letter always fits in a
//! statement and memory holds no more than the caps until the epoch commits. The original's
//! length and SHA-256 are kept beside the stored bytes: `payload_length = LENGTH(payload)`
//! says the payload is whole, and `SHA2(x, 256) = payload_sha256` (or `sha256sum`) recognises
//! the original when it is read again from the topic.

use sha2::{Digest, Sha256};

/// The most bytes of a payload stored: 64 KiB show what was wrong with a message (a decode
/// error names a field, usually near the start) and a statement of the default 16 MiB
/// `max_allowed_packet` still carries some 250 such letters. The rest of a larger message stays
/// in Kafka at its topic, partition and offset for as long as the topic's retention keeps it.
pub const PAYLOAD_CAP: usize = 64 * 1024;

/// The most bytes of a key stored: 1 KiB holds any identifier (UUIDs, composite keys) a key
/// is meant to carry; a larger key is itself a sign of a producer bug, recognisable by its
/// length and hash.
pub const KEY_CAP: usize = 1024;

/// The most bytes of a `message` stored (cut at a character boundary): 4 KiB hold any
/// explanation sluice or MySQL gives, and stay far below what `TEXT` holds in any charset.
pub const MESSAGE_CAP: usize = 4 * 1024;

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
    /// A lookup found no row for the record's key, and the lookup sends such records here
    /// ([`OnMissing::DeadLetter`](crate::OnMissing::DeadLetter)).
    Lookup,
}

impl DeadLetterKind {
    /// Every kind, in declaration order.
    pub(crate) const ALL: [DeadLetterKind; 8] = [
        DeadLetterKind::Decode,
        DeadLetterKind::Convert,
        DeadLetterKind::Constraint,
        DeadLetterKind::Late,
        DeadLetterKind::EventTime,
        DeadLetterKind::Future,
        DeadLetterKind::Panic,
        DeadLetterKind::Lookup,
    ];

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
            DeadLetterKind::Lookup => "lookup",
        }
    }
}

/// The bytes of a key or payload as stored: the first bytes up to a cap, with the length and
/// SHA-256 of the whole.
#[derive(Clone, PartialEq, Eq)]
pub struct CappedBytes {
    /// The first `min(length, cap)` bytes of the original.
    pub kept: Vec<u8>,
    /// The original's length in bytes.
    pub length: u64,
    /// The SHA-256 of the whole original.
    pub sha256: [u8; 32],
}

impl CappedBytes {
    /// Keeps the first `cap` bytes of `original`, its length and its hash.
    pub fn new(original: &[u8], cap: usize) -> CappedBytes {
        CappedBytes {
            kept: original[..original.len().min(cap)].to_vec(),
            length: original.len() as u64,
            sha256: Sha256::digest(original).into(),
        }
    }

    /// A message key, capped at [`KEY_CAP`].
    pub fn key(original: &[u8]) -> CappedBytes {
        CappedBytes::new(original, KEY_CAP)
    }

    /// A message payload, capped at [`PAYLOAD_CAP`].
    pub fn payload(original: &[u8]) -> CappedBytes {
        CappedBytes::new(original, PAYLOAD_CAP)
    }

    /// Whether `kept` is all of the original.
    pub fn is_whole(&self) -> bool {
        self.kept.len() as u64 == self.length
    }

    /// The hash as 64 lowercase hex digits, as `sha256sum` and MySQL's `SHA2(x, 256)` print it.
    pub fn sha256_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(64);
        for byte in self.sha256 {
            hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
            hex.push(char::from(DIGITS[usize::from(byte & 0xf)]));
        }
        hex
    }
}

impl std::fmt::Debug for CappedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CappedBytes")
            .field(
                "kept",
                &String::from_utf8_lossy(&self.kept[..self.kept.len().min(64)]),
            )
            .field("length", &self.length)
            .field("sha256", &self.sha256_hex())
            .finish()
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
    /// The message key, as sent (capped at [`KEY_CAP`]).
    pub key: Option<CappedBytes>,
    /// The message payload, as sent (capped at [`PAYLOAD_CAP`]).
    pub payload: Option<CappedBytes>,
    /// Why it was set aside.
    pub kind: DeadLetterKind,
    /// A one-line explanation, naming the field where there is one (stored up to
    /// [`MESSAGE_CAP`]).
    pub message: String,
}

impl DeadLetter {
    /// The dead letter of a record past decoding, named by the message it came from: its bytes
    /// are not kept this far down the pipeline.
    pub(crate) fn of_record(
        topic: &str,
        origin: crate::dataflow::item::Origin,
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

/// Dead letters of a run with no output that stores them: logged, one warning each.
pub(crate) fn log_unstored(letters: &[DeadLetter]) {
    crate::run::observe::dead_letters(letters);
    for letter in letters {
        tracing::warn!(
            topic = %letter.topic,
            partition = letter.partition,
            offset = letter.offset,
            kind = letter.kind.as_str(),
            "dead letter (not stored: no output stores them): {}",
            letter.message
        );
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
            payload: Some(CappedBytes::payload(b"{")),
            kind: DeadLetterKind::Decode,
            message: "invalid JSON".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_bytes_keep_their_start_length_and_hash() {
        let original = vec![b'x'; 3 << 20];
        let capped = CappedBytes::payload(&original);
        assert_eq!(capped.kept.len(), PAYLOAD_CAP);
        assert_eq!(capped.length, 3 << 20);
        assert!(!capped.is_whole());
        let small = CappedBytes::key(b"abc");
        assert!(small.is_whole());
        // `printf abc | sha256sum`
        assert_eq!(
            small.sha256_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
