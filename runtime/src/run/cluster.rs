//! What the processes of a cluster run tell each other besides records: the facts the commit
//! points decide from, a graceful stop, the epochs a stop holds back, and a failure.
//!
//! Inside one process the workers share these through [`RunControl`]. Across processes they
//! travel on a small dataflow of their own beside the pipeline's: each process's first worker
//! sends what changed since its last step, numbered, to every worker; each process's first
//! worker applies what the others sent, in the order they sent it. Timely's own progress
//! tracking already spans processes, so the commit horizon (a probe over every sink) needs
//! nothing here.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use timely::dataflow::InputHandleVec;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::{Broadcast, Input};
use timely::worker::Worker;

use crate::delivery::{CommitFact, Epoch};
use crate::error::Error;
use crate::run::control::RunControl;

/// How long an idle worker waits for news between two looks at its own state.
const PARK: Duration = Duration::from_millis(20);

#[derive(Debug, Clone, Serialize, Deserialize)]
enum News {
    Commits(CommitFact),
    /// A graceful stop (a signal reached that process).
    Shutdown,
    /// No offsets of this epoch or later may be committed (see `RunControl::hold_commits_from`).
    HoldCommitsFrom(Epoch),
    /// The process stopped on this error.
    Failed(String),
}

/// What one process sent in one step.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Dispatch {
    process: usize,
    number: u64,
    news: Vec<News>,
}

/// One worker's end of the cluster's news: every worker builds it (timely dataflows are built
/// by every worker alike); only each process's first worker sends and applies news.
pub(crate) struct ClusterLink {
    control: Arc<RunControl>,
    input: Option<InputHandleVec<u64, Dispatch>>,
    /// The pipeline's dataflow, which the run waits for.
    pipeline: usize,
    sender: Option<Sender>,
}

/// What the first worker of a process has told the others so far.
struct Sender {
    control: Arc<RunControl>,
    process: usize,
    number: u64,
    told_shutdown: bool,
    told_horizon: Epoch,
    told_failure: bool,
    /// The failure came from another process: it is not sent back.
    heard_failure: Rc<Cell<bool>>,
}

impl ClusterLink {
    /// Builds the news dataflow on `worker`, the first of `threads` workers of process
    /// `process` sending and applying news. Call it right after building the pipeline's
    /// dataflow, whose index is `pipeline`.
    pub fn build(
        worker: &mut Worker,
        control: &Arc<RunControl>,
        (process, threads): (usize, usize),
        pipeline: usize,
    ) -> ClusterLink {
        let first = worker.index().is_multiple_of(threads.max(1));
        let heard_failure = Rc::new(Cell::new(false));
        let input = worker.dataflow::<u64, _, _>(|scope| {
            let (input, stream) = scope.new_input::<Dispatch>();
            let mut applier = first.then(|| Applier {
                control: Arc::clone(control),
                process,
                next: BTreeMap::new(),
                waiting: BTreeMap::new(),
                heard_failure: Rc::clone(&heard_failure),
            });
            stream
                .broadcast()
                .sink(Pipeline, "cluster news", move |(input, _frontier)| {
                    input.for_each(|_time, dispatches| {
                        if let Some(applier) = applier.as_mut() {
                            for dispatch in dispatches.drain(..) {
                                applier.receive(dispatch);
                            }
                        }
                    });
                });
            input
        });
        let sender = first.then(|| Sender {
            control: Arc::clone(control),
            process,
            number: 0,
            told_shutdown: false,
            told_horizon: Epoch::MAX,
            told_failure: false,
            heard_failure,
        });
        ClusterLink {
            control: Arc::clone(control),
            input: Some(input),
            pipeline,
            sender,
        }
    }

    /// Steps `worker` until the pipeline's dataflow has finished everywhere or the run failed,
    /// sending this process's news at every step; then makes sure the other processes have
    /// everything this one reported, and this one everything they did.
    pub fn run(mut self, worker: &mut Worker) {
        loop {
            self.send_news();
            if self.control.failed() {
                // The failure goes out with this step; the other processes stop on it.
                worker.step();
                return;
            }
            if !worker.step_or_park(Some(PARK))
                || !worker.installed_dataflows().contains(&self.pipeline)
            {
                break;
            }
        }
        self.send_news();
        // Every process closes its input once its pipeline is done; when the news dataflow
        // is done too, every process has applied every other's news.
        drop(self.input.take());
        while !self.control.failed() && worker.step_or_park(Some(PARK)) {}
    }

    /// Sends what changed since the last step (first worker of a process only).
    fn send_news(&mut self) {
        let (Some(sender), Some(input)) = (self.sender.as_mut(), self.input.as_mut()) else {
            return;
        };
        let news = sender.news();
        if !news.is_empty() {
            input.send(Dispatch {
                process: sender.process,
                number: sender.number,
                news,
            });
            input.flush();
            sender.number += 1;
        }
    }
}

impl Sender {
    /// What changed since the last dispatch. What restricts commits (a stop, a hold, a failure)
    /// comes first: a window operator holds commits back before it reports the release that
    /// follows, and the other processes must apply them in that order. The commit facts are
    /// taken first, so that a hold reported before one of them is seen too.
    fn news(&mut self) -> Vec<News> {
        let control = &self.control;
        let facts = control.window_commits.take_unsent();
        let mut news = Vec::new();
        if control.shutdown_requested() && !self.told_shutdown {
            self.told_shutdown = true;
            news.push(News::Shutdown);
        }
        let horizon = control.commit_horizon();
        if horizon < self.told_horizon {
            self.told_horizon = horizon;
            news.push(News::HoldCommitsFrom(horizon));
        }
        if control.failed() && !self.told_failure && !self.heard_failure.get() {
            self.told_failure = true;
            let why = control
                .error_text()
                .unwrap_or_else(|| "an unknown error".into());
            news.push(News::Failed(why));
        }
        news.extend(facts.into_iter().map(News::Commits));
        news
    }
}

/// Applies the news of the other processes, each process's dispatches in the order it sent them.
struct Applier {
    control: Arc<RunControl>,
    process: usize,
    /// The number of the next dispatch expected from each process.
    next: BTreeMap<usize, u64>,
    /// Dispatches that arrived before an earlier one of their process.
    waiting: BTreeMap<(usize, u64), Vec<News>>,
    heard_failure: Rc<Cell<bool>>,
}

impl Applier {
    fn receive(&mut self, dispatch: Dispatch) {
        if dispatch.process == self.process {
            return;
        }
        self.waiting
            .insert((dispatch.process, dispatch.number), dispatch.news);
        let from = dispatch.process;
        let mut next = self.next.get(&from).copied().unwrap_or(0);
        while let Some(news) = self.waiting.remove(&(from, next)) {
            next += 1;
            for one in news {
                self.apply(from, one);
            }
        }
        self.next.insert(from, next);
    }

    fn apply(&self, from: usize, news: News) {
        let control = &self.control;
        match news {
            News::Commits(fact) => control.window_commits.apply_from_another_process(fact),
            News::Shutdown => control.request_shutdown(),
            News::HoldCommitsFrom(epoch) => control.hold_commits_from(epoch),
            News::Failed(why) => {
                if !control.failed() {
                    self.heard_failure.set(true);
                    control.fail(Error::Cluster(format!("process {from} stopped: {why}")));
                }
            }
        }
    }
}
