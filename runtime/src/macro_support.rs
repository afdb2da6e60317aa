//! The only items generated code calls, re-exported as `::sluice::__private`. Not a public API.

pub use chrono;
pub use sqlx::mysql::MySqlArguments;

pub use crate::cli::main_with;
pub use crate::codec::json::JsonReader;
pub use crate::codec::time::EpochField;
pub use crate::codec::{DecodeError, FromJson};
pub use crate::config::Config;
pub use crate::error::Result;
pub use crate::message::Message;
pub use crate::message::{EventTime, Format};
pub use crate::report::RunReport;
pub use crate::row::Row;
pub use crate::row::{ColumnValue, EncodeError};
pub use crate::run::run_pipeline;
pub use crate::schema::{
    CheckValue, Declared, DeclaredColumn, MigrationFile, RowSchema, ValueError, ValueLimit,
};
pub use crate::stream::Stream;
pub use sluice_schema::{RowField, RowShape, RustType};
