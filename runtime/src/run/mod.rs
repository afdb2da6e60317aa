//! The run: configuration, the command line, the control every worker shares, signals, the
//! summary, and the wiring of one run (`pipeline.rs`, or `in_memory.rs` without services).

pub(crate) mod check;
pub mod cli;
pub(crate) mod cluster;
pub(crate) mod cluster_failure;
pub(crate) mod cluster_join;
pub(crate) mod config;
pub(crate) mod control;
pub(crate) mod dead_letter_watch;
mod describe;
pub(crate) mod entry;
pub(crate) mod in_memory;
pub(crate) mod kafka_metadata;
pub(crate) mod observe;
mod pipeline;
pub(crate) mod report;
pub(crate) mod signals;
