//! A describing run: the pipeline body built once over an empty input on a worker that never
//! runs, so that its operators add themselves to the graph. It connects to nothing.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use timely::communication::Allocator;
use timely::communication::allocator::thread::Thread;
use timely::dataflow::operators::generic::operator::empty;
use timely::worker::Worker;

use crate::contract::outputs::Outputs;
use crate::contract::source::Source;
use crate::dataflow::graph::Graph;
use crate::dataflow::lineage::Lineage;
use crate::dataflow::stream::Stream;
use crate::dataflow::worker::{Restored, WorkerShared};
use crate::delivery::Epoch;
use crate::delivery::WindowCommits;
use crate::run::config::Config;
use crate::run::control::RunControl;
use crate::run::dead_letter_watch::DeadLetterWatch;

/// The dataflow of the pipeline `name`, whose body is `build`, as `config` would run it.
pub fn describe_pipeline<S, O, F>(name: &str, config: &Config, build: F) -> Graph
where
    S: Source,
    O: Outputs,
    F: for<'scope> Fn(Stream<'scope, S::Record>) -> O::Streams<'scope>,
{
    let control = Arc::new(RunControl::new(
        None,
        WindowCommits::new(1, O::COUNT),
        DeadLetterWatch::new(None, 0, false),
    ));
    let mut shared = WorkerShared::new(
        control,
        S::input_name(config),
        S::HAS_EVENT_TIME,
        (0, 1),
        Restored::default(),
    );
    shared.graph = Some(RefCell::new(Graph::new(name, S::describe(config))));
    let shared = Rc::new(shared);
    let mut worker = Worker::new(
        timely::WorkerConfig::default(),
        Allocator::Thread(Thread::default()),
        None,
    );
    worker.dataflow::<Epoch, _, _>(|scope| {
        let records = empty(scope);
        let streams = build(Stream::new(records, Rc::clone(&shared), Lineage::default()));
        if let Some(graph) = &shared.graph {
            O::describe(streams, config, &mut graph.borrow_mut());
        }
    });
    let graph = shared.graph.as_ref().map(|graph| graph.borrow().clone());
    graph.unwrap_or_else(|| Graph::new(name, S::describe(config)))
}
