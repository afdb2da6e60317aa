//! `Row::SCHEMA`: the row's shape and the DDL it was checked against, fixed at compile time.

use sluice_schema::RowShape;

/// What `#[derive(Row)]` records about a row for the start-up checks.
#[derive(Debug, Clone, Copy)]
pub struct RowSchema {
    /// The written fields, their types and the key.
    pub shape: RowShape<'static>,
    /// The DDL the row was checked against, when it names one (`migrations` or `schema`).
    pub declared: Option<Declared>,
}

/// The table as the DDL declared it when the crate was compiled.
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    /// The `migrations = "..."` or `schema = "..."` path, for messages.
    pub source: &'static str,
    /// Each written column's declared type and nullability, in field order.
    pub columns: &'static [DeclaredColumn],
    /// The migrations, in version order; empty for a schema file.
    pub migrations: &'static [MigrationFile],
}

/// One written column as declared.
#[derive(Debug, Clone, Copy)]
pub struct DeclaredColumn {
    /// Its name.
    pub column: &'static str,
    /// Its type, as `SqlType` displays it (`INT UNSIGNED`, `VARCHAR(32)`).
    pub sql_type: &'static str,
    /// Whether it accepts `NULL`.
    pub nullable: bool,
}

/// One migration file, embedded in the binary.
#[derive(Debug, Clone, Copy)]
pub struct MigrationFile {
    /// `20250101120000_create_orders.sql`.
    pub name: &'static str,
    /// Its content.
    pub sql: &'static str,
}
