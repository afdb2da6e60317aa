//! What a row struct was compiled against, and the start-up checks that compare it with the
//! live table: the drift check and, on request, applying the migrations first.

mod declared;
mod drift;
mod live;
mod migrate;
mod value_limit;

pub use declared::{Declared, DeclaredColumn, MigrationFile, RowSchema};
pub(crate) use drift::check_table;
pub(crate) use migrate::apply_migrations;
pub use value_limit::{CheckValue, ValueError, ValueLimit};
