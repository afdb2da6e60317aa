//! What an operator sees while a run goes on: a live progress line on a terminal, plain log
//! lines otherwise, and the run's figures for the Prometheus endpoint (`--metrics-addr`).
//!
//! The hot path pays nothing for it: workers keep their counters in [`Metrics`] once per batch
//! as before, and a thread of its own reads them once a second and hands them to the `metrics`
//! facade (a no-op without `--metrics-addr`) and to the progress line.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::dead_letter::{DeadLetter, DeadLetterKind};
use crate::error::{Error, Result};
use crate::run::control::RunControl;
use crate::run::report::{Metrics, RunReport};

/// How often the figures are read.
const TICK: Duration = Duration::from_secs(1);

/// How a run shows its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Progress {
    /// A live line when standard error is a terminal, log lines otherwise.
    #[default]
    Auto,
    /// The live line, wherever standard error goes.
    Line,
    /// A log line every `--progress-every`, never a terminal escape.
    Log,
    /// Neither.
    Off,
}

/// Counts dead letters by kind for the metrics endpoint.
pub(crate) fn dead_letters<'a>(letters: impl IntoIterator<Item = &'a DeadLetter>) {
    let mut counts = [0u64; DeadLetterKind::ALL.len()];
    for letter in letters {
        if let Some(i) = DeadLetterKind::ALL.iter().position(|k| *k == letter.kind) {
            counts[i] += 1;
        }
    }
    for (kind, count) in DeadLetterKind::ALL.iter().zip(counts) {
        if count > 0 {
            metrics::counter!("sluice_dead_letters_total", "kind" => kind.as_str())
                .increment(count);
        }
    }
}

/// A transaction into `table` committed after `took` (retries included).
pub(crate) fn transaction_committed(table: &'static str, took: Duration) {
    metrics::histogram!("sluice_transaction_seconds", "table" => table).record(took.as_secs_f64());
}

/// Serves the facade's figures as Prometheus text on `address`, on the run's tokio runtime.
pub(crate) fn serve_metrics(
    address: SocketAddr,
    pipeline: &str,
    runtime: &tokio::runtime::Runtime,
) -> Result<()> {
    // The exporter binds later, on the runtime: a taken port is reported here, in one line.
    std::net::TcpListener::bind(address)
        .map_err(|e| Error::Config(format!("--metrics-addr {address}: {e}")))?;
    let _entered = runtime.enter();
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_http_listener(address)
        .add_global_label("pipeline", pipeline)
        .install()
        .map_err(|e| Error::Config(format!("--metrics-addr {address}: {e}")))?;
    describe();
    Ok(())
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "sluice_source_records_total",
        "Messages read from the source"
    );
    describe_counter!(
        "sluice_operator_records_total",
        "Records an operator dropped, folded or added, by operator and outcome"
    );
    describe_counter!("sluice_sink_rows_total", "Rows the sinks committed");
    describe_counter!(
        "sluice_sink_transactions_total",
        "Transactions the sinks committed"
    );
    describe_counter!(
        "sluice_dead_letters_total",
        "Dead letters set aside, by kind"
    );
    describe_counter!(
        "sluice_retries_total",
        "Transactions written again after a transient failure"
    );
    describe_counter!(
        "sluice_consumer_errors_total",
        "Errors the Kafka consumer reported instead of a message"
    );
    describe_gauge!(
        "sluice_lag_messages",
        "Messages a partition holds beyond what the source has read"
    );
    describe_gauge!(
        "sluice_watermark_milliseconds",
        Unit::Milliseconds,
        "Event-time watermark stored with the last commit, in milliseconds since the epoch"
    );
    describe_gauge!(
        "sluice_committed_epoch",
        "Last epoch the sinks made durable"
    );
    describe_histogram!(
        "sluice_transaction_seconds",
        Unit::Seconds,
        "Time from a transaction's start to its commit, retries included"
    );
}

/// What the observer names in its figures.
#[derive(Debug, Clone)]
pub(crate) struct Subject {
    /// What the source reads (a topic, a table).
    pub input: Arc<str>,
    /// What the outputs write (tables, topics).
    pub target: String,
    /// The run ends by itself (`--until-end`): its progress has an end to show.
    pub bounded: bool,
}

/// The thread that reads the figures once a second.
#[derive(Debug)]
pub(crate) struct Observer {
    stop: Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl Observer {
    pub fn start(
        control: Arc<RunControl>,
        subject: Subject,
        progress: Progress,
        log_every: Duration,
    ) -> Result<Observer> {
        let (stop, stopped) = mpsc::channel::<()>();
        let line = match progress {
            Progress::Auto => std::io::IsTerminal::is_terminal(&std::io::stderr()),
            Progress::Line => true,
            Progress::Log | Progress::Off => false,
        };
        let log = progress != Progress::Off && !line;
        let thread = std::thread::Builder::new()
            .name("sluice-observe".into())
            .spawn(move || {
                let started = Instant::now();
                let mut view = View::new(subject, line);
                let mut last_log = Instant::now();
                loop {
                    let ended =
                        !matches!(stopped.recv_timeout(TICK), Err(RecvTimeoutError::Timeout));
                    let figures = Figures::read(&control.metrics, started);
                    view.publish(&figures);
                    if ended {
                        view.finish();
                        return;
                    }
                    let text = view.describe(&figures);
                    if let Some(bar) = &view.bar {
                        view.show(bar, &figures);
                        bar.set_message(text);
                    } else if log && last_log.elapsed() >= log_every {
                        tracing::info!("progress: {text}");
                        last_log = Instant::now();
                    }
                    view.previous = Some((Instant::now(), figures.counts.consumed));
                }
            })
            .map_err(|e| Error::Worker(format!("cannot start the progress thread: {e}")))?;
        Ok(Observer {
            stop,
            thread: Some(thread),
        })
    }

    /// Publishes the final figures and clears the live line.
    pub fn finish(mut self) {
        let _ = self.stop.send(());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The figures of one tick: the run's counters and what only a running job has.
struct Figures {
    counts: RunReport,
    watermark: Option<i64>,
    committed_epoch: u64,
    lag: Vec<((String, i32), i64)>,
}

impl Figures {
    fn read(metrics: &Metrics, started: Instant) -> Figures {
        Figures {
            counts: metrics.report(started.elapsed()),
            watermark: metrics.watermark.get(),
            committed_epoch: metrics.committed_epoch.load(Ordering::Relaxed),
            lag: metrics.lag.snapshot(),
        }
    }

    fn total_lag(&self) -> Option<i64> {
        (!self.lag.is_empty()).then(|| self.lag.iter().map(|(_, lag)| *lag).sum())
    }
}

struct View {
    subject: Subject,
    bar: Option<ProgressBar>,
    /// When the previous tick was, and what had been consumed by then.
    previous: Option<(Instant, u64)>,
}

impl View {
    fn new(subject: Subject, line: bool) -> View {
        let bar = line.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(spinner_style());
            bar
        });
        View {
            subject,
            bar,
            previous: None,
        }
    }

    fn publish(&self, figures: &Figures) {
        let input = self.subject.input.to_string();
        let target = self.subject.target.clone();
        metrics::counter!("sluice_source_records_total", "source" => input.clone())
            .absolute(figures.counts.consumed);
        for (operator, outcome, count) in [
            ("filter", "dropped", figures.counts.filtered),
            ("window", "aggregated", figures.counts.aggregated),
            ("window", "rows", figures.counts.window_rows),
            ("flat_map", "added", figures.counts.expanded),
            ("source", "replayed", figures.counts.replayed),
            ("source", "tombstone", figures.counts.tombstones),
        ] {
            metrics::counter!("sluice_operator_records_total", "operator" => operator, "outcome" => outcome)
                .absolute(count);
        }
        metrics::counter!("sluice_sink_rows_total", "sink" => target.clone())
            .absolute(figures.counts.written);
        metrics::counter!("sluice_sink_transactions_total", "sink" => target)
            .absolute(figures.counts.transactions);
        metrics::counter!("sluice_retries_total").absolute(figures.counts.retries);
        metrics::counter!("sluice_consumer_errors_total").absolute(figures.counts.consumer_errors);
        for ((topic, partition), lag) in &figures.lag {
            metrics::gauge!("sluice_lag_messages", "source" => topic.clone(), "partition" => partition.to_string())
                .set(*lag as f64);
        }
        if let Some(watermark) = figures.watermark {
            metrics::gauge!("sluice_watermark_milliseconds").set(watermark as f64);
        }
        metrics::gauge!("sluice_committed_epoch").set(figures.committed_epoch as f64);
    }

    /// One line: rates, lag, watermark, dead letters.
    fn describe(&self, figures: &Figures) -> String {
        let rate = match self.previous {
            Some((at, consumed)) => {
                let seconds = at.elapsed().as_secs_f64().max(1e-3);
                figures.counts.consumed.saturating_sub(consumed) as f64 / seconds
            }
            None => 0.0,
        };
        let lag = figures
            .total_lag()
            .map_or_else(|| "lag ?".to_owned(), |lag| format!("lag {lag}"));
        let watermark = figures.watermark.map_or_else(
            || "no watermark".to_owned(),
            |millis| match chrono::DateTime::from_timestamp_millis(millis) {
                Some(time) => format!("watermark {}", time.format("%Y-%m-%dT%H:%M:%SZ")),
                None => format!("watermark {millis} ms"),
            },
        );
        format!(
            "{} read ({rate:.0}/s), {} rows written, {lag}, {watermark}, {} dead letters",
            figures.counts.consumed, figures.counts.written, figures.counts.dead_lettered
        )
    }

    /// A bar with an ETA once a bounded run knows how much is left, a spinner otherwise.
    fn show(&self, bar: &ProgressBar, figures: &Figures) {
        match figures.total_lag() {
            Some(lag) if self.subject.bounded => {
                if bar.length().is_none() {
                    bar.set_style(bar_style());
                }
                bar.set_length(figures.counts.consumed + u64::try_from(lag).unwrap_or(0));
                bar.set_position(figures.counts.consumed);
            }
            _ => bar.tick(),
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {percent}% ETA {eta} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}
