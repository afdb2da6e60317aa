//! The contracts the generated code implements: a message a source decodes, a row a sink
//! writes.

pub(crate) mod message;
pub(crate) mod row;
