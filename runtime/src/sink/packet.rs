//! How many bytes one statement may carry: the server's `max_allowed_packet`.
//!
//! A statement is one packet (`COM_STMT_EXECUTE` with every bound value), and the server
//! refuses a packet larger than `max_allowed_packet` with error 1153, then closes the
//! connection: the transaction is lost. So statements are cut by bytes as well as by rows, and
//! an item too large to be sent even alone is set aside before it is sent.

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::MySqlConnection;

use super::isolate::database_number;

/// "Got a packet bigger than 'max_allowed_packet' bytes": the server closed the connection.
pub(crate) const PACKET_TOO_LARGE: u16 = 1153;

/// Room left in a packet for what is not a bound value: the command, statement id, flags,
/// the null bitmap and type list of a statement's first row.
const PACKET_OVERHEAD: usize = 1024;

/// Per bound value, besides the value: its type (2 bytes) and its bit in the null bitmap.
pub(crate) const PER_VALUE: usize = 3;

/// The server's `max_allowed_packet`, read once for the pool and again after a connection
/// was lost (the server may have been restarted with another value) or a statement was
/// refused as too large.
#[derive(Debug, Default)]
pub(crate) struct ServerPacket {
    /// 0 while unknown.
    bytes: AtomicUsize,
}

impl ServerPacket {
    /// The value, read on `conn` if not known yet.
    pub async fn get(&self, conn: &mut MySqlConnection) -> Result<usize, sqlx::Error> {
        let known = self.bytes.load(Ordering::Relaxed);
        if known > 0 {
            return Ok(known);
        }
        let value: u64 = sqlx::query_scalar("SELECT CAST(@@max_allowed_packet AS UNSIGNED)")
            .fetch_one(&mut *conn)
            .await?;
        let value = usize::try_from(value).unwrap_or(usize::MAX).max(1);
        self.bytes.store(value, Ordering::Relaxed);
        Ok(value)
    }

    /// Reads the value again before the next transaction.
    pub fn forget(&self) {
        self.bytes.store(0, Ordering::Relaxed);
    }
}

/// The byte limit of the statements of one attempt at a transaction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Packet {
    /// The server's `max_allowed_packet`, for messages.
    pub max_allowed_packet: usize,
    /// What a statement's bound values may take.
    pub statement_bytes: usize,
    /// The estimated size of the last statement sent: the one an error is about.
    pub last_sent: usize,
}

impl Packet {
    /// Statements below `max_allowed_packet`, and below `cap` (see [`lower_cap`]).
    pub fn new(max_allowed_packet: usize, cap: usize) -> Packet {
        let overhead = PACKET_OVERHEAD.min(max_allowed_packet / 2);
        Packet {
            max_allowed_packet,
            statement_bytes: (max_allowed_packet - overhead).min(cap),
            last_sent: 0,
        }
    }

    /// Whether an item of `bytes` is too large to be sent, even alone.
    pub fn too_large(&self, bytes: usize) -> bool {
        bytes > self.statement_bytes
    }

    /// The dead-letter reason of an item too large to be sent.
    pub fn too_large_reason(&self, bytes: usize) -> String {
        let lowered = self.statement_bytes + PACKET_OVERHEAD < self.max_allowed_packet;
        format!(
            "it takes about {bytes} bytes in a statement, more than the {} a statement may carry \
             under the server's max_allowed_packet ({} bytes){}",
            self.statement_bytes,
            self.max_allowed_packet,
            if lowered {
                " once the server had refused a larger statement"
            } else {
                ""
            }
        )
    }
}

/// Whether the server refused a statement as larger than `max_allowed_packet`.
pub(crate) fn is_packet_too_large(error: &sqlx::Error) -> bool {
    database_number(error) == Some(PACKET_TOO_LARGE)
}

/// After the server refused a statement of `last_sent` bytes under a limit of `cap`, the
/// limit for the next attempt: half as much, so that a transaction tried again cannot fail
/// the same way forever (items above the limit are set aside). `None` when nothing smaller
/// is worth sending: the server's limit is not what it reports.
pub(crate) fn lower_cap(cap: usize, last_sent: usize) -> Option<usize> {
    let lower = cap.min(last_sent) / 2;
    (lower >= MIN_CAP).then_some(lower)
}

/// Below this, no statement sluice sends can be made small enough.
const MIN_CAP: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_leave_room_for_the_packet_header() {
        let packet = Packet::new(16 << 20, usize::MAX);
        assert_eq!(packet.statement_bytes, (16 << 20) - 1024);
        assert!(!packet.too_large((16 << 20) - 1024));
        assert!(packet.too_large((16 << 20) - 1023));
        // A tiny packet keeps half of itself for values.
        assert_eq!(Packet::new(1024, usize::MAX).statement_bytes, 512);
        // A cap from an earlier refusal wins over the server's value.
        assert_eq!(Packet::new(16 << 20, 4096).statement_bytes, 4096);
    }

    #[test]
    fn a_refused_statement_halves_the_limit_down_to_a_floor() {
        assert_eq!(lower_cap(usize::MAX, 1 << 20), Some(1 << 19));
        assert_eq!(lower_cap(1000, 4000), Some(500));
        assert_eq!(lower_cap(usize::MAX, 128), Some(64));
        assert_eq!(lower_cap(usize::MAX, 127), None);
        assert_eq!(lower_cap(usize::MAX, 0), None);
        // Repeated refusals end: the limit halves at every one.
        let mut cap = usize::MAX;
        let mut refusals = 0;
        while let Some(lower) = lower_cap(cap, 300) {
            cap = lower;
            refusals += 1;
        }
        assert_eq!(refusals, 2);
    }
}
