//! MySQL tables: what a row struct was compiled against (`declared.rs`, with the value limits
//! its columns impose), the live table, and the start-up checks that compare them: the drift
//! check and, on request, applying the migrations first.

mod declared;
mod drift;
pub(crate) mod key;
pub(crate) mod live;
pub(crate) mod lookup_query;
mod migrate;
mod value_limit;

pub use declared::{Declared, DeclaredColumn, MigrationFile, RowSchema};
pub(crate) use drift::check_table;
pub(crate) use migrate::apply_migrations;
pub use value_limit::{CheckValue, ValueError, ValueLimit};
