//! The key a table is read by (a table source's ranges, a lookup's `IN` list): the one
//! integer `#[row(key)]` column of the row struct.

use sluice_schema::RustType;

use crate::contract::row::Row;
use crate::error::{Error, Result};

/// The one `#[row(key)]` column of `R`, which must hold integers; `what` says who reads by it,
/// for the error.
pub(crate) fn single_integer_key<R: Row>(what: &str) -> Result<&'static str> {
    use RustType as T;
    let keys: Vec<_> = R::SCHEMA.shape.fields.iter().filter(|f| f.key).collect();
    match keys.as_slice() {
        [key]
            if matches!(
                key.rust,
                Some(T::I8 | T::I16 | T::I32 | T::I64 | T::U8 | T::U16 | T::U32 | T::U64)
            ) =>
        {
            Ok(key.column)
        }
        _ => Err(Error::Config(format!(
            "{what} reads `{}` by its key: mark exactly one integer field #[row(key)] of `{}` \
             (the table's primary key); composite and non-integer keys are not supported yet",
            R::TABLE,
            std::any::type_name::<R>(),
        ))),
    }
}

/// `identifier` quoted for MySQL.
pub(crate) fn quoted(identifier: &str) -> String {
    format!("`{}`", identifier.replace('`', "``"))
}
