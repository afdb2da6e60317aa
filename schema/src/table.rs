//! A table as the checks see it: its columns and the keys that make an upsert idempotent.

use crate::same_name;
use crate::sql_type::SqlType;

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// As written in the DDL.
    pub name: String,
    /// Its type.
    pub ty: SqlType,
    /// Whether it accepts `NULL`.
    pub nullable: bool,
    /// Whether an `INSERT` that leaves it out still succeeds because of a `DEFAULT`.
    pub has_default: bool,
    /// `AUTO_INCREMENT`.
    pub auto_increment: bool,
    /// A generated (computed) column, which an `INSERT` cannot write.
    pub generated: bool,
}

impl Column {
    /// Whether an `INSERT` must give this column a value.
    pub fn required(&self) -> bool {
        !self.nullable && !self.has_default && !self.auto_increment && !self.generated
    }
}

/// A unique index (or the primary key): the columns whose values identify a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// The index name; `None` for an unnamed one.
    pub name: Option<String>,
    /// Its columns, in index order.
    pub columns: Vec<String>,
}

impl Index {
    /// Whether this index covers exactly `columns`, in any order.
    pub fn is_on(&self, columns: &[&str]) -> bool {
        self.columns.len() == columns.len()
            && columns
                .iter()
                .all(|c| self.columns.iter().any(|k| same_name(k, c)))
    }

    /// `PRIMARY KEY (a, b)` or `UNIQUE KEY name (a, b)`, for messages.
    pub fn describe(&self, primary: bool) -> String {
        let columns = self.columns.join(", ");
        match (&self.name, primary) {
            (_, true) => format!("PRIMARY KEY ({columns})"),
            (Some(name), false) => format!("UNIQUE KEY {name} ({columns})"),
            (None, false) => format!("UNIQUE ({columns})"),
        }
    }
}

/// A table: columns in order, the primary key and the other unique keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// As written in the DDL.
    pub name: String,
    /// In table order.
    pub columns: Vec<Column>,
    /// The primary key, if any.
    pub primary_key: Option<Index>,
    /// Unique keys other than the primary key.
    pub unique_keys: Vec<Index>,
}

impl Table {
    /// An empty table named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Table {
            name: name.into(),
            columns: Vec::new(),
            primary_key: None,
            unique_keys: Vec::new(),
        }
    }

    /// The column named `name`, compared as MySQL does (ignoring case).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| same_name(&c.name, name))
    }

    pub(crate) fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| same_name(&c.name, name))
    }

    /// The primary key, then the unique keys.
    pub fn keys(&self) -> impl Iterator<Item = (&Index, bool)> {
        self.primary_key
            .iter()
            .map(|k| (k, true))
            .chain(self.unique_keys.iter().map(|k| (k, false)))
    }

    /// Removes a column; as in MySQL, keys lose that column and a key left empty disappears.
    pub(crate) fn drop_column(&mut self, name: &str) {
        self.columns.retain(|c| !same_name(&c.name, name));
        let keys = self
            .primary_key
            .iter_mut()
            .chain(self.unique_keys.iter_mut());
        for key in keys {
            key.columns.retain(|c| !same_name(c, name));
        }
        if self
            .primary_key
            .as_ref()
            .is_some_and(|k| k.columns.is_empty())
        {
            self.primary_key = None;
        }
        self.unique_keys.retain(|k| !k.columns.is_empty());
    }

    /// Renames a column everywhere it appears.
    pub(crate) fn rename_column(&mut self, old: &str, new: &str) {
        if let Some(column) = self.column_mut(old) {
            column.name = new.to_string();
        }
        let keys = self
            .primary_key
            .iter_mut()
            .chain(self.unique_keys.iter_mut());
        for key in keys {
            for column in &mut key.columns {
                if same_name(column, old) {
                    *column = new.to_string();
                }
            }
        }
    }
}
