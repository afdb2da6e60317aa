//! What a source or a sink is given to prepare itself at start-up, once per run.

use std::sync::Arc;

use sqlx::{MySql, Pool};

use crate::contract::sink::Positions;
use crate::delivery::acknowledge::Acknowledgements;
use crate::run::config::Config;

/// The run being started, as sources and sinks see it before the workers start.
#[doc(hidden)]
#[derive(Debug)]
pub struct Startup<'a> {
    pub(crate) config: &'a Config,
    pub(crate) runtime: &'a tokio::runtime::Runtime,
    /// The database that stores positions, dead letters and watermarks (and that a table
    /// source reads); `None` when no output stores positions and the source reads no table.
    pub(crate) database: Option<Pool<MySql>>,
    /// Where the outputs store the input's positions: a restart resumes from them.
    pub(crate) positions: Positions,
    /// How many outputs the pipeline has.
    pub(crate) outputs: usize,
    /// The id the run's positions are stored under.
    pub(crate) pipeline: Arc<str>,
    /// What the input reads (a topic), for dead letters and logs.
    pub(crate) input: Arc<str>,
    /// Where the committer reports stored positions, and the source listens for them.
    pub(crate) acknowledgements: Arc<Acknowledgements>,
}
