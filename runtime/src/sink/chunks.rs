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
        let size = power_of_two_at_most(range.end - start);
        pieces.push(start..start + size);
        start += size;
    }
    pieces
}

/// The largest power of two at most `n`, and at least 1.
pub(crate) fn power_of_two_at_most(n: usize) -> usize {
    1 << n.max(1).ilog2()
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

/// The sizes of a batch's items (rows or dead letters) in a statement's arguments, summed
/// once so that the bytes of any range cost two lookups.
#[derive(Debug)]
pub(crate) struct Sizes {
    /// `before[i]`: the bytes of items `0..i`.
    before: Vec<usize>,
}

impl Sizes {
    pub fn new(sizes: impl ExactSizeIterator<Item = usize>) -> Sizes {
        let mut before = Vec::with_capacity(sizes.len() + 1);
        let mut total = 0usize;
        before.push(0);
        for size in sizes {
            total = total.saturating_add(size);
            before.push(total);
        }
        Sizes { before }
    }

    /// The bytes of the items in `range`.
    pub fn of(&self, range: Range<usize>) -> usize {
        self.before[range.end] - self.before[range.start]
    }

    /// How many items from `start` on fit in `budget` bytes.
    fn fitting(&self, start: usize, budget: usize) -> usize {
        let limit = self.before[start].saturating_add(budget);
        self.before[start + 1..].partition_point(|end| *end <= limit)
    }
}

/// `range` cut into statements of at most `full` items and at most `budget` bytes (by
/// `sizes`), in the sizes [`statement_ranges`] uses: whole statements where they fit, powers
/// of two otherwise, so that byte limits add no statement texts. An item larger than `budget`
/// by itself stands alone: the caller decides what to do with it.
pub(crate) fn byte_ranges(
    range: Range<usize>,
    full: usize,
    budget: usize,
    sizes: &Sizes,
) -> Vec<Range<usize>> {
    let full = full.max(1);
    let mut pieces = Vec::new();
    let mut start = range.start;
    while start < range.end {
        let fit = sizes
            .fitting(start, budget)
            .min(full)
            .min(range.end - start)
            .max(1);
        let size = if fit == full {
            full
        } else {
            power_of_two_at_most(fit)
        };
        pieces.push(start..start + size);
        start += size;
    }
    pieces
}

/// The most rows a statement carries when its text, `text_len(rows)` bytes, must also fit in
/// `bytes` (the text is a packet of its own when it is prepared): `full`, or the largest power
/// of two below it that fits, at least 1.
pub(crate) fn rows_within(full: usize, bytes: usize, text_len: impl Fn(usize) -> usize) -> usize {
    if text_len(full) <= bytes {
        return full;
    }
    sizes_below(full)
        .take_while(|rows| text_len(*rows) <= bytes)
        .last()
        .unwrap_or(1)
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

    fn sizes(each: &[usize]) -> Sizes {
        Sizes::new(each.iter().copied())
    }

    #[test]
    fn small_rows_keep_whole_statements() {
        // W1's rows take about 60 bytes: 10,000 of them are far below a 16 MiB packet.
        let rows = sizes(&[60; 23_737]);
        let pieces = byte_ranges(0..23_737, 10_000, 16 << 20, &rows);
        assert_eq!(pieces, statement_ranges(0..23_737, 10_000));
    }

    #[test]
    fn large_rows_cut_statements_at_the_byte_budget() {
        // 100 rows of 300 bytes under a 1,000-byte budget: 3 fit, statements of 2.
        let rows = sizes(&[300; 100]);
        let pieces = byte_ranges(0..100, 64, 1_000, &rows);
        assert_eq!(lens(&pieces), vec![2; 50]);
        // A 1,200-byte budget takes 4 at a time.
        let pieces = byte_ranges(0..100, 64, 1_200, &rows);
        assert_eq!(lens(&pieces), vec![4; 25]);
        // Exactly a whole statement's worth fits: the whole statement is kept.
        let pieces = byte_ranges(0..100, 10, 3_000, &rows);
        assert_eq!(lens(&pieces), vec![10; 10]);
    }

    #[test]
    fn a_row_larger_than_the_budget_stands_alone() {
        let rows = sizes(&[10, 10, 10, 5_000, 10, 10, 10, 10, 10]);
        let pieces = byte_ranges(0..9, 8, 100, &rows);
        assert_eq!(pieces, vec![0..2, 2..3, 3..4, 4..8, 8..9]);
        assert_eq!(rows.of(3..4), 5_000);
        assert_eq!(rows.of(4..8), 40);
    }

    #[test]
    fn byte_ranges_of_a_sub_range() {
        let rows = sizes(&[100; 20]);
        let pieces = byte_ranges(5..15, 16, 350, &rows);
        assert_eq!(pieces, vec![5..7, 7..9, 9..11, 11..13, 13..15]);
    }

    proptest::proptest! {
        #[test]
        fn byte_ranges_cover_the_range_within_budget_in_known_sizes(
            each in proptest::collection::vec(0usize..5_000, 0..400),
            full in 1usize..300,
            budget in 0usize..20_000,
        ) {
            let rows = sizes(&each);
            let pieces = byte_ranges(0..each.len(), full, budget, &rows);
            let mut start = 0;
            for piece in &pieces {
                proptest::prop_assert_eq!(piece.start, start);
                start = piece.end;
                proptest::prop_assert!(piece.len() == full || piece.len().is_power_of_two());
                proptest::prop_assert!(piece.len() <= full);
                proptest::prop_assert!(piece.len() == 1 || rows.of(piece.clone()) <= budget);
                // No piece could have been twice as long within the limits, unless it is whole.
                let doubled = piece.start..(piece.start + 2 * piece.len()).min(each.len());
                proptest::prop_assert!(
                    piece.len() == full
                        || doubled.len() > full
                        || doubled.end - piece.start < 2 * piece.len()
                        || rows.of(doubled) > budget
                );
            }
            proptest::prop_assert_eq!(start, each.len());
        }
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
