//! One measured run and the table they are printed in.

use std::time::{Duration, Instant};

use super::rss;

/// What one run measured.
pub struct Measured {
    pub workload: &'static str,
    pub what: String,
    pub items: u64,
    pub unit: &'static str,
    pub elapsed: Duration,
    pub peak_rss_mib: Option<f64>,
    /// `(reference, ratio)` pairs printed beside the figure.
    pub ratios: Vec<(String, f64)>,
}

impl Measured {
    pub fn rate(&self) -> f64 {
        self.items as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// Adds this run's rate divided by `reference`'s.
    pub fn against(&mut self, name: &str, reference: &Measured) {
        self.ratios.push((
            name.to_owned(),
            self.rate() / reference.rate().max(f64::EPSILON),
        ));
    }
}

/// Runs `work`, which returns how many items it handled, timing it and recording its peak RSS.
pub fn measure<E>(
    workload: &'static str,
    what: impl Into<String>,
    unit: &'static str,
    work: impl FnOnce() -> Result<u64, E>,
) -> Result<Measured, E> {
    let what = what.into();
    eprintln!("{workload}: {what} ...");
    rss::reset_peak();
    let started = Instant::now();
    let items = work()?;
    let elapsed = started.elapsed();
    let measured = Measured {
        workload,
        what,
        items,
        unit,
        elapsed,
        peak_rss_mib: rss::peak_mib(),
        ratios: Vec::new(),
    };
    eprintln!(
        "{workload}: {} -> {:.0} {unit}/s",
        measured.what,
        measured.rate()
    );
    Ok(measured)
}

/// The results as a Markdown table, the form `benches/README.md` keeps them in.
pub fn print(results: &[Measured]) {
    println!();
    println!("| workload | run | items | seconds | rate | peak RSS | ratios |");
    println!("|---|---|---:|---:|---:|---:|---|");
    for m in results {
        let rss = m
            .peak_rss_mib
            .map_or_else(|| "?".to_owned(), |mib| format!("{mib:.0} MiB"));
        let ratios = m
            .ratios
            .iter()
            .map(|(name, ratio)| format!("{ratio:.2}× {name}"))
            .collect::<Vec<_>>()
            .join(", ");
        println!(
            "| {} | {} | {} | {:.2} | {:.0} {}/s | {} | {} |",
            m.workload,
            m.what,
            m.items,
            m.elapsed.as_secs_f64(),
            m.rate(),
            m.unit,
            rss,
            ratios
        );
    }
}
