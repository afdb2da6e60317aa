//! The records of one window and key, as an aggregate sees them.

/// The records that fell into one window for one key, in arrival order, as
/// [`WindowedStream::aggregate`](super::WindowedStream::aggregate) keeps them: every record of
/// an open window stays in memory until the window is dropped. Its `count`, `sum`, `min`,
/// `max`, `avg` and `fold` go over them when the window fires;
/// [`WindowedStream::summarize`](super::WindowedStream::summarize) computes the same as the
/// records arrive and keeps only that.
#[derive(Debug)]
pub struct Records<'a, T> {
    records: &'a [T],
}

impl<'a, T> Records<'a, T> {
    pub(crate) fn new(records: &'a [T]) -> Self {
        Records { records }
    }

    /// How many records.
    pub fn count(&self) -> i64 {
        i64::try_from(self.records.len()).unwrap_or(i64::MAX)
    }

    /// The sum of `value` over the records, checked: a sum past the range of its type panics
    /// (in release builds too) instead of wrapping around, and inside `aggregate` that panic
    /// makes the window a dead letter of kind `panic` that names it, instead of a wrong row.
    ///
    /// To add beyond the range of `i64`, widen the values: `records.sum(|o|
    /// i128::from(o.amount_cents))`; to decide yourself what an overflow means, use
    /// [`Records::checked_sum`].
    #[track_caller]
    pub fn sum<S: Summable>(&self, value: impl Fn(&T) -> S) -> S {
        match self.checked_sum(value) {
            Some(total) => total,
            None => panic!(
                "`Records::sum` overflowed: the sum of {} records is past the range of {}; \
                 widen the values (`|r| i128::from(..)`) or use `checked_sum`",
                self.records.len(),
                std::any::type_name::<S>()
            ),
        }
    }

    /// The sum of `value` over the records; `None` when it is past the range of its type.
    pub fn checked_sum<S: Summable>(&self, value: impl Fn(&T) -> S) -> Option<S> {
        self.records
            .iter()
            .try_fold(S::ZERO, |total, record| total.checked_add(value(record)))
    }

    /// The smallest `value`; `None` for no records.
    pub fn min<S: Ord>(&self, value: impl Fn(&T) -> S) -> Option<S> {
        self.records.iter().map(value).min()
    }

    /// The largest `value`; `None` for no records.
    pub fn max<S: Ord>(&self, value: impl Fn(&T) -> S) -> Option<S> {
        self.records.iter().map(value).max()
    }

    /// The mean of `value`; `None` for no records. Added up as `f64`: no overflow, with the
    /// rounding of `f64` (integers past 2^53 are not exact).
    pub fn avg(&self, value: impl Fn(&T) -> f64) -> Option<f64> {
        let n = self.records.len();
        (n > 0).then(|| self.records.iter().map(value).sum::<f64>() / n as f64)
    }

    /// Folds the records into one value.
    pub fn fold<A>(&self, init: A, step: impl FnMut(A, &T) -> A) -> A {
        self.records.iter().fold(init, step)
    }

    /// The records themselves: what only `aggregate`, which keeps them, can give.
    pub fn iter(&self) -> std::slice::Iter<'a, T> {
        self.records.iter()
    }
}

/// A number [`Records::sum`] adds up: every integer type, with overflow checked, and `f32`,
/// `f64` and `rust_decimal::Decimal`.
pub trait Summable: Sized {
    /// The sum of no records.
    const ZERO: Self;

    /// `self + other`; `None` past the range of the type.
    fn checked_add(self, other: Self) -> Option<Self>;
}

macro_rules! summable_integers {
    ($($t:ty),*) => {$(
        impl Summable for $t {
            const ZERO: Self = 0;
            fn checked_add(self, other: Self) -> Option<Self> {
                <$t>::checked_add(self, other)
            }
        }
    )*};
}

summable_integers!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl Summable for f32 {
    const ZERO: Self = 0.0;
    /// Floating-point sums do not overflow: they reach infinity.
    fn checked_add(self, other: Self) -> Option<Self> {
        Some(self + other)
    }
}

impl Summable for f64 {
    const ZERO: Self = 0.0;
    /// Floating-point sums do not overflow: they reach infinity.
    fn checked_add(self, other: Self) -> Option<Self> {
        Some(self + other)
    }
}

impl Summable for rust_decimal::Decimal {
    const ZERO: Self = rust_decimal::Decimal::ZERO;
    fn checked_add(self, other: Self) -> Option<Self> {
        rust_decimal::Decimal::checked_add(self, other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sum_past_i64_panics_with_what_to_do_and_widened_it_is_exact() {
        let amounts = [i64::MAX, 1];
        let records = Records::new(&amounts);
        assert_eq!(records.checked_sum(|a| *a), None);
        assert_eq!(records.sum(|a| i128::from(*a)), i128::from(i64::MAX) + 1);
        let panic = std::panic::catch_unwind(|| records.sum(|a| *a)).expect_err("overflows");
        let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert_eq!(
            text,
            "`Records::sum` overflowed: the sum of 2 records is past the range of i64; widen \
             the values (`|r| i128::from(..)`) or use `checked_sum`"
        );
        let negative = [i64::MIN, -1];
        assert_eq!(Records::new(&negative).checked_sum(|a| *a), None);
    }

    #[test]
    fn sums_in_range_and_the_other_aggregates() {
        let values = [3i64, -5, 10];
        let records = Records::new(&values);
        assert_eq!(records.sum(|v| *v), 8);
        assert_eq!(records.sum(|v| *v as f64), 8.0);
        assert_eq!(records.count(), 3);
        assert_eq!(records.min(|v| *v), Some(-5));
        assert_eq!(records.max(|v| *v), Some(10));
        let extremes = [i64::MAX, i64::MAX];
        assert_eq!(
            Records::new(&extremes).avg(|v| *v as f64),
            Some(i64::MAX as f64)
        );
        let none: [i64; 0] = [];
        assert_eq!(Records::new(&none).sum(|v| *v), 0);
        assert_eq!(Records::new(&none).avg(|v| *v as f64), None);
    }
}
