//! A small positions table like sluice's `sluice_offsets`, for the transactional W1 writes
//! that store one position with each piece of rows, as sluice's sink does.

pub const POSITIONS_DDL: &str = "CREATE TABLE IF NOT EXISTS bench_offsets (
  pipeline VARCHAR(255) NOT NULL,
  topic VARCHAR(255) NOT NULL,
  `partition` INT NOT NULL,
  next_offset BIGINT NOT NULL,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (pipeline, topic, `partition`)
) ENGINE=InnoDB";

/// Binds: the partition (the connection's number) and the next offset (the piece's end).
pub const UPSERT_POSITION: &str = "INSERT INTO bench_offsets (pipeline, topic, `partition`, \
     next_offset) VALUES ('bench', 'orders', ?, ?) \
     ON DUPLICATE KEY UPDATE next_offset = VALUES(next_offset)";

/// Rows per piece (statement or transaction), as sluice's default statement size.
pub const ROWS_PER_PIECE: u64 = 10_000;

/// The pieces connection `c` of `connections` writes: `c`, `c + connections`, ...
pub fn pieces_of(orders: u64, c: u64, connections: u64) -> impl Iterator<Item = (u64, u64)> {
    (c * ROWS_PER_PIECE..orders)
        .step_by((connections * ROWS_PER_PIECE) as usize)
        .map(move |first| (first, (first + ROWS_PER_PIECE).min(orders)))
}
