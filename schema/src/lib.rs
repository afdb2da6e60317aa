//! What sluice knows about MySQL tables, shared by the macros (checking a `#[derive(Row)]`
//! struct against its DDL at compile time) and the runtime (checking it against the live table
//! at start-up).
//!
//! - [`SqlType`]: a column type, from DDL or from `information_schema.COLUMNS.COLUMN_TYPE`.
//! - [`Table`]: columns, primary key and unique keys.
//! - [`ddl`]: a migrations folder or schema file replayed into the tables it leaves behind.
//! - [`check_row`]: the rules a row must satisfy against a table, including the
//!   Rust/MySQL type compatibility matrix ([`compatibility`]).

pub mod avro;
mod check;
mod compat;
pub mod ddl;
mod duration;
mod limit;
mod names;
pub mod protobuf;
mod rust_type;
mod sql_type;
mod table;

pub use check::{Problem, RowField, RowShape, Subject, check_row};
pub use compat::{Incompatible, compatibility};
pub use duration::parse_duration_millis;
pub use limit::Limit;
pub use names::closest;
pub use rust_type::RustType;
pub use sql_type::{SqlType, TextSize};
pub use table::{Column, Index, Table};

/// MySQL compares column names without regard to case.
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}
