//! What `summarize` keeps of a window instead of its records: one small state per key and
//! window, updated as each record arrives, and turned into the window's values when it fires.

use std::marker::PhantomData;
use std::rc::Rc;

use super::records::Summable;
use super::window_book::Fold;

/// A value computed from a window's records as they arrive, keeping a fixed-size state per
/// key and window instead of the records. A tuple of summaries (up to eight) is a summary of
/// their values.
///
/// [`Summaries`] hands out the built-in ones; implement this trait for another.
pub trait Summary<T>: 'static {
    /// What is kept per key and window.
    type State: 'static;
    /// What the window's row is made from.
    type Output;

    /// The state of a window without records.
    fn start(&self) -> Self::State;

    /// Takes one more record into `state`.
    fn add(&self, state: &mut Self::State, record: &T);

    /// Takes a whole other window's state into `state`, when one record joins two sessions.
    fn merge(&self, state: &mut Self::State, other: Self::State);

    /// Whether [`Summary::merge`] can be called: session windows need it.
    fn can_merge(&self) -> bool {
        true
    }

    /// The window's value; an error makes the window a dead letter that quotes it.
    fn finish(&self, state: &Self::State) -> Result<Self::Output, String>;
}

/// Why a window has no values: a summary's closure panicked with its state in hand.
const SUMMARY_LOST: &str = "a summary's closure panicked on one of the window's records (that \
                            record's dead letter of kind `panic` says why), and the window's \
                            values were lost with it";

/// How the window book keeps `summary`'s state: taken out while the summary's closures run,
/// so that one panicking leaves `None`, the window lost, never a state half updated (a tuple's
/// first summaries with the record, the next ones without).
pub(crate) fn summary_fold<T: 'static, S: Summary<T>>(summary: Rc<S>) -> Fold<T, Option<S::State>> {
    let (start, add, add_shared, merge) = (
        Rc::clone(&summary),
        Rc::clone(&summary),
        Rc::clone(&summary),
        summary,
    );
    Fold {
        new: Box::new(move || Some(start.start())),
        add_shared: Box::new(move |kept: &mut Option<S::State>, record: &T| {
            while_held(kept, |state| add_shared.add(state, record));
        }),
        add: Box::new(move |kept: &mut Option<S::State>, record: T| {
            while_held(kept, |state| add.add(state, &record));
        }),
        merge: Box::new(
            move |kept: &mut Option<S::State>, other: Option<S::State>| match other {
                Some(other) => while_held(kept, |state| merge.merge(state, other)),
                None => *kept = None,
            },
        ),
    }
}

/// Runs `change` on the state taken out of `kept`, and puts it back only if `change` returns:
/// a panic leaves `None`.
fn while_held<S>(kept: &mut Option<S>, change: impl FnOnce(&mut S)) {
    if let Some(mut state) = kept.take() {
        change(&mut state);
        *kept = Some(state);
    }
}

/// The window's values from the state [`summary_fold`] kept.
pub(crate) fn finish_kept<T, S: Summary<T>>(
    summary: &S,
    kept: &Option<S::State>,
) -> Result<S::Output, String> {
    summary.finish(kept.as_ref().ok_or_else(|| SUMMARY_LOST.to_owned())?)
}

/// The summaries a window of `T` records can keep, handed to the first closure of
/// [`WindowedStream::summarize`](super::WindowedStream::summarize):
/// `|orders| (orders.count(), orders.sum(|o| o.amount_cents))`.
pub struct Summaries<T> {
    records: PhantomData<fn(&T)>,
}

impl<T> std::fmt::Debug for Summaries<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Summaries")
    }
}

impl<T> Summaries<T> {
    pub(crate) fn new() -> Self {
        Summaries {
            records: PhantomData,
        }
    }

    /// How many records, as `i64`.
    pub fn count(&self) -> Count {
        Count
    }

    /// The sum of `value`, checked: a sum past the range of its type does not wrap around,
    /// it makes the window a dead letter that names it. To add beyond `i64`, widen the values
    /// (`|o| i128::from(o.amount_cents)`); to decide yourself, use [`Summaries::checked_sum`].
    pub fn sum<S, F>(&self, value: F) -> Sum<F, S>
    where
        S: Summable + Clone + 'static,
        F: Fn(&T) -> S + 'static,
    {
        Sum {
            value,
            sum: PhantomData,
        }
    }

    /// The sum of `value`; `None` once it has gone past the range of its type.
    pub fn checked_sum<S, F>(&self, value: F) -> CheckedSum<F, S>
    where
        S: Summable + Clone + 'static,
        F: Fn(&T) -> S + 'static,
    {
        CheckedSum(self.sum(value))
    }

    /// The smallest `value`; `None` for no records.
    pub fn min<S, F>(&self, value: F) -> Min<F, S>
    where
        S: Ord + Clone + 'static,
        F: Fn(&T) -> S + 'static,
    {
        Min(Extreme::new(value))
    }

    /// The largest `value`; `None` for no records.
    pub fn max<S, F>(&self, value: F) -> Max<F, S>
    where
        S: Ord + Clone + 'static,
        F: Fn(&T) -> S + 'static,
    {
        Max(Extreme::new(value))
    }

    /// The mean of `value`; `None` for no records. Added up as `f64`: no overflow, with the
    /// rounding of `f64`.
    pub fn avg<F>(&self, value: F) -> Avg<F>
    where
        F: Fn(&T) -> f64 + 'static,
    {
        Avg(value)
    }

    /// `init`, then `step` applied to it and each record as it arrives. Session windows also
    /// need [`Folded::merged_by`], to join two sessions' values.
    pub fn fold<A, F>(&self, init: A, step: F) -> Folded<A, F>
    where
        A: Clone + 'static,
        F: Fn(A, &T) -> A + 'static,
    {
        Folded {
            init,
            step,
            merge: None,
        }
    }
}

/// [`Summaries::count`].
#[derive(Debug, Clone, Copy)]
pub struct Count;

impl<T> Summary<T> for Count {
    type State = u64;
    type Output = i64;

    fn start(&self) -> u64 {
        0
    }

    fn add(&self, state: &mut u64, _: &T) {
        *state += 1;
    }

    fn merge(&self, state: &mut u64, other: u64) {
        *state += other;
    }

    fn finish(&self, state: &u64) -> Result<i64, String> {
        Ok(i64::try_from(*state).unwrap_or(i64::MAX))
    }
}

/// [`Summaries::sum`].
pub struct Sum<F, S> {
    value: F,
    sum: PhantomData<fn() -> S>,
}

impl<F, S> std::fmt::Debug for Sum<F, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sum<{}>", std::any::type_name::<S>())
    }
}

/// A running sum: `None` once it has gone past the range of its type.
fn add_checked<S: Summable>(state: &mut Option<S>, value: S) {
    *state = state.take().and_then(|total| total.checked_add(value));
}

impl<T, S, F> Summary<T> for Sum<F, S>
where
    S: Summable + Clone + 'static,
    F: Fn(&T) -> S + 'static,
{
    type State = Option<S>;
    type Output = S;

    fn start(&self) -> Option<S> {
        Some(S::ZERO)
    }

    fn add(&self, state: &mut Option<S>, record: &T) {
        add_checked(state, (self.value)(record));
    }

    fn merge(&self, state: &mut Option<S>, other: Option<S>) {
        match other {
            Some(other) => add_checked(state, other),
            None => *state = None,
        }
    }

    fn finish(&self, state: &Option<S>) -> Result<S, String> {
        state.clone().ok_or_else(|| {
            format!(
                "`sum` overflowed: the sum of the window's records is past the range of {}; \
                 widen the values (`|r| i128::from(..)`) or use `checked_sum`",
                std::any::type_name::<S>()
            )
        })
    }
}

/// [`Summaries::checked_sum`].
#[derive(Debug)]
pub struct CheckedSum<F, S>(Sum<F, S>);

impl<T, S, F> Summary<T> for CheckedSum<F, S>
where
    S: Summable + Clone + 'static,
    F: Fn(&T) -> S + 'static,
{
    type State = Option<S>;
    type Output = Option<S>;

    fn start(&self) -> Option<S> {
        Some(S::ZERO)
    }

    fn add(&self, state: &mut Option<S>, record: &T) {
        self.0.add(state, record);
    }

    fn merge(&self, state: &mut Option<S>, other: Option<S>) {
        self.0.merge(state, other);
    }

    fn finish(&self, state: &Option<S>) -> Result<Option<S>, String> {
        Ok(state.clone())
    }
}

/// The value of every record, kept when `keep(new, kept)` says so: the shared half of
/// [`Min`] and [`Max`].
struct Extreme<F, S> {
    value: F,
    kept: PhantomData<fn() -> S>,
}

impl<F, S> Extreme<F, S> {
    fn new(value: F) -> Self {
        Extreme {
            value,
            kept: PhantomData,
        }
    }
}

fn keep_if<S>(state: &mut Option<S>, value: S, better: impl Fn(&S, &S) -> bool) {
    match state {
        Some(kept) if !better(&value, kept) => {}
        _ => *state = Some(value),
    }
}

/// [`Summaries::min`].
pub struct Min<F, S>(Extreme<F, S>);

/// [`Summaries::max`].
pub struct Max<F, S>(Extreme<F, S>);

macro_rules! extreme_summary {
    ($name:ident, $better:expr) => {
        impl<F, S> std::fmt::Debug for $name<F, S> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}<{}>", stringify!($name), std::any::type_name::<S>())
            }
        }

        impl<T, S, F> Summary<T> for $name<F, S>
        where
            S: Ord + Clone + 'static,
            F: Fn(&T) -> S + 'static,
        {
            type State = Option<S>;
            type Output = Option<S>;

            fn start(&self) -> Option<S> {
                None
            }

            fn add(&self, state: &mut Option<S>, record: &T) {
                keep_if(state, (self.0.value)(record), $better);
            }

            fn merge(&self, state: &mut Option<S>, other: Option<S>) {
                if let Some(other) = other {
                    keep_if(state, other, $better);
                }
            }

            fn finish(&self, state: &Option<S>) -> Result<Option<S>, String> {
                Ok(state.clone())
            }
        }
    };
}

extreme_summary!(Min, |new: &S, kept: &S| new < kept);
// As `Iterator::min` and `max`: the first of equal smallest values, the last of equal largest.
extreme_summary!(Max, |new: &S, kept: &S| new >= kept);

/// [`Summaries::avg`].
pub struct Avg<F>(F);

impl<F> std::fmt::Debug for Avg<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Avg")
    }
}

impl<T, F> Summary<T> for Avg<F>
where
    F: Fn(&T) -> f64 + 'static,
{
    /// The sum and the count.
    type State = (f64, u64);
    type Output = Option<f64>;

    fn start(&self) -> (f64, u64) {
        (0.0, 0)
    }

    fn add(&self, state: &mut (f64, u64), record: &T) {
        state.0 += (self.0)(record);
        state.1 += 1;
    }

    fn merge(&self, state: &mut (f64, u64), other: (f64, u64)) {
        state.0 += other.0;
        state.1 += other.1;
    }

    fn finish(&self, &(sum, n): &(f64, u64)) -> Result<Option<f64>, String> {
        Ok((n > 0).then(|| sum / n as f64))
    }
}

/// [`Summaries::fold`].
pub struct Folded<A, F> {
    init: A,
    step: F,
    merge: Option<Rc<dyn Fn(A, A) -> A>>,
}

impl<A, F> std::fmt::Debug for Folded<A, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Folded<{}>", std::any::type_name::<A>())
    }
}

impl<A, F> Folded<A, F> {
    /// How two sessions' values become one when a record joins them: `|a, b| ..`.
    pub fn merged_by(mut self, merge: impl Fn(A, A) -> A + 'static) -> Self {
        self.merge = Some(Rc::new(merge));
        self
    }
}

/// Why a fold has no value: its step or merge panicked with the value in hand.
const FOLD_LOST: &str = "the `fold` panicked on one of the window's records (its dead letter of \
                         kind `panic` says why), and the window's value was lost with it";

impl<T, A, F> Summary<T> for Folded<A, F>
where
    A: Clone + 'static,
    F: Fn(A, &T) -> A + 'static,
{
    /// `None` while the step runs: what a panic leaves behind.
    type State = Option<A>;
    type Output = A;

    fn start(&self) -> Option<A> {
        Some(self.init.clone())
    }

    fn add(&self, state: &mut Option<A>, record: &T) {
        if let Some(value) = state.take() {
            *state = Some((self.step)(value, record));
        }
    }

    fn merge(&self, state: &mut Option<A>, other: Option<A>) {
        *state = match (state.take(), other, &self.merge) {
            (Some(value), Some(other), Some(merge)) => Some(merge(value, other)),
            _ => None,
        };
    }

    fn can_merge(&self) -> bool {
        self.merge.is_some()
    }

    fn finish(&self, state: &Option<A>) -> Result<A, String> {
        state.clone().ok_or_else(|| FOLD_LOST.to_owned())
    }
}

macro_rules! tuple_summary {
    ($($s:ident $i:tt),+) => {
        impl<T, $($s: Summary<T>),+> Summary<T> for ($($s,)+) {
            type State = ($($s::State,)+);
            type Output = ($($s::Output,)+);

            fn start(&self) -> Self::State {
                ($(self.$i.start(),)+)
            }

            fn add(&self, state: &mut Self::State, record: &T) {
                $(self.$i.add(&mut state.$i, record);)+
            }

            fn merge(&self, state: &mut Self::State, other: Self::State) {
                $(self.$i.merge(&mut state.$i, other.$i);)+
            }

            fn can_merge(&self) -> bool {
                $(self.$i.can_merge())&&+
            }

            fn finish(&self, state: &Self::State) -> Result<Self::Output, String> {
                Ok(($(self.$i.finish(&state.$i)?,)+))
            }
        }
    };
}

tuple_summary!(A 0);
tuple_summary!(A 0, B 1);
tuple_summary!(A 0, B 1, C 2);
tuple_summary!(A 0, B 1, C 2, D 3);
tuple_summary!(A 0, B 1, C 2, D 3, E 4);
tuple_summary!(A 0, B 1, C 2, D 3, E 4, G 5);
tuple_summary!(A 0, B 1, C 2, D 3, E 4, G 5, H 6);
tuple_summary!(A 0, B 1, C 2, D 3, E 4, G 5, H 6, I 7);

#[cfg(test)]
#[path = "summary_tests.rs"]
mod tests;
