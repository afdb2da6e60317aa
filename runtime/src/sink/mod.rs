//! Sinks: operators that write a stream out and hold each epoch until it is durable.

mod chunks;
pub(crate) mod discard;
mod isolate;
pub(crate) mod mysql;
mod retry;
mod statement;

pub(crate) use chunks::statement_ranges;
