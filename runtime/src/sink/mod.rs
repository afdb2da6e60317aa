//! Sinks: operators that write a stream out and hold each epoch until it is durable.

pub(crate) mod mysql;
mod statement;
