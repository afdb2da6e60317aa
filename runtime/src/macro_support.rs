//! The only items generated code calls, re-exported as `::sluice::__private`. Not a public API.

pub use chrono;
pub use sqlx::mysql::MySqlArguments;

pub use crate::codec::avro;
pub use crate::codec::csv::{CsvReader, CsvStyle, write_field as write_csv_field};
pub use crate::codec::debezium;
pub use crate::codec::json::JsonReader;
pub use crate::codec::protobuf;
pub use crate::codec::time::EpochField;
pub use crate::codec::{
    CsvEpochField, DecodeError, EncodeMessageError, FromCsv, FromJson, KeyBytes, ToEpoch, ToJson,
    narrow_float,
};
pub use crate::contract::message::Message;
pub use crate::contract::message::{AvroSchema, Change, EventTime, Format};
pub use crate::contract::outputs::Outputs;
pub use crate::contract::row::Row;
pub use crate::contract::row::{
    CannotDefault, CannotRead, ColumnOf, ColumnValue, DefaultOf, EncodeError, ReadWithDefault,
    ReadWithSqlx,
};
pub use crate::contract::sink::Sink;
pub use crate::contract::source::Source;
pub use crate::dataflow::graph::Graph;
pub use crate::dataflow::stream::Stream;
pub use crate::error::Result;
pub use crate::run::check::Preflight;
pub use crate::run::cli::{main_with, main_with_args};
pub use crate::run::config::Config;
pub use crate::run::entry::Entry;
pub use crate::run::report::RunReport;

pub use crate::table::{
    CheckValue, Declared, DeclaredColumn, MigrationFile, RowSchema, ValueError, ValueLimit,
};
pub use sluice_schema::{RowField, RowShape, RustType};
pub use sqlx::mysql::MySqlRow;
