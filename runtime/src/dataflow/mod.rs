//! The dataflow a pipeline body builds: the stream and its items, what travels with it
//! (lineage), what one worker's operators share, and the operators.

pub(crate) mod graph;
pub(crate) mod item;
pub(crate) mod lineage;
pub(crate) mod operators;
pub(crate) mod stream;
pub(crate) mod worker;
