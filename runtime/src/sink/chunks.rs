//! Which row counts a statement may have. Every statement the sink sends is prepared once per
//! connection and kept: sqlx 0.9 leaves Nagle's algorithm on, and closing a prepared statement
//! (a packet without a reply) delays the next command by the server's delayed ACK, 40 ms.
//! So batches are cut into a few fixed sizes: whole statements, then powers of two.

use std::ops::Range;

/// `range` cut into pieces of `full` rows, then the rest in powers of two, largest first.
pub(crate) fn statement_ranges(range: Range<usize>, full: usize) -> Vec<Range<usize>> {
    let full = full.max(1);
    let mut pieces = Vec::new();
    let mut start = range.start;
    while range.end - start >= full {
        pieces.push(start..start + full);
        start += full;
    }
    while start < range.end {
        let size = 1 << (usize::BITS - 1 - (range.end - start).leading_zeros());
        pieces.push(start..start + size);
        start += size;
    }
    pieces
}

/// How a statement MySQL refused is split to find the refused rows: a power of two in halves,
/// anything else in powers of two.
pub(crate) fn split_refused(range: Range<usize>) -> Vec<Range<usize>> {
    let len = range.len();
    if len.is_power_of_two() {
        let middle = range.start + len / 2;
        vec![range.start..middle, middle..range.end]
    } else {
        statement_ranges(range, usize::MAX)
    }
}

/// Every row count [`statement_ranges`] and [`split_refused`] can produce below `full`.
pub(crate) fn sizes_below(full: usize) -> impl Iterator<Item = usize> {
    (0..usize::BITS)
        .map(|bit| 1usize << bit)
        .take_while(move |size| *size < full)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lens(pieces: &[Range<usize>]) -> Vec<usize> {
        pieces.iter().map(Range::len).collect()
    }

    #[test]
    fn whole_statements_then_powers_of_two() {
        let pieces = statement_ranges(0..23_737, 10_000);
        assert_eq!(
            lens(&pieces),
            vec![10_000, 10_000, 2048, 1024, 512, 128, 16, 8, 1]
        );
        assert_eq!(pieces.first().map(|r| r.start), Some(0));
        assert_eq!(pieces.last().map(|r| r.end), Some(23_737));
        assert!(pieces.windows(2).all(|w| w[0].end == w[1].start));
    }

    #[test]
    fn refused_statements_split_into_known_sizes() {
        assert_eq!(
            lens(&split_refused(0..10_000)),
            vec![8192, 1024, 512, 256, 16]
        );
        assert_eq!(split_refused(8..16), vec![8..12, 12..16]);
        let known: Vec<usize> = sizes_below(10_000).chain([10_000]).collect();
        let mut todo = split_refused(0..10_000);
        while let Some(range) = todo.pop() {
            assert!(known.contains(&range.len()), "{range:?}");
            if range.len() > 1 {
                todo.extend(split_refused(range));
            }
        }
    }
}
