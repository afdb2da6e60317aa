//! One measured run and the table they are printed in.

use std::time::Duration;

use super::child::{Input, Outcome, Run};
use super::database::BoxError;
use super::db_cpu;
use super::first_row::FirstRowWatch;

/// What one run measured.
pub struct Measured {
    pub workload: &'static str,
    pub what: String,
    pub items: u64,
    pub unit: &'static str,
    pub elapsed: Duration,
    pub peak_rss_mib: Option<f64>,
    /// CPU seconds the database server spent meanwhile.
    pub db_cpu_seconds: Option<f64>,
    /// CPU seconds the run's process spent.
    pub own_cpu_seconds: Option<f64>,
    /// `(reference, ratio)` pairs printed beside the figure.
    pub ratios: Vec<(String, f64)>,
    /// The lowest and highest rate over the rounds this median was taken from.
    pub spread: Option<(f64, f64)>,
    /// From the child's spawn to the first row committed, where watched (median of rounds).
    pub first_row: Option<Duration>,
    /// Printed after the ratios.
    pub notes: Vec<String>,
}

impl Measured {
    pub fn rate(&self) -> f64 {
        self.items as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// The round with the median rate, with the spread of all of them; peak RSS is the
    /// highest of any round.
    pub fn median(mut rounds: Vec<Measured>) -> Option<Measured> {
        rounds.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
        let lowest = rounds.first()?.rate();
        let highest = rounds.last()?.rate();
        let peak = rounds
            .iter()
            .filter_map(|m| m.peak_rss_mib)
            .reduce(f64::max);
        let mut first_rows: Vec<Duration> = rounds.iter().filter_map(|m| m.first_row).collect();
        first_rows.sort();
        let count = rounds.len();
        let mut median = rounds.swap_remove(count / 2);
        median.peak_rss_mib = peak;
        median.first_row = first_rows.get(first_rows.len() / 2).copied();
        median.spread = (count > 1).then_some((lowest, highest));
        Some(median)
    }

    /// Adds this run's rate divided by `reference`'s.
    pub fn against(&mut self, name: &str, reference: &Measured) {
        self.ratios.push((
            name.to_owned(),
            self.rate() / reference.rate().max(f64::EPSILON),
        ));
    }
}

/// Runs `run` in a child process, with the database's CPU time meanwhile.
pub fn measure(
    workload: &'static str,
    what: impl Into<String>,
    unit: &'static str,
    run: Run,
    input: &Input,
) -> Result<(Measured, Outcome), BoxError> {
    let (measured, mut outcomes) = measure_together(workload, what, unit, &[run], input)?;
    let outcome = outcomes.pop().ok_or("the run reported nothing")?;
    Ok((measured, outcome))
}

/// [`measure`], with the time from the child's spawn to the first row in `table`, which must
/// be empty at the start.
pub fn measure_first_row(
    workload: &'static str,
    what: impl Into<String>,
    unit: &'static str,
    run: Run,
    input: &Input,
    table: &'static str,
) -> Result<(Measured, Outcome), BoxError> {
    let watch = FirstRowWatch::start(table)?;
    let (mut measured, outcome) = measure(workload, what, unit, run, input)?;
    measured.first_row = watch.finish(outcome.spawned)?;
    if measured.first_row.is_none() {
        return Err(format!("{}: no row seen in `{table}`", measured.what).into());
    }
    Ok((measured, outcome))
}

/// Runs `runs` at once, each in a child process (the processes of one cluster run): the items
/// of all of them over the time of the slowest, their CPU added up.
pub fn measure_together(
    workload: &'static str,
    what: impl Into<String>,
    unit: &'static str,
    runs: &[Run],
    input: &Input,
) -> Result<(Measured, Vec<Outcome>), BoxError> {
    let what = what.into();
    eprintln!("{workload}: {what} ...");
    let db_before = db_cpu::seconds();
    let outcomes: Vec<Result<Outcome, String>> = std::thread::scope(|scope| {
        let children: Vec<_> = runs
            .iter()
            .map(|run| scope.spawn(move || run.in_child(input).map_err(|e| e.to_string())))
            .collect();
        children
            .into_iter()
            .map(|child| {
                child
                    .join()
                    .unwrap_or_else(|_| Err("a child thread panicked".into()))
            })
            .collect()
    });
    let outcomes = outcomes.into_iter().collect::<Result<Vec<_>, String>>()?;
    let db_cpu_seconds = db_cpu::seconds()
        .zip(db_before)
        .map(|(after, before)| after - before);
    let seconds = outcomes.iter().map(|o| o.seconds).fold(0.0, f64::max);
    let measured = Measured {
        workload,
        what,
        items: outcomes.iter().map(|o| o.items).sum(),
        unit,
        elapsed: Duration::from_secs_f64(seconds),
        peak_rss_mib: outcomes
            .iter()
            .filter_map(|o| o.peak_rss_mib)
            .reduce(f64::max),
        db_cpu_seconds,
        own_cpu_seconds: outcomes.iter().map(|o| o.cpu_seconds).sum(),
        ratios: Vec::new(),
        spread: None,
        first_row: None,
        notes: Vec::new(),
    };
    eprintln!(
        "{workload}: {} -> {:.0} {unit}/s",
        measured.what,
        measured.rate()
    );
    Ok((measured, outcomes))
}

/// The results as a Markdown table, the form `benches/README.md` keeps them in.
pub fn print(results: &[Measured]) {
    println!();
    println!(
        "| workload | run | items | seconds | rate (median) | spread | peak RSS | CPU: run, MySQL | CPU per M items: run, MySQL | first row | ratios |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for m in results {
        let rss = m
            .peak_rss_mib
            .map_or_else(|| "?".to_owned(), |mib| format!("{mib:.0} MiB"));
        let seconds = |s: Option<f64>| s.map_or_else(|| "?".to_owned(), |s| format!("{s:.2}"));
        let cpu = format!(
            "{}, {} s",
            seconds(m.own_cpu_seconds),
            seconds(m.db_cpu_seconds)
        );
        let per_million = |s: Option<f64>| s.map(|s| s * 1e6 / m.items.max(1) as f64);
        let cpu_per_million = format!(
            "{}, {} s",
            seconds(per_million(m.own_cpu_seconds)),
            seconds(per_million(m.db_cpu_seconds))
        );
        let first_row = m.first_row.map_or_else(String::new, |d| {
            format!("{:.0} ms", d.as_secs_f64() * 1000.0)
        });
        let spread = m.spread.map_or_else(String::new, |(low, high)| {
            format!("{:.0}–{:.0}k", low / 1000.0, high / 1000.0)
        });
        let ratios = m
            .ratios
            .iter()
            .map(|(name, ratio)| format!("{ratio:.2}× {name}"))
            .collect::<Vec<_>>()
            .join(", ");
        let ratios = std::iter::once(ratios)
            .chain(m.notes.iter().cloned())
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        println!(
            "| {} | {} | {} | {:.2} | {:.0} {}/s | {} | {} | {} | {} | {} | {} |",
            m.workload,
            m.what,
            m.items,
            m.elapsed.as_secs_f64(),
            m.rate(),
            m.unit,
            spread,
            rss,
            cpu,
            cpu_per_million,
            first_row,
            ratios
        );
    }
}
