//! What `#[derive(Row)]` implements: how a struct becomes a row of a MySQL table.

use sqlx::mysql::MySqlArguments;

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

    /// Appends this row's values, in `COLUMNS` order.
    fn bind(&self, arguments: &mut MySqlArguments) -> Result<(), EncodeError>;
}
