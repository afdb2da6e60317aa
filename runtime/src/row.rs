//! What `#[derive(Row)]` implements: how a struct becomes a row of a MySQL table.

use sqlx::mysql::MySqlArguments;

use crate::schema::{RowSchema, ValueError};

/// Errors from encoding one value into the statement's arguments.
pub type EncodeError = sqlx::error::BoxDynError;

/// A struct that is written as one row of a MySQL table. Implement it with `#[derive(Row)]`.
///
/// The statement text is fixed when the derive expands; only the number of `VALUES` tuples
/// varies with the batch, and every value is a bound parameter.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a sluice row",
    label = "a MySQL sink needs a type with `#[derive(Row)]`",
    note = "add `#[derive(Row)]` and `#[row(table = \"...\")]` to `{Self}`"
)]
pub trait Row: Send + Sync + 'static {
    /// The table, as named in `#[row(table = "...")]`.
    const TABLE: &'static str;
    /// The columns written, in the order `bind` binds them.
    const COLUMNS: &'static [&'static str];
    /// The columns marked `#[row(key)]`; empty for an append-only table.
    const KEY: &'static [&'static str];
    /// `INSERT INTO `table` (`a`, `b`) VALUES `
    const INSERT: &'static str;
    /// `(?, ?)`: the placeholders of one row.
    const ROW_PLACEHOLDERS: &'static str;
    /// ` ON DUPLICATE KEY UPDATE ...` for a keyed row, empty otherwise.
    const ON_DUPLICATE_KEY: &'static str;

    /// The fields, their types and key, and the DDL the struct was checked against: what the
    /// start-up check compares with the live table.
    const SCHEMA: RowSchema;

    /// Appends this row's values, in `COLUMNS` order.
    fn bind(&self, arguments: &mut MySqlArguments) -> Result<(), EncodeError>;

    /// Checks the values against the limits of their columns (lengths, ranges), as the DDL
    /// declares them; a row that fails goes to the dead-letter table instead of MySQL.
    fn validate(&self) -> Result<(), ValueError>;
}

/// A Rust type a `#[derive(Row)]` field can have: it binds as one MySQL value.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be written to a MySQL column",
    label = "sluice cannot bind `{Self}` as a MySQL value",
    note = "supported: integers, f32, f64, bool, String, &str, Vec<u8>, chrono::DateTime<Utc>, NaiveDateTime, NaiveDate, NaiveTime, serde_json::Value, rust_decimal::Decimal, and Option<T> of these",
    note = "convert the value in the pipeline (e.g. in `map`) to one of these types"
)]
pub trait ColumnValue {
    /// Appends this value to the statement's arguments.
    fn bind(&self, arguments: &mut MySqlArguments) -> Result<(), EncodeError>;
}

macro_rules! column_values {
    ($($ty:ty),* $(,)?) => {$(
        impl ColumnValue for $ty {
            #[inline]
            fn bind(&self, arguments: &mut MySqlArguments) -> Result<(), EncodeError> {
                sqlx::Arguments::add(arguments, self)
            }
        }
    )*};
}

column_values!(
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    u64,
    f32,
    f64,
    bool,
    String,
    Vec<u8>,
    chrono::DateTime<chrono::Utc>,
    chrono::NaiveDateTime,
    chrono::NaiveDate,
    chrono::NaiveTime,
    serde_json::Value,
    rust_decimal::Decimal,
);

impl ColumnValue for &str {
    #[inline]
    fn bind(&self, arguments: &mut MySqlArguments) -> Result<(), EncodeError> {
        sqlx::Arguments::add(arguments, *self)
    }
}

impl<T: ColumnValue> ColumnValue for Option<T> {
    #[inline]
    fn bind(&self, arguments: &mut MySqlArguments) -> Result<(), EncodeError> {
        match self {
            Some(value) => value.bind(arguments),
            // NULL of the column's type: MySQL converts it, whatever type is announced.
            None => sqlx::Arguments::add(arguments, Option::<i64>::None),
        }
    }
}
