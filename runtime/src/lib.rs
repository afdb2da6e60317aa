//! The runtime of [sluice](https://docs.rs/sluice): timely workers, the Kafka source, the
//! MySQL sink, the codecs the generated code calls. Use it through the `sluice` crate.

pub mod cli;
pub mod codec;
mod config;
mod control;
pub mod dead_letter;
mod dead_letter_watch;
mod delivery;
mod error;
mod item;
pub mod kafka;
mod lineage;
#[doc(hidden)]
pub mod macro_support;
mod message;
mod ops;
mod report;
mod row;
mod run;
mod run_in_memory;
mod schema;
mod signals;
mod sink;
mod source;
mod stream;
mod window_progress;
mod worker;
pub mod workload;

pub use config::{Config, DEFAULT_DATABASE_URL, OffsetReset, StartFrom};
pub use delivery::Epoch;
pub use error::{Error, Result};
pub use message::{DEFAULT_MAX_FUTURE_MILLIS, EventTime, Format, Message};
pub use ops::{
    Exchanged, Key, KeyedStream, Records, Session, Sliding, Summable, Tumbling, Window, WindowSpec,
    WindowedStream,
};
pub use report::RunReport;
pub use row::{ColumnValue, EncodeError, Row};
pub use run_in_memory::{InMemory, run_in_memory};
pub use schema::{
    CheckValue, Declared, DeclaredColumn, MigrationFile, RowSchema, ValueError, ValueLimit,
};
pub use stream::Stream;
