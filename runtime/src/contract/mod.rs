//! The contracts: what the generated code implements (a message a source decodes, a row a
//! sink writes), and the seams every source and sink plugs into.

pub(crate) mod connectors;
pub(crate) mod message;
pub(crate) mod outputs;
pub(crate) mod row;
pub(crate) mod sink;
pub(crate) mod source;
pub(crate) mod startup;
