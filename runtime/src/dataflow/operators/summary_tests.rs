//! Each summary against the `Records` aggregate over the same values, whole and merged.

use super::*;
use crate::dataflow::operators::records::Records;

/// Feeds `values` through `summary` split in two windows that are then merged, as a
/// session does, and whole; both must give the same.
fn both_ways<S: Summary<i64>>(summary: &S, values: &[i64]) -> [Result<S::Output, String>; 2] {
    let mut whole = summary.start();
    for v in values {
        summary.add(&mut whole, v);
    }
    let (left, right) = values.split_at(values.len() / 2);
    let mut first = summary.start();
    left.iter().for_each(|v| summary.add(&mut first, v));
    let mut second = summary.start();
    right.iter().for_each(|v| summary.add(&mut second, v));
    summary.merge(&mut first, second);
    [summary.finish(&whole), summary.finish(&first)]
}

#[test]
fn each_summary_equals_the_records_aggregate_and_merges_alike() {
    let all = Summaries::<i64>::new();
    for values in [vec![], vec![7], vec![3, -5, 10, 10, i64::MIN / 2]] {
        let records = Records::new(&values);
        let summary = (
            all.count(),
            all.sum(|v| i128::from(*v)),
            all.min(|v| *v),
            all.max(|v| *v),
            all.avg(|v| *v as f64),
            all.fold(Vec::new(), |mut seen, v| {
                seen.push(*v);
                seen
            })
            .merged_by(|mut a, b| {
                a.extend(b);
                a
            }),
        );
        let expected = (
            records.count(),
            records.sum(|v| i128::from(*v)),
            records.min(|v| *v),
            records.max(|v| *v),
            records.avg(|v| *v as f64),
            values.clone(),
        );
        for found in both_ways(&summary, &values) {
            assert_eq!(found, Ok(expected.clone()), "{values:?}");
        }
    }
}

#[test]
fn an_overflowing_sum_is_an_error_that_says_what_to_do_and_checked_sum_is_none() {
    let all = Summaries::<i64>::new();
    let values = [i64::MAX, 1];
    for found in both_ways(&all.sum(|v| *v), &values) {
        let error = found.expect_err("past i64");
        assert!(error.contains("past the range of i64"), "{error}");
        assert!(error.contains("checked_sum"), "{error}");
    }
    assert_eq!(
        both_ways(&all.checked_sum(|v| *v), &values),
        [Ok(None), Ok(None)]
    );
    let negative = [i64::MIN, -1];
    assert!(both_ways(&all.sum(|v| *v), &negative)[0].is_err());
}

#[test]
fn a_fold_merges_only_with_a_merge_and_a_lost_value_is_an_error() {
    let all = Summaries::<i64>::new();
    let plain = all.fold(0, |a, v| a + v);
    assert!(!plain.can_merge());
    assert!(!(all.count(), plain).can_merge());
    let merged = all.fold(0, |a, v| a + v).merged_by(|a, b| a + b);
    assert!(merged.can_merge());
    assert_eq!(both_ways(&merged, &[1, 2, 3]), [Ok(6), Ok(6)]);
    let lost: Option<i64> = None;
    assert!(merged.finish(&lost).is_err());
}
