//! What `#[derive(Row)]` implements: how a struct becomes a row of a MySQL table.

use sqlx::mysql::MySqlArguments;

use crate::table::{RowSchema, ValueError};

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

    /// Whether a field is marked `#[row(event_time)]`: a table source then gives its rows an
    /// event time, for windows.
    const HAS_EVENT_TIME: bool = false;

    /// The event time of this row in milliseconds since the epoch, from the field marked
    /// `#[row(event_time)]`.
    fn event_time_millis(&self) -> Option<i64> {
        None
    }

    /// Reads one row of the table back into the struct (a `MySqlTable<R>` source): each
    /// column into its field, a `#[row(skip)]` field from `Default`. An error names the
    /// column and why.
    fn read(row: &sqlx::mysql::MySqlRow) -> Result<Self, String>
    where
        Self: Sized;

    /// At most how many bytes `bind` appends: what sizes statements against the server's
    /// `max_allowed_packet`. The derive sums [`ColumnValue::encoded_len`] over the fields;
    /// this default suits rows of fixed-width values only.
    fn encoded_len(&self) -> usize {
        Self::COLUMNS.len() * FIXED_WIDTH_LEN
    }
}

/// The most bytes a fixed-width value (number, date, time, decimal) takes in a statement.
const FIXED_WIDTH_LEN: usize = 32;

/// The most bytes the length prefix of a string or byte value takes.
const LENGTH_PREFIX_LEN: usize = 9;

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

    /// At most how many bytes `bind` appends, its length prefix included.
    fn encoded_len(&self) -> usize {
        FIXED_WIDTH_LEN
    }
}

macro_rules! column_values {
    ($($ty:ty => |$value:ident| $len:expr),* $(,)?) => {$(
        impl ColumnValue for $ty {
            #[inline]
            fn bind(&self, arguments: &mut MySqlArguments) -> Result<(), EncodeError> {
                sqlx::Arguments::add(arguments, self)
            }

            #[inline]
            fn encoded_len(&self) -> usize {
                let $value = self;
                $len
            }
        }
    )*};
}

column_values!(
    i8 => |_v| 1,
    i16 => |_v| 2,
    i32 => |_v| 4,
    i64 => |_v| 8,
    u8 => |_v| 1,
    u16 => |_v| 2,
    u32 => |_v| 4,
    u64 => |_v| 8,
    f32 => |_v| 4,
    f64 => |_v| 8,
    bool => |_v| 1,
    String => |v| v.len() + LENGTH_PREFIX_LEN,
    Vec<u8> => |v| v.len() + LENGTH_PREFIX_LEN,
    chrono::DateTime<chrono::Utc> => |_v| 12,
    chrono::NaiveDateTime => |_v| 12,
    chrono::NaiveDate => |_v| 5,
    chrono::NaiveTime => |_v| 13,
    serde_json::Value => |v| json_len(v) + LENGTH_PREFIX_LEN,
    // Sent as text: a sign, 28 digits, a point.
    rust_decimal::Decimal => |_v| FIXED_WIDTH_LEN,
);

/// The length of a JSON value's text, which is how it is sent.
fn json_len(value: &serde_json::Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        // Writing to a counter cannot fail; a value that cannot be written fails in `bind`.
        Err(_) => 0,
    }
}

impl ColumnValue for &str {
    #[inline]
    fn bind(&self, arguments: &mut MySqlArguments) -> Result<(), EncodeError> {
        sqlx::Arguments::add(arguments, *self)
    }

    #[inline]
    fn encoded_len(&self) -> usize {
        self.len() + LENGTH_PREFIX_LEN
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

    #[inline]
    fn encoded_len(&self) -> usize {
        self.as_ref().map_or(0, ColumnValue::encoded_len)
    }
}

/// How generated code reads a column into a field of type `T`: with sqlx's decoder when `T`
/// has one ([`ReadWithSqlx`]), otherwise an error that says so ([`CannotRead`]). The choice is
/// made by method resolution on the concrete type, so a row type that only writes still
/// compiles.
#[derive(Debug)]
pub struct ColumnOf<T>(std::marker::PhantomData<T>);

impl<T> ColumnOf<T> {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        ColumnOf(std::marker::PhantomData)
    }
}

/// See [`ColumnOf`].
pub trait ReadWithSqlx<T> {
    fn read_column(&self, row: &sqlx::mysql::MySqlRow, column: &str) -> Result<T, String>;
}

impl<T> ReadWithSqlx<T> for ColumnOf<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::MySql> + sqlx::Type<sqlx::MySql>,
{
    fn read_column(&self, row: &sqlx::mysql::MySqlRow, column: &str) -> Result<T, String> {
        sqlx::Row::try_get::<T, _>(row, column).map_err(|e| format!("column `{column}`: {e}"))
    }
}

/// See [`ColumnOf`].
pub trait CannotRead<T> {
    fn read_column(&self, row: &sqlx::mysql::MySqlRow, column: &str) -> Result<T, String>;
}

impl<T> CannotRead<T> for &ColumnOf<T> {
    fn read_column(&self, _: &sqlx::mysql::MySqlRow, column: &str) -> Result<T, String> {
        Err(format!(
            "column `{column}`: its field type `{}` cannot be read from MySQL",
            std::any::type_name::<T>()
        ))
    }
}

/// How generated code fills a `#[row(skip)]` field of a row read back: `Default` when `T` has
/// one, otherwise an error.
#[derive(Debug)]
pub struct DefaultOf<T>(std::marker::PhantomData<T>);

impl<T> DefaultOf<T> {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        DefaultOf(std::marker::PhantomData)
    }
}

/// See [`DefaultOf`].
pub trait ReadWithDefault<T> {
    fn default_value(&self, field: &str) -> Result<T, String>;
}

impl<T: Default> ReadWithDefault<T> for DefaultOf<T> {
    fn default_value(&self, _: &str) -> Result<T, String> {
        Ok(T::default())
    }
}

/// See [`DefaultOf`].
pub trait CannotDefault<T> {
    fn default_value(&self, field: &str) -> Result<T, String>;
}

impl<T> CannotDefault<T> for &DefaultOf<T> {
    fn default_value(&self, field: &str) -> Result<T, String> {
        Err(format!(
            "`{field}` is #[row(skip)] and `{}` has no Default: the row cannot be read back",
            std::any::type_name::<T>()
        ))
    }
}
