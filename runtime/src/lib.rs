//! The runtime of [sluice](https://docs.rs/sluice): timely workers, the Kafka source, the
//! MySQL sink, the codecs the generated code calls. Use it through the `sluice` crate.

mod amqp;
pub mod codec;
mod contract;
mod dataflow;
pub mod dead_letter;
mod delivery;
mod error;
#[doc(hidden)]
pub mod macro_support;
mod run;
mod schema_registry;
mod sink;
mod source;
mod table;

pub use contract::connectors::{Kafka, MySql, MySqlTable, Print, RabbitMq, RabbitMqStream};
pub use contract::message::{Change, DEFAULT_MAX_FUTURE_MILLIS, EventTime, Format, Message};
pub use contract::outputs::Outputs;
pub use contract::row::{ColumnValue, EncodeError, Row};
pub use contract::sink::Sink;
pub use contract::source::Source;
pub use dataflow::graph::{Graph, GraphFormat};
pub use dataflow::operators::{
    Exchanged, Key, KeyedStream, Lookup, OnMissing, Records, Session, Sliding, Summable, Summaries,
    Summary, Tumbling, Window, WindowSpec, WindowedStream, summary,
};
pub use dataflow::stream::Stream;
pub use delivery::Epoch;
pub use error::{Error, Result};
pub use run::cli;
pub use run::config::{Cluster, Config, DEFAULT_DATABASE_URL, OffsetReset, Progress, StartFrom};
pub use run::in_memory::{InMemory, run_in_memory};
pub use run::report::RunReport;
pub use table::{
    CheckValue, Declared, DeclaredColumn, MigrationFile, RowSchema, ValueError, ValueLimit,
};
