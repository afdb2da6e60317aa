//! The run: configuration, the command line, the control every worker shares, signals, the
//! summary, and the wiring of one run (`pipeline.rs`, or `in_memory.rs` without services).

pub mod cli;
pub(crate) mod config;
pub(crate) mod control;
pub(crate) mod dead_letter_watch;
mod describe;
pub(crate) mod in_memory;
pub(crate) mod observe;
mod pipeline;
pub(crate) mod report;
pub(crate) mod signals;

pub use describe::describe_pipeline;
pub use pipeline::run_pipeline;
