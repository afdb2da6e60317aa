//! A pipeline as its generated module sees it: its name and body behind one value, which
//! runs it, draws it (`--print-graph`) and checks what it uses (`--check`).

use crate::contract::outputs::Outputs;
use crate::contract::source::Source;
use crate::dataflow::graph::Graph;
use crate::dataflow::stream::Stream;
use crate::error::Result;
use crate::run::check::{Preflight, check_pipeline};
use crate::run::config::Config;
use crate::run::describe::describe_pipeline;
use crate::run::pipeline::run_pipeline;
use crate::run::report::RunReport;

/// A pipeline body: the input stream to one stream per output.
pub type Body<S, O> =
    for<'scope> fn(Stream<'scope, <S as Source>::Record>) -> <O as Outputs>::Streams<'scope>;

/// The pipeline `name` reading `S` and writing `O`, with its body.
#[doc(hidden)]
#[allow(missing_debug_implementations)]
pub struct Entry {
    name: &'static str,
    run: Box<dyn Fn(Config) -> Result<RunReport>>,
    graph: Box<dyn Fn(&Config) -> Graph>,
    check: Box<dyn Fn(&Config) -> Preflight>,
}

impl Entry {
    pub fn new<S: Source, O: Outputs>(name: &'static str, body: Body<S, O>) -> Entry {
        Entry {
            name,
            run: Box::new(move |config| run_pipeline::<S, O, _>(name, config, body)),
            graph: Box::new(move |config| describe_pipeline::<S, O, _>(name, config, body)),
            check: Box::new(check_pipeline::<S, O>),
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Runs the pipeline until it is stopped or its input is exhausted.
    pub fn run(&self, config: Config) -> Result<RunReport> {
        (self.run)(config)
    }

    /// The dataflow as `config` would run it.
    pub fn graph(&self, config: &Config) -> Graph {
        (self.graph)(config)
    }

    /// What the pipeline uses, verified.
    pub fn check(&self, config: &Config) -> Preflight {
        (self.check)(config)
    }
}
