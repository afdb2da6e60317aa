//! The print sink: each record as one line of JSON on standard output (a delete of a change
//! stream as `{"deleted": ...}`), for development.
//!
//! A line is written (and flushed) before the sink lets its epoch go, so a record a later
//! commit point covers has been printed. When `Print` is the pipeline's committer (no output
//! stores positions), the ledger's positions are let go and its dead letters logged.

use std::io::Write;
use std::sync::Arc;

use serde::Serialize;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use crate::contract::connectors::Print;
use crate::contract::sink::{Positions, Sink, SinkRole};
use crate::contract::startup::Startup;
use crate::dataflow::item::Item;
use crate::dataflow::stream::Stream;
use crate::dataflow::worker::WorkerShared;
use crate::dead_letter::{DeadLetter, DeadLetterKind, log_unstored};
use crate::delivery::{Epoch, complete_before};
use crate::error::{Error, Result};
use crate::run::check::{CheckContext, Preflight};
use crate::run::config::Config;
use crate::run::report::Metrics;

/// What every worker's print sink shares: nothing yet but the input's name.
#[derive(Debug)]
pub struct PrintPlan {
    input: Arc<str>,
}

#[allow(private_interfaces)]
impl<T: Serialize + 'static> Sink for Print<T> {
    type Item = T;
    type Plan = PrintPlan;
    const POSITIONS: Positions = Positions::Nowhere;

    fn target(_config: &Config) -> String {
        "print".to_owned()
    }

    fn describe(_config: &Config) -> String {
        "print (standard output)".to_owned()
    }

    fn check(_context: &CheckContext<'_>, report: &mut Preflight) {
        report.ok("print: standard output");
    }

    fn prepare(startup: &Startup<'_>) -> Result<PrintPlan> {
        Ok(PrintPlan {
            input: Arc::clone(&startup.input),
        })
    }

    fn build<'scope>(
        plan: &Arc<PrintPlan>,
        stream: Stream<'scope, T>,
        role: &SinkRole,
    ) -> StreamVec<'scope, Epoch, ()> {
        print_sink(stream, Arc::clone(plan), role.clone())
    }

    fn finish(_plan: &PrintPlan, shared: &WorkerShared, role: &SinkRole) -> Result<()> {
        if role.commits {
            let rest = shared.ledger.borrow_mut().take_before(Epoch::MAX);
            log_unstored(&rest.dead_letters);
        }
        Ok(())
    }
}

fn print_sink<'scope, T: Serialize + 'static>(
    stream: Stream<'scope, T>,
    plan: Arc<PrintPlan>,
    role: SinkRole,
) -> StreamVec<'scope, Epoch, ()> {
    let (inner, shared, lineage) = stream.into_sink_input(role.output, role.commits);
    let mut window_marks = lineage.window_marks(shared.index, shared.peers);
    let mut reported = i64::MIN;
    let mut done: Epoch = 0;
    let mut line = Vec::new();
    inner.unary_frontier::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
        Pipeline,
        "Print",
        move |_, _| {
            move |(input, frontier), _output| {
                let control = &shared.control;
                let (mut printed, mut from_windows, mut refused) = (0u64, 0u64, 0u64);
                let stdout = std::io::stdout();
                let mut out = stdout.lock();
                let mut failure = None;
                input.for_each(|_, batch| {
                    for item in batch.drain(..) {
                        let (origin, record) = match item {
                            Item::Record(origin, record) => (origin, record),
                            Item::Watermark(mark) => {
                                window_marks.update(mark);
                                continue;
                            }
                        };
                        line.clear();
                        if origin.is_delete() {
                            line.extend_from_slice(b"{\"deleted\":");
                        }
                        if let Err(error) = serde_json::to_writer(&mut line, &record) {
                            refused += 1;
                            shared.ledger.borrow_mut().reject(DeadLetter::of_record(
                                &plan.input,
                                origin,
                                DeadLetterKind::Convert,
                                format!("cannot print the record as JSON: {error}"),
                            ));
                            continue;
                        }
                        if origin.is_delete() {
                            line.push(b'}');
                        }
                        line.push(b'\n');
                        if let Err(error) = out.write_all(&line) {
                            failure.get_or_insert(error);
                        }
                        printed += 1;
                        from_windows += u64::from(origin.is_derived());
                    }
                });
                if let Err(error) = out.flush() {
                    failure.get_or_insert(error);
                }
                if let Some(error) = failure {
                    control.fail(Error::Worker(format!(
                        "cannot print to standard output: {error}"
                    )));
                }
                Metrics::add(&control.metrics.written, printed);
                Metrics::add(&control.metrics.window_rows, from_windows);
                Metrics::add(&control.metrics.dead_lettered, refused);
                let commits = &control.window_commits;
                if window_marks.merged() > reported {
                    reported = window_marks.merged();
                    commits.written(shared.index, role.output, reported);
                }
                let complete = complete_before(frontier.frontier());
                if role.commits && complete > done {
                    // Nothing stores positions: what is complete is done with.
                    done = complete;
                    let gone = shared.ledger.borrow_mut().take_before(complete);
                    log_unstored(&gone.dead_letters);
                    commits.committed(shared.index, complete);
                }
            }
        },
    )
}
