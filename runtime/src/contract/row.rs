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

    /// `DELETE FROM `table` WHERE ` for a keyed row, empty otherwise.
    const DELETE: &'static str = "";
    /// `` `id` = ? `` or `` (`a` = ? AND `b` = ?) ``: the condition that matches one row by
    /// its key, joined with `OR` after [`DELETE`](Row::DELETE); empty for an append-only row.
    const KEY_MATCH: &'static str = "";

    /// The fields, their types and key, and the DDL the struct was checked against: what the
    /// start-up check compares with the live table.
    const SCHEMA: RowSchema;

    /// Appends this row's values, in `COLUMNS` order.
    fn bind(&self, arguments: &mut MySqlArguments) -> Result<(), EncodeError>;

    /// Appends the values of the key columns, in `KEY` order: what [`KEY_MATCH`](Row::KEY_MATCH)
    /// binds.
    fn bind_key(&self, _arguments: &mut MySqlArguments) -> Result<(), EncodeError> {
        Ok(())
    }

    /// At most how many bytes `bind_key` appends.
    fn encoded_key_len(&self) -> usize {
        Self::KEY.len() * FIXED_WIDTH_LEN
    }

    /// Feeds the key's values to `state`: rows with equal keys hash equally. A sink that
    /// applies upserts and deletes in one transaction orders them by it; rows whose keys merely
    /// hash alike are kept in order too, so the default (every key alike) is only slower.
    fn hash_key(&self, _state: &mut dyn std::hash::Hasher) {}

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

    /// Feeds the value to `state` when it is part of a key (see [`Row::hash_key`]); equal
    /// values must feed the same bytes.
    fn hash_value(&self, _state: &mut dyn std::hash::Hasher) {}
}

macro_rules! column_values {
    ($($ty:ty => |$value:ident| $len:expr, |$hashed:ident, $state:ident| $hash:expr);* $(;)?) => {$(
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

            #[inline]
            fn hash_value(&self, $state: &mut dyn std::hash::Hasher) {
                let $hashed = self;
                $hash
            }
        }
    )*};
}

column_values!(
    i8 => |_v| 1, |v, state| state.write_i64(i64::from(*v));
    i16 => |_v| 2, |v, state| state.write_i64(i64::from(*v));
    i32 => |_v| 4, |v, state| state.write_i64(i64::from(*v));
    i64 => |_v| 8, |v, state| state.write_i64(*v);
    u8 => |_v| 1, |v, state| state.write_u64(u64::from(*v));
    u16 => |_v| 2, |v, state| state.write_u64(u64::from(*v));
    u32 => |_v| 4, |v, state| state.write_u64(u64::from(*v));
    u64 => |_v| 8, |v, state| state.write_u64(*v);
    f32 => |_v| 4, |v, state| state.write_u64(f64::from(*v).to_bits());
    f64 => |_v| 8, |v, state| state.write_u64(v.to_bits());
    bool => |_v| 1, |v, state| state.write_u8(u8::from(*v));
    // Keys that differ in ASCII case or trailing spaces may be equal under the column's
    // collation: hashing the folded text keeps them in one bucket, so they stay in order.
    String => |v| v.len() + LENGTH_PREFIX_LEN, |v, state| hash_folded(v.as_bytes(), state);
    Vec<u8> => |v| v.len() + LENGTH_PREFIX_LEN, |v, state| state.write(v);
    chrono::DateTime<chrono::Utc> => |_v| 12, |v, state| state.write_i64(v.timestamp_micros());
    chrono::NaiveDateTime => |_v| 12, |v, state| state.write_i64(v.and_utc().timestamp_micros());
    chrono::NaiveDate => |_v| 5, |v, state| state.write_i32(chrono::Datelike::num_days_from_ce(v));
    chrono::NaiveTime => |_v| 13, |v, state| {
        state.write_u32(chrono::Timelike::num_seconds_from_midnight(v));
        state.write_u32(chrono::Timelike::nanosecond(v));
    };
    serde_json::Value => |v| json_len(v) + LENGTH_PREFIX_LEN, |_v, _state| ();
    // Sent as text: a sign, 28 digits, a point.
    rust_decimal::Decimal => |_v| FIXED_WIDTH_LEN, |v, state| {
        std::hash::Hash::hash(&v.normalize(), &mut HasherRef(state));
    };
);

/// Lets a `dyn Hasher` take a value that hashes through a generic `H: Hasher`.
struct HasherRef<'a>(&'a mut dyn std::hash::Hasher);

impl std::hash::Hasher for HasherRef<'_> {
    fn finish(&self) -> u64 {
        self.0.finish()
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }
}

/// Feeds text folded to ASCII lower case, without its non-ASCII bytes or trailing spaces, so
/// that keys a case-insensitive, PAD SPACE collation calls equal hash alike (many unequal keys
/// do too, which only costs statements). A change stream carries each row's key as stored, so
/// a key written once with and once without an accent does not occur in it.
fn hash_folded(text: &[u8], state: &mut dyn std::hash::Hasher) {
    let end = text
        .iter()
        .rposition(|b| *b != b' ')
        .map_or(0, |last| last + 1);
    for byte in text[..end].iter().filter(|b| b.is_ascii()) {
        state.write_u8(byte.to_ascii_lowercase());
    }
}

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

    #[inline]
    fn hash_value(&self, state: &mut dyn std::hash::Hasher) {
        hash_folded(self.as_bytes(), state);
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

    #[inline]
    fn hash_value(&self, state: &mut dyn std::hash::Hasher) {
        if let Some(value) = self {
            value.hash_value(state);
        }
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
