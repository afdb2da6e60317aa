//! The records of one window and key, as an aggregate sees them.

/// The records that fell into one window for one key, in arrival order.
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

    /// The sum of `value` over the records.
    pub fn sum<S: std::iter::Sum<S>>(&self, value: impl Fn(&T) -> S) -> S {
        self.records.iter().map(value).sum()
    }

    /// The smallest `value`; `None` for no records.
    pub fn min<S: Ord>(&self, value: impl Fn(&T) -> S) -> Option<S> {
        self.records.iter().map(value).min()
    }

    /// The largest `value`; `None` for no records.
    pub fn max<S: Ord>(&self, value: impl Fn(&T) -> S) -> Option<S> {
        self.records.iter().map(value).max()
    }

    /// The mean of `value`; `None` for no records.
    pub fn avg(&self, value: impl Fn(&T) -> f64) -> Option<f64> {
        let n = self.records.len();
        (n > 0).then(|| self.records.iter().map(value).sum::<f64>() / n as f64)
    }

    /// Folds the records into one value.
    pub fn fold<A>(&self, init: A, step: impl FnMut(A, &T) -> A) -> A {
        self.records.iter().fold(init, step)
    }

    /// The records themselves.
    pub fn iter(&self) -> std::slice::Iter<'a, T> {
        self.records.iter()
    }
}
